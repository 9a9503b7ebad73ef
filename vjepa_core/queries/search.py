"""Hybrid search over code units: BM25, the encoder's cosine and the ranking features (ranking.py),
over the search snapshot built at index time (snapshot.py); each hit says which side ranked it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vjepa_core.messages import VjepaError
from vjepa_core.queries.hits import Hit
from vjepa_core.queries.ranking import MODEL_WEIGHT, name_scores, rank

if TYPE_CHECKING:
    from vjepa_core.index.store import Store
    from vjepa_core.model.encoder.encode import UnitModel
    from vjepa_core.queries.snapshot import Snapshot

__all__ = ["MODEL_WEIGHT", "search", "search_in"]


def search(store: Store, ckpt: UnitModel | None, query: str, k: int = 10) -> list[Hit]:
    """The `k` best units for `query`. An empty query is an error (VjepaError "search.empty")."""
    from vjepa_core.queries import snapshot

    if not query or not query.strip():
        raise VjepaError("search.empty")
    return search_in(snapshot.get(store), ckpt, query, k)


def search_in(snap: Snapshot, ckpt: UnitModel | None, query: str, k: int = 10) -> list[Hit]:
    """`search` over a snapshot already at hand (`snapshot.on_disk` needs no index opened)."""
    from vjepa_core.model.encoder.encode import embed_queries

    if not query or not query.strip():
        raise VjepaError("search.empty")
    if not snap.size:
        return []
    lex = snap.lexical.scores(query)
    sem = None
    if ckpt is not None and snap.vectors is not None:
        sem = snap.cosines(embed_queries(ckpt, [query])[0])
    names = name_scores(query, snap.candidates)
    if not lex.any() and not names.any() and sem is None:
        return []  # nothing matched the words and there is no model: no evidence
    total = rank(query, snap.candidates, lex, sem, names=names)
    rows = snap.rows
    paths, unit_names, lines = (rows[c] for c in ("path", "name", "start_line"))
    hits = []
    for i in top(total, k):
        reason, detail = _why(i, lex, sem, names)
        hits.append(Hit(paths[i].as_py(), float(total[i]), reason, detail, unit_names[i].as_py(), lines[i].as_py()))
    return hits


def top(scores: np.ndarray, k: int) -> list[int]:
    """The indices of the `k` highest scores, best first, ties in index order (as a stable sort of
    every score would give them), without sorting every score."""
    if k <= 0 or not len(scores):
        return []
    if k < len(scores):
        cut = np.partition(scores, len(scores) - k)[len(scores) - k]  # the k-th highest score
        idx = np.flatnonzero(scores >= cut)
    else:
        idx = np.arange(len(scores))
    return [int(i) for i in idx[np.argsort(-scores[idx], kind="stable")][:k]]


def _why(i: int, lex: np.ndarray, sem: np.ndarray | None, names: np.ndarray) -> tuple[str, str]:
    """(the side that ranked unit i, the ranks in words)."""
    if names[i] > 0 and lex[i] <= 0 and sem is None:
        return "name", "its name matches"
    by = {"text": int(np.sum(lex > lex[i]))} if lex[i] > 0 else {}
    if sem is not None:
        by["semantic"] = int(np.sum(sem > sem[i]))
    detail = " and ".join(f"{m} rank {r + 1}" for m, r in sorted(by.items(), key=lambda kv: kv[1]))
    if names[i] > 0:
        detail = "its name matches" + (f"; {detail}" if detail else "")
        return "name", detail
    reason = min(by, key=lambda m: by[m]) if by else "semantic"
    return reason, detail
