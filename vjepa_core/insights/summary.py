"""The project summary: what the project says it is (its README, metadata or package docstring:
about.py), themes from clusters of code units (top terms per cluster), languages and the most
central files (PageRank over the relations). Without the project's own words, the sentence names
its most telling words, and says so."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vjepa_core.insights.about import About
from vjepa_core.insights.roles import ROLE_CONFIG, ROLE_OTHER, file_role, language_name
from vjepa_core.insights.words import terms, tfidf
from vjepa_core.messages import text

if TYPE_CHECKING:
    from vjepa_core.index.store import Store

MAX_THEMES = 6
MAX_UNITS_FOR_THEMES = 4000
CENTRAL = 5
CHANGELOGS = frozenset({"changelog", "changes", "history", "news", "releases", "release-notes"})
# Relation kinds that say something about importance (same_dir/parent cliques only say "nearby").
CENTRALITY_WEIGHT = {"cochange": 1.0, "import": 1.0, "sibling": 0.5, "similar": 0.5}


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
    source: str  # themes from "vectors" (the model's unit vectors) or "tfidf"
    about: str = ""  # the project's own words for itself ("" when it has none)
    about_source: str = ""  # the file they come from
    detail: str = ""  # where the sentence comes from, and the languages


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
    from vjepa_core.index.vectors import UNIT_VECTORS, has_table, vector_matrix

    if not has_table(store, UNIT_VECTORS):
        return None
    model = store.meta().get("model")
    vt = store.read(UNIT_VECTORS, ["hash", "model", "vector"])
    if not vt.num_rows:
        return None
    rows = {h: i for i, (h, mk) in enumerate(zip(vt["hash"].to_pylist(), vt["model"].to_pylist()))
            if model is None or mk == model}
    if not all(h in rows for h in hashes):
        return None
    matrix = vector_matrix(vt["vector"])[[rows[h] for h in hashes]]
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def _is_changelog(path: str) -> bool:
    """CHANGELOG.md, HISTORY.rst, CHANGES, NEWS: release notes talk about months and versions, a theme of
    no project."""
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0].lower().replace("_", "-")
    return stem in CHANGELOGS


def themes(store: Store, seed: int = 0) -> tuple[list[Theme], str]:
    units = store.visible_units(["path", "hash", "text", "name"])
    paths, hashes, texts, names = (units[c].to_pylist() for c in ("path", "hash", "text", "name"))
    docs = [terms(f"{n or ''} {t or ''}") for n, t in zip(names, texts)]
    # An import line alone is no theme, and neither are lock files and configuration.
    keep = [i for i, d in enumerate(docs) if len(d) >= 3 and file_role(paths[i]) not in (ROLE_CONFIG, ROLE_OTHER)
            and not _is_changelog(paths[i])]
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


def _spoken(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def project_summary(store: Store, files: dict[str, str | None], relations: list[dict[str, Any]],
                    about: About | None = None) -> Summary:
    """`files`: path -> language (None for text) of every readable file; `about`: the project's own
    description (about.project_about), which makes the sentence when there is one."""
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
    detail = ""
    if about:
        sentence = about.text
        detail = text("insights.summary.source", source=about.source, languages=langs)
    elif labels:
        sentence = text("insights.summary", themes=_spoken(labels), languages=langs)
    else:
        sentence = text("insights.summary.empty", languages=langs)
    return Summary(sentence, found, {language_name(k): v for k, v in languages.most_common()}, central, source,
                   about.text if about else "", about.source if about else "", detail)
