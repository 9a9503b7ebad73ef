"""The next-file protocol's baselines and their evaluation (BENCHMARKS.md section 1).

Reproduces `shared/tools/cochange_reference.py` figure for figure (the protocol itself is
`vjepa_core.patterns.cochange.iter_queries`). A learned model plugs in as one more `Ranker`
given to `evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from vjepa_core.harvest.history import Commit
from vjepa_core.patterns.cochange import HistoryState, Query, Scorer, iter_queries


def score(rankings: Iterable[tuple[list[str], frozenset[str]]]) -> dict[str, float]:
    """hit@1, hit@5, hit@10 and MRR averaged over (ranking, truth) pairs."""
    s = Scorer()
    for ranking, truth in rankings:
        s.add(ranking, truth)
    return s.result()


Ranker = Callable[[Query, HistoryState], list[str]]

BASELINES: dict[str, Ranker] = {
    "cochange": lambda q, s: s.rank_cochange(q.file),
    "recency": lambda q, s: s.rank_recency(q.file),
    "same_dir": lambda q, s: s.rank_same_dir(q.file),
    "cochange+recency": lambda q, s: s.rank_cochange_recency(q.file),
}


def evaluate(commits: list[Commit], rankers: Mapping[str, Ranker]) -> dict:
    """Score every ranker on the same queries in one pass over the history."""
    scorers = {name: Scorer() for name in rankers}
    queries = 0
    for q, state in iter_queries(commits):
        queries += 1
        for name, rank in rankers.items():
            scorers[name].add(rank(q, state), q.truth)
    return {"queries": queries, "commits": len(commits),
            "methods": {name: s.result() for name, s in scorers.items()}}


def evaluate_baselines(commits: list[Commit]) -> dict:
    """The four baselines of the protocol: cochange, recency, same_dir, cochange+recency."""
    return evaluate(commits, BASELINES)


def format_report(result: dict, label: str = "") -> str:
    """Figures in the reference script's layout, so the two can be compared by eye."""
    lines = [f"{label}: commits={result['commits']} queries={result['queries']}"]
    for name, m in result["methods"].items():
        lines.append(f"  {name:17s} hit@1={m['hit@1']:.3f} hit@5={m['hit@5']:.3f} "
                     f"hit@10={m['hit@10']:.3f} mrr={m['mrr']:.3f}")
    return "\n".join(lines)
