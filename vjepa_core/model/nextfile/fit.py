"""Fitting the whole pipeline on one history: the predictor and the fusion rankers.

The rankers' weights are fit on queries from the later 60% of the training history (the latest
counting most); the model's share is judged on those of its last 20%, scored by a predictor trained
only on the commits before them (so the model feature is as fresh, and as unseen, as it is at test
time). `stats` is the same ranker without the model's features.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import mlx.core as mx
import numpy as np

from vjepa_core.harvest.history import Commit
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.features import FEATURE_GROUPS, FEATURES, Links, query_rows
from vjepa_core.model.nextfile.predictor import TrainedPredictor
from vjepa_core.model.nextfile.prior import load_prior
from vjepa_core.model.nextfile.ranker import FusionRanker, fit_ranker, recency_weights
from vjepa_core.model.nextfile.training import train_predictor
from vjepa_core.patterns.cochange import SPLIT


def ranker_variants() -> dict[str, tuple[str, ...]]:
    """The fused rankers: product, stats (no model) and product minus each other group."""
    out = {"product": FEATURES}
    for g, cols in FEATURE_GROUPS.items():
        out["stats" if g == "model" else f"product-{g}"] = tuple(f for f in FEATURES if f not in cols)
    return out


@dataclass
class FittedPipeline:
    """What `fit_pipeline` learned: the frozen predictor and the fusion rankers by name."""

    model: TrainedPredictor
    rankers: dict[str, FusionRanker]
    fit_queries: int
    seconds: float
    prior: bool = False  # whether the predictors started from a prior
    dropped: tuple[str, ...] = ()  # signal groups left out: they did not help on the history's tail


def fit_pipeline(history: list[Commit], cfg: NextFileConfig, *, seed: int = 0,
                 file_vectors: dict[str, np.ndarray] | None = None,
                 prior: dict[str, mx.array] | None = None,
                 variants: Iterable[str] | None = None,
                 log: Callable[[str], None] = print, links: Links | None = None,
                 select: bool = False, sessions: list[Commit] | None = None) -> FittedPipeline:
    """Everything learned from `history` (and nothing else).

    `variants` names the rankers to fit (default: all of `ranker_variants()`, as the benchmark needs;
    the product alone serves the editor). `links`: the index's imports and similarity, read as
    features (the fit's history queries see them as the index has them now). With `select`, the
    product leaves out each optional signal (OPTIONAL) that does not help on the fit queries' own
    later part (`choose_signals`); `dropped` names them. `sessions`: the editor's sessions as
    commits (`queries.next.session_commits`), extra training examples for the predictor, each in
    its place in time (the rankers' fit queries are the history's commits alone).

    The rankers are fit on the queries of history from `cfg.ranker_fit_start` on, the later counting
    more; the model's residual and the optional signals are judged on those of its last 20%, scored
    by a predictor trained on the commits before them. The returned predictor is then trained on
    all of `history`.
    """
    t0 = time.perf_counter()
    if prior is None:
        prior = load_prior(cfg, log=log)
    inner = int(len(history) * SPLIT)
    cut = history[inner].time if inner < len(history) else None
    early = train_predictor(with_sessions(history[:inner], sessions, cut), cfg, seed=seed, file_vectors=file_vectors, prior=prior,
                            log=log)
    # Every fit query from ranker_fit_start on (weighted by recency) fits the statistics' ranker;
    # those of the last 20%, which the early predictor has not seen, also decide on its signals.
    wide, when, data = [], [], []
    start = cfg.ranker_fit_start if cfg.model_residual is not None else None
    for q, _, names, rows, _ in query_rows(history, early, cfg, links, start=start, scored_from=inner):
        wide.append((rows, np.array([g in q.truth for g in names], np.float32)))
        when.append(q.commit_index)
        if q.commit_index >= inner:
            data.append(wide[-1])
    weights = recency_weights(when, cfg.ranker_half_life)
    wanted = {k: v for k, v in ranker_variants().items() if variants is None or k in set(variants)}
    dropped: tuple[str, ...] = ()
    if select and cfg.model_residual is not None and "product" in wanted:
        dropped = choose_signals(cfg, data, seed, log)
        cols = tuple(c for c in FEATURES if not any(c in FEATURE_GROUPS[g] for g in (*dropped, "model")))
        product = fit_ranker(cols, cfg, wide, seed, log, weights)
        product.residual = 0.0 if "model" in dropped else cfg.model_residual
        product.lean, product.lean_by_tail = choose_lean(cfg, cols, wide, when, weights, seed, log)
        rankers = {"product": product}
    elif cfg.model_residual is None:
        rankers = {name: fit_ranker(cols, cfg, data, seed, log, weights) for name, cols in wanted.items()}
    else:  # one fit per column set: `product` and `stats` share theirs, only the residual differs
        model_cols = set(FEATURE_GROUPS["model"])
        by_cols: dict[tuple[str, ...], FusionRanker] = {}
        rankers = {}
        for name, cols in wanted.items():
            base_cols = tuple(c for c in cols if c not in model_cols)
            if base_cols not in by_cols:
                by_cols[base_cols] = fit_ranker(base_cols, cfg, wide, seed, log, weights)
            rankers[name] = copy.copy(by_cols[base_cols])
            rankers[name].residual = 0.0 if name == "stats" else cfg.model_residual
    log(f"nextfile: fusion fit on {len(wide)} queries of the training history")
    model = train_predictor(with_sessions(history, sessions), cfg, seed=seed, file_vectors=file_vectors, prior=prior, log=log)
    return FittedPipeline(model, rankers, len(wide), time.perf_counter() - t0, prior is not None, dropped)


def with_sessions(commits: list[Commit], sessions: list[Commit] | None, before: int | None = None) -> list[Commit]:
    """`commits` with the editor's sessions (those before `before`, unix s) merged in by time."""
    extra = sorted((c for c in sessions or () if before is None or c.time < before), key=lambda c: c.time)
    if not extra:
        return commits
    out, j = [], 0
    for c in commits:  # the commits keep their order (their times need not grow)
        while j < len(extra) and extra[j].time < c.time:
            out.append(extra[j])
            j += 1
        out.append(c)
    return out + extra[j:]


OPTIONAL = ("content", "model")  # the signals a workspace may do without: each must earn its place
KEEP_MARGIN = 0.001  # MRR a kept signal must add on the tail


def _tail_rr(ranker: FusionRanker, tail: list[tuple[np.ndarray, np.ndarray]], top: int | None = None) -> np.ndarray:
    """The reciprocal rank of each held-out fit query's first truth (each query its candidates'
    rows and 0/1 truth; 0 without one) under the ranker, the rankings cut at `top` when given."""
    out = np.zeros(len(tail))
    for i, (rows, y) in enumerate(tail):
        hits = np.flatnonzero(y[np.argsort(-ranker.score(rows), kind="stable")[:top]] > 0)
        out[i] = 1.0 / (hits[0] + 1) if len(hits) else 0.0
    return out


def _tail_mrr(ranker: FusionRanker, tail: list[tuple[np.ndarray, np.ndarray]], top: int | None = None) -> float:
    """The ranker's MRR over held-out fit queries (MRR@top when `top` is given)."""
    return float(_tail_rr(ranker, tail, top).mean()) if tail else 0.0


def choose_signals(cfg: NextFileConfig, data: list[tuple[np.ndarray, np.ndarray]], seed: int,
                   log: Callable[[str], None]) -> tuple[str, ...]:
    """The optional signal groups to leave out: fit on the first 70% of the fit queries (time
    order), score the rest with and without each, keep a group only where it adds KEEP_MARGIN."""
    cut = int(len(data) * 0.7)
    if not cut or len(data) - cut < 20:
        return ()
    model_cols = set(FEATURE_GROUPS["model"])
    results: dict[tuple[str, ...], float] = {}
    for drop_content in (False, True):
        cols = tuple(c for c in FEATURES if c not in model_cols
                     and not (drop_content and c in FEATURE_GROUPS["content"]))
        ranker = FusionRanker(cols, cfg).fit(data[:cut], seed)
        for drop_model in (False, True):
            ranker.residual = 0.0 if drop_model else (cfg.model_residual or 0.0)
            key = tuple(g for g, d in (("content", drop_content), ("model", drop_model)) if d)
            results[key] = _tail_mrr(ranker, data[cut:]) - KEEP_MARGIN * (len(OPTIONAL) - len(key))
    best = max(results, key=lambda k: (results[k], len(k)))
    log(f"nextfile: signals left out on this history's tail: {', '.join(best) or 'none'}")
    return best


def prior_lean(cfg: NextFileConfig, queries: int) -> float:
    """The lean a fit on `queries` fit queries starts from: the grid's least, more the fewer they are
    (half way to 1 at `cfg.ranker_lean_prior_queries`), but never more than `cfg.ranker_lean_most`:
    a ranker fit on few queries ranks worse than counting, yet counting knows little more there."""
    least = cfg.ranker_lean_grid[0] if cfg.ranker_lean_grid else 0.0
    n0 = cfg.ranker_lean_prior_queries
    lean = least + (1.0 - least) * n0 / (n0 + queries) if n0 > 0 else least
    return max(least, min(lean, cfg.ranker_lean_most))


def choose_lean(cfg: NextFileConfig, cols: tuple[str, ...], data: list[tuple[np.ndarray, np.ndarray]],
                when: list[int], weights: np.ndarray | None, seed: int,
                log: Callable[[str], None]) -> tuple[float, bool]:
    """How far the product leans on co-change+recency's order (`FusionRanker.lean`), and whether the
    history's own latest queries chose it (else it is `prior_lean`).

    The ranker is fit on the fit queries of commits before the latest 30% of them and judged
    (MRR@10) on those (time order: the workspace's own held-out tail, never later history). The
    lean of `cfg.ranker_lean_grid` that ranks them best (the least on a tie) replaces the prior
    lean only where its gain over it beats `cfg.ranker_lean_evidence` standard errors of the
    per-query difference: on a short tail a small win is noise, and refits a few commits apart
    would flip between leans."""
    grid = cfg.ranker_lean_grid
    start = prior_lean(cfg, len(data))
    if not grid or len(data) < 2:
        return start, False
    first_tail = when[int(len(when) * 0.7)]
    cut = next(i for i, t in enumerate(when) if t >= first_tail)
    if not cut or len(data) - cut < 20:
        return start, False
    ranker = FusionRanker(cols, cfg).fit(data[:cut], seed, None if weights is None else weights[:cut])
    rr = {}
    for lean in (start, *grid):
        ranker.lean = lean
        rr[lean] = _tail_rr(ranker, data[cut:], top=10)
    best = max(grid, key=lambda a: (rr[a].mean(), -a))
    gain = rr[best] - rr[start]
    error = float(gain.std(ddof=1) / np.sqrt(len(gain)))
    won = bool(gain.mean() > 0 and gain.mean() > cfg.ranker_lean_evidence * error)
    lean = best if won else start
    log(f"nextfile: MRR@10 on this history's latest {len(gain)} fit queries by the share of co-change+recency's "
        f"order: {start:.2f} (the prior for {len(data)} fit queries) {rr[start].mean():.3f}, "
        + ", ".join(f"{a:g} {rr[a].mean():.3f}" for a in grid)
        + f"; the best's gain {gain.mean():+.3f} (standard error {error:.3f}); serving {lean:.2f}")
    return lean, won
