"""Safe promotion: a trained candidate replaces the model in use only if it is not worse.

What is measured, and why. The next-file protocol (vjepa_core.patterns.cochange: the last 20% of the
workspace's commits are held out) defines the held-out tail. The product's next-file ranking
(`Workspace.next_predictor`) reads the history only, not the unit encoder, so the encoder cannot
change that metric; what the encoder decides is search. So the comparison is docstring -> code
search on the held-out tail: every unit of a file changed in the tail commits that has a doc view
(docstring, leading comment or signature; `views.make_views`) is a query, the bodies of all the
workspace's units with a doc view are the candidates, and the metric is the mean reciprocal rank
(MRR) of the right body, each model embedding with its own tokenizer. Too few tail queries (fewer
than MIN_QUERIES): every doc view is a query, and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from vjepa_core.harvest.history import read_commits
from vjepa_core.harvest.units import CodeUnit
from vjepa_core.model.encoder.encode import UnitModel, embed_queries, embed_units
from vjepa_core.model.encoder.views import make_views
from vjepa_core.patterns.cochange import SPLIT

MIN_QUERIES = 5
MAX_QUERIES = 500
MAX_CANDIDATES = 5000


@dataclass
class Decision:
    promote: bool
    why: str
    metric: str = "search_mrr"
    candidate: float | None = None
    current: float | None = None
    queries: int = 0
    candidates: int = 0
    held_out: str = ""  # which queries: the history tail, or every doc view
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def search_mrr(ckpt: UnitModel, queries: Sequence[str], bodies: Sequence[str], targets: Sequence[int]) -> float:
    """Mean reciprocal rank of body targets[i] for query i (cosine of query and unit vectors)."""
    q = embed_queries(ckpt, list(queries))
    v = embed_units(ckpt, list(bodies))
    scores = q @ v.T
    right = scores[np.arange(len(targets)), np.asarray(targets)]
    ranks = 1 + (scores > right[:, None]).sum(axis=1)
    return float((1.0 / ranks).mean())


def held_out_paths(root: Any) -> set[str]:
    """The files changed in the history's tail (the last 20% of commits): what promotion judges on."""
    commits = read_commits(root)
    split = int(len(commits) * SPLIT)
    return {p for c in commits[split:] for s, p in c.changes if s != "D"}


def evaluation_set(root: Any, units: Sequence[CodeUnit]) -> Evaluation:
    """(queries, candidate bodies, target index per query, which queries) for the workspace."""
    pairs: list[tuple[str, str, str]] = []  # (path, doc, body)
    for u in units:
        doc, body = make_views(u.text, u.kind, u.name)
        if doc:
            pairs.append((u.path, doc, body))
    pairs = pairs[:MAX_CANDIDATES]
    commits = read_commits(root)
    split = int(len(commits) * SPLIT)
    tail = {p for c in commits[split:] for s, p in c.changes if s != "D"}
    chosen = [i for i, (p, _, _) in enumerate(pairs) if p in tail]
    held_out = f"units of the {len(tail)} files changed in the last {len(commits) - split} commits"
    if len(chosen) < MIN_QUERIES:
        chosen = list(range(len(pairs)))
        held_out = "every unit with a doc view (the history tail has too few)"
    chosen = chosen[:MAX_QUERIES]
    return [pairs[i][1] for i in chosen], [b for _, _, b in pairs], chosen, held_out


Evaluation = tuple[list[str], list[str], list[int], str]  # queries, bodies, target per query, which queries


def held_out_sample(evaluation: Evaluation, every: int = 5, most: int = 200) -> Evaluation:
    """Every `every`-th query of an evaluation set (at most `most`): what a fine-tune that trains on
    the rest of the workspace is judged on (the static encoder's `vjepa train`)."""
    queries, bodies, targets, held_out = evaluation
    chosen = list(range(0, len(queries), every))[:most]
    return ([queries[i] for i in chosen], bodies, [targets[i] for i in chosen],
            f"{len(chosen)} of the {held_out}, left out of training")


def decide(candidate: UnitModel, current: UnitModel | None, root: Any, units: Sequence[CodeUnit],
           tolerance: float = 0.0, evaluation: Evaluation | None = None) -> Decision:
    """Promote `candidate` unless it is worse than `current` on search over the held-out tail
    (or over `evaluation`, when the caller chose the held-out queries)."""
    note = "next-file ranking reads the history only, so it does not depend on the model"
    if current is None:
        return Decision(True, "there was no model in use yet", notes=[note])
    queries, bodies, targets, held_out = evaluation or evaluation_set(root, units)
    if not queries:
        return Decision(False, "this workspace has no documented code to compare the models on",
                        held_out=held_out, notes=[note])
    cand = search_mrr(candidate, queries, bodies, targets)
    cur = search_mrr(current, queries, bodies, targets)
    base: dict[str, Any] = {"candidate": round(cand, 4), "current": round(cur, 4), "queries": len(queries),
                            "candidates": len(bodies), "held_out": held_out, "notes": [note]}
    if cand + tolerance >= cur:
        return Decision(True, f"search on held-out code went from MRR {cur:.3f} to {cand:.3f}", **base)
    return Decision(False, f"it finds held-out code less well (search MRR {cand:.3f}, now {cur:.3f})", **base)
