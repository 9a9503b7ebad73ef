"""The next-file benchmark (shared/BENCHMARKS.md section 1): the baselines, the model alone, the
product's fusion, `stats` (the fusion without the model) and the ablation, in one run.

`vjepa bench next-file` runs it; nothing in the product imports it.
"""

from __future__ import annotations

import resource
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vjepa_core.bench.baselines import BASELINES
from vjepa_core.harvest.history import Commit, read_commits
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.features import query_rows
from vjepa_core.model.nextfile.fit import fit_pipeline
from vjepa_core.patterns.cochange import SPLIT, Scorer

if TYPE_CHECKING:
    import mlx.core as mx
    import numpy as np


def bench_next_file(repo: Path, *, seed: int = 0, file_vectors: dict[str, np.ndarray] | None = None,
                    log: Callable[[str], None] = print, cfg: NextFileConfig | None = None,
                    commits: list[Commit] | None = None,
                    prior: dict[str, mx.array] | None = None) -> dict:
    """BENCHMARKS.md section 1: baselines, model, product, stats and the ablation, in one run."""
    cfg = cfg or NextFileConfig()
    commits = read_commits(Path(repo)) if commits is None else commits
    split = int(len(commits) * SPLIT)
    fitted = fit_pipeline(commits[:split], cfg, seed=seed, file_vectors=file_vectors, prior=prior,
                          log=log)
    names = ["cochange", "recency", "cochange+recency", "model", *fitted.rankers]
    scorers = {n: Scorer() for n in names}
    for q, st, cands, rows, mranking in query_rows(commits, fitted.model, cfg):
        for b in ("cochange", "recency", "cochange+recency"):
            scorers[b].add(BASELINES[b](q, st), q.truth)
        scorers["model"].add(mranking, q.truth)
        fallback = st.rank_cochange_recency(q.file)
        for n, r in fitted.rankers.items():
            scorers[n].add(r.rank(cands, rows, fallback), q.truth)
    res = {n: s.result() for n, s in scorers.items()}
    main = ("cochange", "recency", "cochange+recency", "model", "product", "stats")
    log(f"nextfile: {fitted.model.examples} training examples, fusion fit on {fitted.fit_queries} "
        f"queries, train {fitted.seconds:.1f}s, peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return {
        "repo": str(repo),
        "queries": scorers["model"].n,
        "methods": {n: res[n] for n in main},
        "ablation": {n: res[n] for n in names if n.startswith("product-") or n in ("product", "stats")},
        "train_seconds": round(fitted.seconds, 2),
        "prior": fitted.prior,
    }
