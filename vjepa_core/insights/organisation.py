"""Organisation suggestions: clusters of modules that both change together and share words but
live in different folders ("these 4 files might belong in utils/"), with reason, confidence and the
evidence for each file.

Only strong evidence speaks: a file is suggested to move only when it changed with the target's
files in at least MIN_EVIDENCE_COMMITS focused commits, more often than with its own folder's files,
and imports tie it to its own folder no more than to the target. Files in a deliberate folder (a
package, an established folder: structure.py) are never suggested to move."""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from vjepa_core.harvest.history import Commit
from vjepa_core.insights.roles import ROLE_MODULE, file_role, folder_of
from vjepa_core.insights.words import terms, tfidf
from vjepa_core.messages import text
from vjepa_core.patterns.spatial import HEAD_FILES

if TYPE_CHECKING:
    from vjepa_core.index.store import Store

MIN_COCHANGE = 2  # commits two files must share to count as temporal neighbours
MIN_TEMPORAL = 0.3  # co-change confidence (the larger direction) for temporal neighbours
MIN_SEMANTIC = 0.15  # TF-IDF cosine (or model cosine) for semantic neighbours
NEIGHBOURS = 5  # nearest neighbours per file for the mutual-kNN clusters
MIN_CLUSTER = 3
MIN_CONFIDENCE = 0.3
UTILITY_FOLDERS = ("utils", "util", "helpers", "common", "shared", "lib", "support", "core")
MIN_EVIDENCE_COMMITS = 3  # focused commits a file must share with its target's files
FOCUSED_COMMIT = 20  # a commit touching more files than this (a reformat, a rename sweep) is no evidence


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
    evidence: list[dict[str, Any]] = field(default_factory=list)  # per file that would move: counts


def file_words(store: Store) -> dict[str, list[str]]:
    units = store.visible_units(["path", "text"])
    words: dict[str, list[str]] = defaultdict(list)
    for p, t in zip(units["path"].to_pylist(), units["text"].to_pylist()):
        words[p].extend(terms(t or ""))
    return words


@dataclass
class Review:
    suggestions: list[Suggestion]
    left_alone: list[dict[str, Any]]  # ideas the rules turned down: files, target, why (a sentence)


def organisation_suggestions(files: Iterable[str], words: dict[str, list[str]], relations: list[dict[str, Any]],
                             commits: Sequence[Commit] = (), names: Sequence[dict[str, str | None]] = (),
                             deliberate: dict[str, str] | None = None) -> list[Suggestion]:
    """The suggestions of `organisation_review`."""
    return organisation_review(files, words, relations, commits, names, deliberate).suggestions


def organisation_review(files: Iterable[str], words: dict[str, list[str]], relations: list[dict[str, Any]],
                        commits: Sequence[Commit] = (), names: Sequence[dict[str, str | None]] = (),
                        deliberate: dict[str, str] | None = None) -> Review:
    """Clusters of modules that change together *and* share words but sit in several folders, keeping
    only the files with strong evidence (see the module's docstring) outside deliberate folders; the
    files turned down are in `left_alone`, with why.
    `names`: each commit's files -> their path now (renames.py); `deliberate`: folder -> why."""
    deliberate = deliberate or {}
    focused = [{p for p in now.values() if p} for now in names if len(now) <= FOCUSED_COMMIT]
    modules = {f for f in files if file_role(f) == ROLE_MODULE and posixpath.basename(f) not in HEAD_FILES}
    temporal, model_sim = _module_pairs(modules, relations)
    # Only files with a temporal neighbour can be in a cluster: TF-IDF over those alone keeps big
    # repositories cheap (the matrix is candidates x vocabulary, and only pairs are multiplied).
    candidates = sorted({f for pair in temporal for f in pair})
    if len(candidates) < MIN_CLUSTER:
        return Review([], [])
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
    out: list[Suggestion] = []
    left_alone: list[dict[str, Any]] = []
    for members in _mutual_clusters(top):
        members.sort()
        folders = Counter(folder_of(f) for f in members)
        if len(members) < MIN_CLUSTER or len(folders) < 2:
            continue
        pair_scores = [score[(a, b)] for i, a in enumerate(members) for b in members[i + 1:] if (a, b) in score]
        confidence = round(float(np.mean(pair_scores)), 3)
        if confidence < MIN_CONFIDENCE:
            continue
        shared = _shared_terms(members, index, vocab, m)
        commits = max((temporal[(a, b)][1] for i, a in enumerate(members) for b in members[i + 1:]
                       if (a, b) in temporal), default=0)
        found = _suggestion(members, folders, shared, confidence, commits)
        kept, turned_down = _with_evidence(found, focused, relations, deliberate)
        left_alone.extend(turned_down)
        if kept:
            out.append(kept)
    return Review(sorted(out, key=lambda s: (-s.confidence, s.target)), left_alone)


def _with_evidence(s: Suggestion, focused: list[set[str]], relations: list[dict[str, Any]],
                   deliberate: dict[str, str]) -> tuple[Suggestion | None, list[dict[str, Any]]]:
    """The suggestion with only the files whose evidence is strong, each with its counts (None if
    none is left), and the files left alone, with why."""
    target = s.target.rstrip("/")
    imports: dict[str, set[str]] = defaultdict(set)
    for r in relations:
        if r["kind"] == "import":
            imports[r["a"]].add(r["b"])
            imports[r["b"]].add(r["a"])
    movers, evidence = [], []
    held: dict[str, list[str]] = defaultdict(list)  # deliberate folder -> its files in the idea
    left_alone: list[dict[str, Any]] = []
    for f in s.files:
        own = folder_of(f)
        if own in deliberate:
            held[own].append(f)
            continue

        def in_target(p: str, f: str = f) -> bool:
            return p != f and (p in s.cluster if s.new_folder else folder_of(p) == target)

        def in_own(p: str, f: str = f, own: str = own) -> bool:
            return p != f and folder_of(p) == own

        together = [c for c in focused if f in c]
        with_target = sum(1 for c in together if any(in_target(p) for p in c))
        with_own = sum(1 for c in together if any(in_own(p) for p in c))
        imports_target = sum(1 for p in imports[f] if in_target(p))
        imports_own = sum(1 for p in imports[f] if in_own(p))
        counts = {"with_target": with_target, "with_own": with_own, "imports_target": imports_target,
                  "imports_own": imports_own}
        if with_target >= MIN_EVIDENCE_COMMITS and with_target > with_own and imports_target >= imports_own:
            movers.append(f)
            evidence.append({"path": f, **counts,
                             "sentence": text("insights.suggest.evidence", path=f, target=s.target, **counts)})
        else:
            left_alone.append({"files": [f], "target": s.target, **counts,
                               "why": text("insights.left_alone.weak", path=f, target=s.target, **counts)})
    for folder, held_files in sorted(held.items()):
        left_alone.append({"files": held_files, "target": s.target,
                           "why": text("insights.left_alone.deliberate", files=_names(held_files), target=s.target,
                                       folder=folder + "/", why=deliberate[folder])})
    if not movers:
        return None, left_alone
    key = ("insights.suggest.one" if len(movers) == 1 else
           "insights.suggest.new_folder" if s.new_folder else "insights.suggest.cluster")
    sentence = text(key, n=len(movers), files=_names(movers), target=s.target)
    return Suggestion(movers, s.target, s.new_folder, s.confidence, s.level, s.reason, sentence, s.shared_terms,
                      s.cluster, evidence), left_alone


def _module_pairs(modules: set[str], relations: list[dict[str, Any]]
                  ) -> tuple[dict[tuple[str, str], tuple[float, int]], dict[tuple[str, str], float]]:
    """(temporal neighbours: pair -> (confidence, commits), model similarity: pair -> cosine), each
    pair of modules once, in path order."""
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
    return {k: v for k, v in temporal.items() if v[0] >= MIN_TEMPORAL}, model_sim


def _mutual_clusters(top: dict[str, set[str]]) -> list[list[str]]:
    """Files joined when each is among the other's nearest neighbours (union-find)."""
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
    return list(clusters.values())


def _suggestion(members: list[str], folders: Counter[str], shared: list[str], confidence: float,
                commits: int) -> Suggestion:
    """Where a cluster might live (the folder holding most of it, else a utility-like folder, else a
    new folder named from its shared words), and the files that would move there."""
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
    level = "high" if confidence >= 0.6 else "medium" if confidence >= 0.45 else "low"
    reason = text("insights.suggest.reason", commits=commits, terms=", ".join(shared[:4]) or "-",
                  folders=len(folders))
    key = "insights.suggest.new_folder" if new_folder else "insights.suggest.cluster"
    sentence = text(key, n=len(movers), files=_names(movers), target=best.rstrip("/") + "/")
    return Suggestion(movers, best.rstrip("/") + "/", new_folder, confidence, level, reason, sentence,
                      shared[:6], members)


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
