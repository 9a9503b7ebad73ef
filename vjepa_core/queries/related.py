"""Related files: every pattern's relations to a file, weighed and summed, each with its strongest reason."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from vjepa_core.index.store import Store, sql_quote
from vjepa_core.patterns.relation import describe
from vjepa_core.queries.hits import Hit

# How much each relation kind counts towards "related". Co-change confidence is in [0, 1];
# semantic weights are cosines; spatial weights are set by relations.py.
KIND_WEIGHT = {
    "cochange": 2.0, "import": 1.0, "sibling": 0.8, "parent": 0.3, "same_dir": 0.5, "similar": 1.0,
}
# Symmetric kinds are stored once per pair; directional ones (cochange) once per direction.
SYMMETRIC = {"same_dir", "sibling", "parent", "import", "similar"}


def related(store: Store, path: str, k: int = 10) -> list[Hit]:
    """Files related to `path` by any pattern, best first, each with its strongest reason."""
    q = sql_quote(path)
    rows = store.read("relations", where=f"a = {q} OR b = {q}").to_pylist()
    return _rank_related(path, rows, k)


def related_many(store: Store, paths: list[str] | None = None, k: int = 10) -> dict[str, list[Hit]]:
    """`related` for many files (default: every indexed file) from one read of the relations."""
    wanted = set(paths) if paths is not None else None
    rows_of: dict[str, list[dict]] = defaultdict(list)
    where = None
    if wanted is not None and len(wanted) <= 2000:  # a few files: read only their relations
        listed = ", ".join(sql_quote(p) for p in sorted(wanted))
        where = f"a IN ({listed}) OR b IN ({listed})" if wanted else "false"
    for r in store.read("relations", where=where).to_pylist():
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
            best[other] = (contribution, r["pattern"], describe(r["kind"], float(r["weight"]), int(r["count"])))
    ranked = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(p, s, best[p][1], best[p][2]) for p, s in ranked]
