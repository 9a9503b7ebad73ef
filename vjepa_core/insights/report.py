"""Insights: how you work, where files might belong, and what the project is about.

Everything here reads the index and the git history; nothing is moved or written. Three parts:

- work patterns: ordered habits over file roles, languages and folders ("tests after modules",
  "Swift first, then Python"), each with its support, a sign test against the reverse order and
  the commits or editor sessions that show it;
- organisation suggestions: clusters of modules that both change together and share words but
  live in different folders ("these 4 files might belong in utils/"), with reason and confidence;
- a project summary: themes from clusters of code units (top terms per cluster), languages and
  the most central files (PageRank over the relations).

`compute(ws)` returns all three as one JSON-able dict (for the CLI, the server and the API).
"""

from __future__ import annotations

import math
import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from vjepa_core.harvest.history import Commit
from vjepa_core.harvest.languages import language_for
from vjepa_core.index.store import Store
from vjepa_core.messages import text
from vjepa_core.paths import identifier_words, is_test_path, subject_stem
from vjepa_core.patterns.relations import HEAD_FILES

# --- knobs (one place) ----------------------------------------------------------------------
SESSION_GAP_S = 3 * 3600  # a pause longer than this starts a new work session
EVENT_KINDS = ("open", "save", "change")  # editor events that count as touching a file
MIN_SUPPORT = 4  # sessions (or module/test pairs) before something is called a habit
ALPHA = 0.05  # sign-test level, Bonferroni-corrected over the pairs tried per facet
HABIT_SHARE = 0.6  # share of module/test pairs that must follow the habit
TEST_LAG_COMMITS = 20  # a test added this many commits after its module still counts as "after"
TEST_LAG_S = 14 * 86400  # ... or within this many seconds
MIN_COCHANGE = 2  # commits two files must share to count as temporal neighbours
MIN_TEMPORAL = 0.3  # co-change confidence (the larger direction) for temporal neighbours
MIN_SEMANTIC = 0.15  # TF-IDF cosine (or model cosine) for semantic neighbours
NEIGHBOURS = 5  # nearest neighbours per file for the mutual-kNN clusters
MIN_CLUSTER = 3
MIN_CONFIDENCE = 0.3
MAX_THEMES = 6
MAX_UNITS_FOR_THEMES = 4000
MAX_VOCAB = 3000
CENTRAL = 5
EVIDENCE = 3  # examples kept per insight
UTILITY_FOLDERS = ("utils", "util", "helpers", "common", "shared", "lib", "support", "core")
# Relation kinds that say something about importance (same_dir/parent cliques only say "nearby").
CENTRALITY_WEIGHT = {"cochange": 1.0, "import": 1.0, "sibling": 0.5, "similar": 0.5}

ROLE_TEST, ROLE_MODULE, ROLE_DOCS, ROLE_CONFIG, ROLE_OTHER = "test", "module", "docs", "config", "other"
ROLE_LABEL = {ROLE_TEST: "tests", ROLE_MODULE: "code", ROLE_DOCS: "docs", ROLE_CONFIG: "configuration"}
_DOC_DIRS = {"doc", "docs", "documentation"}
_DOC_EXT = {".md", ".markdown", ".rst", ".txt", ".adoc"}
_CONFIG_EXT = {".toml", ".yaml", ".yml", ".json", ".ini", ".cfg", ".lock", ".xml", ".plist"}
_CONFIG_NAMES = {"makefile", "dockerfile", "package.swift", "cargo.toml", "setup.py", "go.mod", "gemfile"}
_LANGUAGE_NAMES = {"javascript": "JavaScript", "typescript": "TypeScript", "tsx": "TSX", "cpp": "C++",
                   "c": "C", "markdown": "Markdown"}
_STOPWORD_TEXT = """
a an the and or not of to in on at by for from with as is are was were be been it its this that these those
if else elif then than when while do done for foreach each return returns yield def class func function fn
let var const val self this super none null nil true false new delete import from export default package
module use using namespace public private protected static final void int str string bool float double char
long short byte unsigned signed struct enum impl trait interface type typeof instanceof extends implements
async await try catch except finally raise throw throws pass break continue case switch match where
get set put has can will should would may might must also just into out about over under more most some any all
print println printf log value values item items data args kwargs arg param params result results obj object
list dict map tuple array len size init main test tests self cls todo fixme note see
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


# --- shared helpers ---------------------------------------------------------------------------
def file_role(path: str) -> str:
    """test | module | docs | config | other, from the path alone."""
    parts = [p.lower() for p in path.split("/")]
    name = parts[-1]
    ext = posixpath.splitext(name)[1]
    if is_test_path(path):
        return ROLE_TEST if language_for(path) not in (None, "markdown") else ROLE_OTHER
    if ext in _DOC_EXT or any(p in _DOC_DIRS for p in parts[:-1]):
        return ROLE_DOCS
    if ext in _CONFIG_EXT or name in _CONFIG_NAMES:
        return ROLE_CONFIG
    if language_for(path) not in (None, "markdown"):
        return ROLE_MODULE
    return ROLE_OTHER


def language_name(lang: str) -> str:
    return _LANGUAGE_NAMES.get(lang, lang.capitalize())


def folder_of(path: str) -> str:
    return posixpath.dirname(path) or "."


def terms(source: str) -> list[str]:
    """Words of code and prose: identifiers split at camelCase and snake_case, lowercased."""
    return [w for w in identifier_words(source) if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS]


def humanize_seconds(seconds: float) -> str:
    if seconds < 90:
        return "a minute"
    if seconds < 3600:
        return f"{round(seconds / 60)} minutes"
    if seconds < 1.5 * 3600:
        return "an hour"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} hours"
    if seconds < 1.5 * 86400:
        return "a day"
    return f"{round(seconds / 86400)} days"


def sign_test(wins: int, losses: int) -> float:
    """One-sided p-value of seeing at least `wins` of wins+losses under a fair coin."""
    n = wins + losses
    if n == 0:
        return 1.0
    return sum(math.comb(n, i) for i in range(wins, n + 1)) / 2 ** n


# --- work patterns ----------------------------------------------------------------------------
@dataclass
class WorkPattern:
    kind: str  # "test_after_module" | "test_before_module" | "order"
    facet: str  # "role" | "language" | "directory"
    first: str
    then: str
    support: int  # sessions (or module/test pairs) that follow the pattern
    against: int  # ... that go the other way round (or, for tests, come together or the other way)
    p_value: float
    typical_gap_s: float  # median time from the first to the then
    sentence: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Step:
    time: float
    ref: str  # a commit sha, or "editor" for editor events
    paths: tuple[str, ...]


def _sessions(commits: Sequence[Commit], events: Sequence[tuple[float, str]]) -> list[tuple[str, list[_Step]]]:
    """Work sessions, from git (one step per commit) and from editor events (one step per event)."""
    out: list[tuple[str, list[_Step]]] = []
    git_steps = [_Step(c.time, c.sha, tuple(sorted(c.files))) for c in commits if c.files]
    ev_steps = [_Step(t, "editor", (p,)) for t, p in sorted(events)]
    for source, steps in (("git", git_steps), ("editor", ev_steps)):
        current: list[_Step] = []
        for step in steps:
            if current and step.time - current[-1].time > SESSION_GAP_S:
                out.append((source, current))
                current = []
            current.append(step)
        if current:
            out.append((source, current))
    return out


def _facet_values(path: str, facet: str) -> str | None:
    if facet == "language":
        lang = language_for(path)
        return None if lang in (None, "markdown") else lang
    if facet == "directory":
        return path.split("/", 1)[0] + "/" if "/" in path else None
    role = file_role(path)
    return None if role == ROLE_OTHER else role


def _label(facet: str, value: str) -> str:
    if facet == "language":
        return language_name(value)
    if facet == "role":
        return ROLE_LABEL.get(value, value)
    return value


def order_patterns(sessions: list[tuple[str, list[_Step]]]) -> list[WorkPattern]:
    """For each facet, pairs (x, y) where x is first touched before y in significantly more sessions."""
    found: list[WorkPattern] = []
    for facet in ("language", "directory", "role"):
        wins: Counter[tuple[str, str]] = Counter()
        gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
        examples: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for source, steps in sessions:
            first: dict[str, tuple[int, _Step]] = {}
            for i, step in enumerate(steps):
                for p in step.paths:
                    v = _facet_values(p, facet)
                    if v is not None and v not in first:
                        first[v] = (i, step)
            for x, (ix, sx) in first.items():
                for y, (iy, sy) in first.items():
                    if ix < iy:
                        wins[(x, y)] += 1
                        gaps[(x, y)].append(sy.time - sx.time)
                        if len(examples[(x, y)]) < EVIDENCE:
                            examples[(x, y)].append({"source": source, "first": sx.ref, "then": sy.ref,
                                                     "first_files": list(sx.paths[:3]),
                                                     "then_files": list(sy.paths[:3]),
                                                     "gap_s": sy.time - sx.time})
        pairs = {tuple(sorted(k)) for k in wins}
        tried = max(1, sum(1 for a, b in pairs if wins[(a, b)] + wins[(b, a)] >= MIN_SUPPORT))
        for (x, y), w in sorted(wins.items()):
            against = wins[(y, x)]
            p = min(1.0, sign_test(w, against) * tried)
            if w >= MIN_SUPPORT and p <= ALPHA:
                gap = float(np.median(gaps[(x, y)]))
                sentence = text("insights.pattern.order", first=_label(facet, x), then=_label(facet, y),
                                support=w, total=w + against, gap=humanize_seconds(gap))
                found.append(WorkPattern("order", facet, x, y, w, against, p, gap, sentence, examples[(x, y)]))
    return found


def test_habits(commits: Sequence[Commit]) -> list[WorkPattern]:
    """Whether tests are added after, with, or before the modules they test (name twins)."""
    added_at: dict[str, int] = {}  # path -> index of the commit that added it (renames follow)
    for i, c in enumerate(commits):
        for old, new in c.renames:
            if old in added_at:
                added_at[new] = added_at.pop(old)
        for status, path in c.changes:
            if status == "A" and path not in added_at:
                added_at[path] = i
    modules: dict[str, list[str]] = defaultdict(list)
    tests: list[str] = []
    for path in added_at:
        role = file_role(path)
        if role == ROLE_MODULE:
            modules[subject_stem(path)].append(path)
        elif role == ROLE_TEST:
            tests.append(path)
    after, before, together = [], [], 0
    for t in tests:
        candidates = [m for m in modules.get(subject_stem(t), [])
                      if posixpath.splitext(m)[1] == posixpath.splitext(t)[1]]
        if len(candidates) != 1:
            continue  # no twin, or ambiguous
        m = candidates[0]
        im, it = added_at[m], added_at[t]
        lag_s = commits[it].time - commits[im].time
        pair = {"module": m, "test": t, "module_commit": commits[im].sha, "test_commit": commits[it].sha,
                "commits_between": abs(it - im), "gap_s": abs(lag_s)}
        if it == im:
            together += 1
        elif it > im and (it - im <= TEST_LAG_COMMITS or lag_s <= TEST_LAG_S):
            after.append(pair)
        elif it < im:
            before.append(pair)
    total = len(after) + len(before) + together
    found = []
    for kind, hits, first, then in (("test_after_module", after, ROLE_MODULE, ROLE_TEST),
                                    ("test_before_module", before, ROLE_TEST, ROLE_MODULE)):
        if len(hits) >= MIN_SUPPORT and len(hits) >= HABIT_SHARE * total:
            gap = float(np.median([h["gap_s"] for h in hits]))
            n = int(np.median([h["commits_between"] for h in hits]))
            commits_between = f"{n} commit{'s' if n != 1 else ''}"
            key = "insights.pattern.test_after" if kind == "test_after_module" else "insights.pattern.test_first"
            sentence = text(key, support=len(hits), total=total, gap=humanize_seconds(gap),
                            commits=commits_between)
            p = sign_test(len(hits), total - len(hits))
            found.append(WorkPattern(kind, "role", first, then, len(hits), total - len(hits), p, gap, sentence,
                                     hits[:EVIDENCE]))
    return found


def work_patterns(commits: Sequence[Commit], events: Sequence[tuple[float, str]] = ()) -> list[WorkPattern]:
    """All work patterns, strongest first. `events` are (unix seconds, path) editor events."""
    patterns = test_habits(commits) + order_patterns(_sessions(commits, events))
    return sorted(patterns, key=lambda p: (p.p_value, -p.support, p.facet, p.first, p.then))


# --- organisation suggestions -----------------------------------------------------------------
@dataclass
class Suggestion:
    files: list[str]  # the files that might move
    target: str  # the folder they might belong in
    new_folder: bool  # the target does not exist yet (a name made from their shared words)
    confidence: float  # 0..1
    level: str  # high | medium | low
    reason: str
    sentence: str
    shared_terms: list[str] = field(default_factory=list)
    cluster: list[str] = field(default_factory=list)  # the whole cluster, including files already there


def tfidf(docs: dict[str, list[str]], max_vocab: int = MAX_VOCAB) -> tuple[list[str], list[str], np.ndarray]:
    """(keys, vocabulary, L2-normalised TF-IDF matrix [docs, vocab]) with sublinear tf."""
    keys = sorted(docs)
    df: Counter[str] = Counter()
    for k in keys:
        df.update(set(docs[k]))
    n = len(keys)
    # Terms in one document say nothing about similarity; terms in almost all say little.
    ranked = sorted(df.items(), key=lambda tc: (-tc[1], tc[0]))  # by name on ties: the same every run
    vocab = [t for t, c in ranked if c >= 2 and c <= max(2, 0.8 * n)][:max_vocab]
    col = {t: i for i, t in enumerate(vocab)}
    m = np.zeros((n, len(vocab)), dtype=np.float32)
    for i, k in enumerate(keys):
        for t, c in Counter(docs[k]).items():
            j = col.get(t)
            if j is not None:
                m[i, j] = 1.0 + math.log(c)
    if vocab:
        idf = np.log((1 + n) / (1 + np.array([df[t] for t in vocab], dtype=np.float32))) + 1.0
        m *= idf
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        m /= np.maximum(norms, 1e-12)
    return keys, vocab, m


def _file_words(store: Store) -> dict[str, list[str]]:
    units = store.visible_units(["path", "text"])
    words: dict[str, list[str]] = defaultdict(list)
    for p, t in zip(units["path"].to_pylist(), units["text"].to_pylist()):
        words[p].extend(terms(t or ""))
    return words


def organisation_suggestions(files: Iterable[str], words: dict[str, list[str]],
                             relations: list[dict[str, Any]]) -> list[Suggestion]:
    """Clusters of modules that change together *and* share words but sit in several folders."""
    modules = {f for f in files if file_role(f) == ROLE_MODULE and posixpath.basename(f) not in HEAD_FILES}
    temporal: dict[tuple[str, str], tuple[float, int]] = {}
    model_sim: dict[tuple[str, str], float] = {}
    for r in relations:
        a, b = r["a"], r["b"]
        if a not in modules or b not in modules or a == b:
            continue
        key = (a, b) if a < b else (b, a)
        if r["kind"] == "cochange" and r["count"] >= MIN_COCHANGE:
            old = temporal.get(key, (0.0, 0))
            temporal[key] = (max(old[0], float(r["weight"])), max(old[1], int(r["count"])))
        elif r["pattern"] == "semantic":
            model_sim[key] = max(model_sim.get(key, 0.0), float(r["weight"]))
    temporal = {k: v for k, v in temporal.items() if v[0] >= MIN_TEMPORAL}
    # Only files with a temporal neighbour can be in a cluster: TF-IDF over those alone keeps big
    # repositories cheap (the matrix is candidates x vocabulary, and only pairs are multiplied).
    candidates = sorted({f for pair in temporal for f in pair})
    if len(candidates) < MIN_CLUSTER:
        return []
    keys, vocab, m = tfidf({f: words.get(f, []) + terms(f.replace("/", " ")) for f in candidates})
    index = {k: i for i, k in enumerate(keys)}
    edges: dict[str, list[tuple[float, str]]] = defaultdict(list)
    score: dict[tuple[str, str], float] = {}
    for (a, b), (t, count) in temporal.items():
        cos = float(m[index[a]] @ m[index[b]]) if vocab else 0.0
        s = max(cos, model_sim.get((a, b), 0.0))
        if s >= MIN_SEMANTIC:
            score[(a, b)] = (min(t, 1.0) + min(s, 1.0)) / 2
            edges[a].append((score[(a, b)], b))
            edges[b].append((score[(a, b)], a))
    top = {f: {o for _, o in sorted(e, reverse=True)[:NEIGHBOURS]} for f, e in edges.items()}
    parent = {f: f for f in top}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, near in top.items():
        for b in near:
            if a in top.get(b, ()):  # mutual neighbours only: no long chains
                parent[find(a)] = find(b)
    clusters: dict[str, list[str]] = defaultdict(list)
    for f in top:
        clusters[find(f)].append(f)
    out = []
    for members in clusters.values():
        members.sort()
        folders = Counter(folder_of(f) for f in members)
        if len(members) < MIN_CLUSTER or len(folders) < 2:
            continue
        pair_scores = [score[(a, b)] for i, a in enumerate(members) for b in members[i + 1:] if (a, b) in score]
        confidence = round(float(np.mean(pair_scores)), 3)
        if confidence < MIN_CONFIDENCE:
            continue
        shared = _shared_terms(members, index, vocab, m)
        best, best_n = folders.most_common(1)[0]
        utility = [d for d in folders if posixpath.basename(d) in UTILITY_FOLDERS]
        if best_n < 2 and utility:
            best = min(utility, key=lambda d: (-folders[d], d))
        new_folder = best_n < 2 and not utility
        if new_folder:
            common = posixpath.commonpath(members)
            common = "" if common in members else common
            best = posixpath.join(common, shared[0] if shared else "shared")
        movers = [f for f in members if folder_of(f) != best]
        commits = max((temporal[(a, b)][1] for i, a in enumerate(members) for b in members[i + 1:]
                       if (a, b) in temporal), default=0)
        level = "high" if confidence >= 0.6 else "medium" if confidence >= 0.45 else "low"
        reason = text("insights.suggest.reason", commits=commits, terms=", ".join(shared[:4]) or "-",
                      folders=len(folders))
        key = "insights.suggest.new_folder" if new_folder else "insights.suggest.cluster"
        sentence = text(key, n=len(movers), files=_names(movers), target=best.rstrip("/") + "/")
        out.append(Suggestion(movers, best.rstrip("/") + "/", new_folder, confidence, level, reason, sentence,
                              shared[:6], members))
    return sorted(out, key=lambda s: (-s.confidence, s.target))


def _names(paths: list[str], limit: int = 4) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _shared_terms(members: list[str], index: dict[str, int], vocab: list[str], m: np.ndarray) -> list[str]:
    if not vocab:
        return []
    rows = m[[index[f] for f in members]]
    present = (rows > 0).sum(axis=0)
    weight = rows.sum(axis=0) * (present >= 2)
    order = np.argsort(-weight, kind="stable")
    return [vocab[j] for j in order[:8] if weight[j] > 0]


# --- project summary --------------------------------------------------------------------------
@dataclass
class Theme:
    terms: list[str]
    units: int
    files: list[str]  # the files with most units in this theme


@dataclass
class Summary:
    sentence: str
    themes: list[Theme]
    languages: dict[str, int]
    central_files: list[dict[str, Any]]
    source: str  # "vectors" (the model's unit vectors) or "tfidf"


def _kmeans(x: np.ndarray, k: int, seed: int = 0, iters: int = 30) -> np.ndarray:
    """Spherical k-means with k-means++ seeding on L2-normalised rows; returns labels."""
    rng = np.random.default_rng(seed)
    n = len(x)
    centres = [x[rng.integers(n)]]
    for _ in range(1, k):
        d = np.clip(1.0 - np.max(x @ np.stack(centres).T, axis=1), 0.0, None)
        if d.sum() <= 0:
            break
        centres.append(x[rng.choice(n, p=d / d.sum())])
    c = np.stack(centres)
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iters):
        new = np.argmax(x @ c.T, axis=1)
        if _ > 0 and np.array_equal(new, labels):
            break
        labels = new
        for j in range(len(c)):
            members = x[labels == j]
            if len(members):
                v = members.sum(axis=0)
                c[j] = v / max(float(np.linalg.norm(v)), 1e-12)
    return labels


def _unit_vectors(store: Store, hashes: list[str]) -> np.ndarray | None:
    from vjepa_core.index.vectors import UNIT_VECTORS, _existing, _matrix

    if not _existing(store, UNIT_VECTORS):
        return None
    model = store.meta().get("model")
    vt = store.read(UNIT_VECTORS, ["hash", "model", "vector"])
    if not vt.num_rows:
        return None
    rows = {h: i for i, (h, mk) in enumerate(zip(vt["hash"].to_pylist(), vt["model"].to_pylist()))
            if model is None or mk == model}
    if not all(h in rows for h in hashes):
        return None
    matrix = _matrix(vt["vector"])[[rows[h] for h in hashes]]
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def themes(store: Store, seed: int = 0) -> tuple[list[Theme], str]:
    units = store.visible_units(["path", "hash", "text", "name"])
    paths, hashes, texts, names = (units[c].to_pylist() for c in ("path", "hash", "text", "name"))
    docs = [terms(f"{n or ''} {t or ''}") for n, t in zip(names, texts)]
    # An import line alone is no theme, and neither are lock files and configuration.
    keep = [i for i, d in enumerate(docs) if len(d) >= 3 and file_role(paths[i]) not in (ROLE_CONFIG, ROLE_OTHER)]
    if len(keep) > MAX_UNITS_FOR_THEMES:  # a fixed, spread-out sample: the same themes every run
        keep = keep[:: math.ceil(len(keep) / MAX_UNITS_FOR_THEMES)]
    if not keep:
        return [], "tfidf"
    x = _unit_vectors(store, [hashes[i] for i in keep])
    source = "vectors"
    if x is None:
        source = "tfidf"
        _, vocab, x = tfidf({f"{i:09d}": docs[i] for i in keep})
        if not vocab:
            x = np.ones((len(keep), 1), dtype=np.float32)
    k = max(1, min(MAX_THEMES, round(math.sqrt(len(keep) / 4))))
    labels = _kmeans(x, k, seed) if k > 1 else np.zeros(len(keep), dtype=np.int64)
    # c-TF-IDF: a term's frequency in a cluster against its frequency in all clusters.
    per_cluster: dict[int, Counter[str]] = defaultdict(Counter)
    per_files: dict[int, Counter[str]] = defaultdict(Counter)
    for i, label in zip(keep, labels.tolist()):
        per_cluster[label].update(docs[i])
        per_files[label][paths[i]] += 1
    total: Counter[str] = Counter()
    for c in per_cluster.values():
        total.update(c)
    avg = sum(total.values()) / max(1, len(per_cluster))
    out = []
    for label, counts in per_cluster.items():
        size = sum(counts.values())
        scored = sorted(((cnt / size) * math.log(1 + avg / total[t]), t) for t, cnt in counts.items())
        top = [t for _, t in reversed(scored[-5:])]
        out.append(Theme(top, int((labels == label).sum()), [p for p, _ in per_files[label].most_common(3)]))
    out.sort(key=lambda t: (-t.units, t.terms))
    return out, source


def pagerank(nodes: list[str], edges: list[tuple[str, str, float]], damping: float = 0.85,
             iters: int = 100) -> dict[str, float]:
    """Weighted PageRank on an undirected graph (each edge counts both ways)."""
    if not nodes:
        return {}
    idx = {n: i for i, n in enumerate(nodes)}
    pairs = [(idx[a], idx[b], w) for a, b, w in edges if a in idx and b in idx and a != b and w > 0]
    n = len(nodes)
    if not pairs:
        return {p: 1.0 / n for p in nodes}
    src = np.array([a for a, b, _ in pairs] + [b for a, b, _ in pairs])
    dst = np.array([b for a, b, _ in pairs] + [a for a, b, _ in pairs])
    w = np.array([x for _, _, x in pairs] * 2, dtype=np.float64)
    out_w = np.bincount(src, weights=w, minlength=n)
    r = np.full(n, 1.0 / n)
    for _ in range(iters):
        share = np.where(out_w[src] > 0, r[src] * w / np.maximum(out_w[src], 1e-12), 0.0)
        dangling = r[out_w == 0].sum()
        new = (1 - damping) / n + damping * (np.bincount(dst, weights=share, minlength=n) + dangling / n)
        if np.abs(new - r).sum() < 1e-10:
            r = new
            break
        r = new
    return dict(zip(nodes, r.tolist()))


def central_files(files: list[str], relations: list[dict[str, Any]], k: int = CENTRAL) -> list[dict[str, Any]]:
    edges = [(r["a"], r["b"], CENTRALITY_WEIGHT[r["kind"]] * max(float(r["weight"]), 0.0))
             for r in relations if r["kind"] in CENTRALITY_WEIGHT]
    degree: Counter[str] = Counter()
    for a, b, _ in edges:
        degree[a] += 1
        degree[b] += 1
    rank = pagerank(files, edges)
    best = sorted(files, key=lambda f: (-rank[f], f))[:k]
    return [{"path": f, "score": round(rank[f], 4), "degree": degree[f]} for f in best if degree[f] > 0]


def project_summary(store: Store, files: dict[str, str | None], relations: list[dict[str, Any]]) -> Summary:
    """`files`: path -> language (None for text) of every readable file."""
    languages = Counter(lang for lang in files.values() if lang)
    found, source = themes(store)
    central = central_files(sorted(files), relations)
    labels: list[str] = []
    for th in found:
        label = next((t for t in th.terms if t not in labels), None)
        if label:
            labels.append(label)
        if len(labels) == 3:
            break
    code = [(lang, n) for lang, n in languages.most_common() if lang != "markdown"] or languages.most_common()
    langs = " and ".join(language_name(lang) for lang, _ in code[:2]) or "plain text"
    if labels:
        sentence = text("insights.summary", themes=" + ".join(labels), languages=langs)
    else:
        sentence = text("insights.summary.empty", languages=langs)
    return Summary(sentence, found, {language_name(k): v for k, v in languages.most_common()}, central, source)


# --- everything at once -----------------------------------------------------------------------
def compute(ws: Any) -> dict[str, Any]:
    """Work patterns, organisation suggestions and the project summary of a `Workspace`, as JSON-able data."""
    from vjepa_core.harvest.history import read_commits

    store = ws.store
    rows = store.read("files", ["path", "status", "language"]).to_pylist()
    files = {r["path"]: r["language"] for r in rows if r["status"] == "ok"}
    relations = store.read("relations", ["a", "b", "pattern", "kind", "weight", "count"]).to_pylist()
    commits = read_commits(ws.root)
    ev = store.read("events", ["time_ms", "path", "kind"]).to_pylist()
    events = [(e["time_ms"] / 1000.0, e["path"]) for e in ev if e["kind"] in EVENT_KINDS and e["path"]]
    patterns = work_patterns(commits, events)
    suggestions = organisation_suggestions(files, _file_words(store), relations)
    summary = project_summary(store, files, relations)
    return {
        "root": str(ws.root),
        "counts": {"files": len(files), "commits": len(commits), "events": len(events),
                   "relations": len(relations)},
        "patterns": [asdict(p) for p in patterns],
        "suggestions": [asdict(s) for s in suggestions],
        "summary": asdict(summary),
    }
