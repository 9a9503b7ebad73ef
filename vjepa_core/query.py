"""Questions the index answers: related files and hybrid semantic search, each with its reason."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .checkpoint import Checkpoint
from .embed import UNIT_VECTORS, _existing, _matrix
from .store import Store, sql_quote

# How much each relation kind counts towards "related". Co-change confidence is in [0, 1];
# semantic weights are cosines; spatial weights are set by relations.py.
KIND_WEIGHT = {
    "cochange": 2.0, "import": 1.0, "sibling": 0.8, "parent": 0.3, "same_dir": 0.5, "similar": 1.0,
}
# Symmetric kinds are stored once per pair; directional ones (cochange) once per direction.
SYMMETRIC = {"same_dir", "sibling", "parent", "import", "similar"}
RRF_K = 60  # reciprocal-rank fusion constant (Cormack et al.)
# The shipped model is small; full-text matches lead and vectors add what words miss.
FUSION_WEIGHT = {"text": 1.0, "semantic": 0.5}


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    score: float
    reason: str  # "temporal", "spatial" or "semantic": the pattern that contributed most
    detail: str  # in words, e.g. "changed together in 12 commits"
    name: str = ""
    line: int = 0


def _detail(kind: str, weight: float, count: int) -> str:
    return {
        "cochange": f"changed together in {count} commit{'s' if count != 1 else ''} ({weight:.0%} of its changes)",
        "import": "imports or is imported by it",
        "sibling": "name twin in another folder",
        "parent": "head file of its package",
        "same_dir": "in the same folder",
        "similar": f"similar content (cosine {weight:.2f})",
    }.get(kind, kind)


def related(store: Store, path: str, k: int = 10) -> list[Hit]:
    """Files related to `path` by any pattern, best first, each with its strongest reason."""
    q = sql_quote(path)
    rows = store.read("relations", where=f"a = {q} OR b = {q}").to_pylist()
    return _rank_related(path, rows, k)


def related_many(store: Store, paths: list[str] | None = None, k: int = 10) -> dict[str, list[Hit]]:
    """`related` for many files (default: every indexed file) from one read of the relations."""
    wanted = set(paths) if paths is not None else None
    rows_of: dict[str, list[dict]] = defaultdict(list)
    for r in store.read("relations").to_pylist():
        for end in (r["a"], r["b"]):
            if wanted is None or end in wanted:
                rows_of[end].append(r)
    keys = wanted if wanted is not None else set(rows_of)
    return {p: _rank_related(p, rows_of.get(p, []), k) for p in keys}


def _rank_related(path: str, rows: list[dict], k: int) -> list[Hit]:
    score: dict[str, float] = defaultdict(float)
    best: dict[str, tuple[float, str, str]] = {}
    for r in rows:
        if r["a"] == path:
            other = r["b"]
        elif r["kind"] in SYMMETRIC:
            other = r["a"]
        else:
            continue  # the other direction of a directional relation is stored separately
        # Confidence alone would rank a file changed once with `path` as high as one changed 50 times.
        support = 1.0 + float(np.log1p(r["count"])) if r["kind"] == "cochange" else 1.0
        contribution = KIND_WEIGHT.get(r["kind"], 0.5) * float(r["weight"]) * support
        score[other] += contribution
        if contribution > best.get(other, (-1.0, "", ""))[0]:
            best[other] = (contribution, r["pattern"], _detail(r["kind"], float(r["weight"]), int(r["count"])))
    ranked = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(p, s, best[p][1], best[p][2]) for p, s in ranked]


def search(store: Store, ckpt: Checkpoint | None, query: str, k: int = 10) -> list[Hit]:
    """Hybrid search over code units: vectors (when a model exists) and full text, fused by rank."""
    from .jepa import embed_queries

    units = store.visible_units(["path", "name", "start_line", "hash"])
    paths, names, lines, hashes = (units[c].to_pylist() for c in ("path", "name", "start_line", "hash"))
    ranks: dict[int, dict[str, int]] = defaultdict(dict)
    if ckpt is not None and _existing(store, UNIT_VECTORS) and hashes:
        vt = store.read(UNIT_VECTORS, ["hash", "vector"])
        row_of = {h: i for i, h in enumerate(vt["hash"].to_pylist())}
        matrix = _matrix(vt["vector"])
        qv = embed_queries(ckpt, [query])[0]
        sims = matrix @ qv
        unit_sims = np.array([sims[row_of[h]] if h in row_of else -1.0 for h in hashes])
        for rank, i in enumerate(np.argsort(-unit_sims)[: max(50, k)]):
            ranks[int(i)]["semantic"] = rank
    try:
        fts = (store.table("units").search(query, query_type="fts").select(["path", "start_line", "_score"])
               .limit(50).to_list())
    except (ValueError, RuntimeError, OSError):  # no full-text index yet (no embed run): vectors alone
        fts = []
    where = {(p, ln): i for i, (p, ln) in enumerate(zip(paths, lines))}
    for rank, row in enumerate(fts):
        i = where.get((row["path"], row["start_line"]))
        if i is not None:
            ranks[i]["text"] = rank
    fused = []
    for i, by in ranks.items():
        s = sum(FUSION_WEIGHT[m] / (RRF_K + r) for m, r in by.items())
        reason = "semantic" if by.get("semantic", 1e9) <= by.get("text", 1e9) else "text"
        detail = " and ".join(f"{m} rank {r + 1}" for m, r in sorted(by.items(), key=lambda kv: kv[1]))
        fused.append(Hit(paths[i], s, "semantic" if reason == "semantic" else "text", detail, names[i], lines[i]))
    fused.sort(key=lambda h: (-h.score, h.path, h.line))
    return fused[:k]
