"""The fusion ranker: a listwise numpy MLP over the candidates' features, with a hand-written Adam."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.features import FEATURES
from vjepa_core.patterns.cochange import Scorer

_MODEL_COS = FEATURES.index("model_cos")
_CR_RANK = FEATURES.index("cr_rank")  # 1 / (1 + the candidate's place in co-change+recency's order)


def _zscore(v: np.ndarray) -> np.ndarray:
    """Standardised over the query's candidates; a candidate the model did not score gets the minimum."""
    ok = v > -1.0
    out = np.zeros(len(v), np.float64)
    if ok.sum() > 1:
        out[ok] = (v[ok] - v[ok].mean()) / (v[ok].std() + 1e-6)
        out[~ok] = out[ok].min()
    return out


class FusionRanker:
    """Listwise ranker: a tiny MLP scores each candidate, softmax over a query's candidates.

    Plain numpy with hand-written gradients: the problem is a few hundred thousand rows of twenty
    features, where MLX's CPU batched matmul costs ~100x more than numpy's 2-D one.
    """

    def __init__(self, features: tuple[str, ...], cfg: NextFileConfig) -> None:
        self.features, self.cfg = features, cfg
        self.cols = [FEATURES.index(f) for f in features]
        self.mean = np.zeros(len(self.cols), np.float32)
        self.std = np.ones(len(self.cols), np.float32)
        self.params = self._init(np.random.default_rng(0))
        # The product's fusion: this times the model's cosine, standardised over the query's
        # candidates, is added to the score (the ranker itself then reads no model feature).
        self.residual = 0.0
        # How far the ranking leans on co-change+recency's order (chosen per workspace by
        # `fit.choose_lean`: a prior for the history's size, or what its fit queries' own later part
        # clearly favours): 0 the learned score alone, 1 that order alone, in between a blend of the
        # two, each standardised over the query's candidates.
        self.lean = 0.0
        self.lean_by_tail = False  # whether that later part chose it (else: the prior)

    def _init(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        d, h = len(self.cols), self.cfg.ranker_hidden
        if not h:
            return {"w2": np.zeros((d, 1)), "b2": np.zeros(1)}
        return {"w1": rng.uniform(-1, 1, (d, h)) / math.sqrt(d), "b1": np.zeros(h),
                "w2": rng.uniform(-1, 1, (h, 1)) / math.sqrt(h), "b2": np.zeros(1)}

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        h = np.tanh(x @ p["w1"] + p["b1"]) if "w1" in p else x
        return (h @ p["w2"] + p["b2"])[:, 0], h

    def fit(self, data: list[tuple[np.ndarray, np.ndarray]], seed: int = 0,
            weights: np.ndarray | None = None) -> FusionRanker:
        """data: per query, (feature rows, 0/1 truth per row); queries with no positive are skipped.
        `weights`: how much each query counts in the loss (default: all alike)."""
        keep = [i for i, (_, y) in enumerate(data) if y.any()]
        kept = [data[i] for i in keep]
        self.params = self._init(np.random.default_rng(seed))
        if not kept:
            return self
        w = np.ones(len(kept)) if weights is None else np.asarray(weights, np.float64)[keep]
        w = w / w.sum()
        allx = np.concatenate([x[:, self.cols] for x, _ in kept]).astype(np.float64)
        data = [(None, y) for _, y in kept]  # the truth per query; the rows are in allx
        del kept
        self.mean, self.std = allx.mean(0), allx.std(0) + 1e-4
        q, m = len(data), max(len(y) for _, y in data)
        # The candidates' rows in query order, which is the order of the True cells of `ms`
        # (row-major), with no padded [queries x most candidates] matrix in between.
        x2 = allx
        x2 -= self.mean
        x2 /= self.std
        del allx
        ys = np.zeros((q, m), bool)
        ms = np.zeros((q, m), bool)
        for i, (_, y) in enumerate(data):
            ys[i, : len(y)] = y > 0
            ms[i, : len(y)] = True
        moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in self.params.items()}
        lr, l2, (b1, b2) = self.cfg.ranker_lr, self.cfg.ranker_l2, (0.9, 0.999)
        for t in range(1, self.cfg.ranker_steps + 1):
            s_flat, h = self._forward(x2)
            s = np.full((q, m), -1e9)
            s[ms] = s_flat
            p_all = np.exp(s - s.max(1, keepdims=True))
            p_all /= p_all.sum(1, keepdims=True)
            st = np.where(ys, s, -1e9)
            p_pos = np.exp(st - st.max(1, keepdims=True))
            p_pos /= p_pos.sum(1, keepdims=True)
            ds = ((p_all - p_pos) * w[:, None])[ms][:, None]  # d loss / d score
            grads = {"w2": h.T @ ds, "b2": ds.sum(0)}
            if "w1" in self.params:
                dz = (ds @ self.params["w2"].T) * (1 - h ** 2)
                grads |= {"w1": x2.T @ dz, "b1": dz.sum(0)}
            for k, g in grads.items():
                g = g + 2 * l2 * self.params[k]
                m1, m2 = moments[k]
                m1 *= b1
                m1 += (1 - b1) * g
                m2 *= b2
                m2 += (1 - b2) * g * g
                self.params[k] -= lr * (m1 / (1 - b1 ** t)) / (np.sqrt(m2 / (1 - b2 ** t)) + 1e-8)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        if self.lean >= 1.0:
            return counted_order(rows)
        s = self._forward((rows[:, self.cols] - self.mean) / self.std)[0]
        s = s + self.residual * _zscore(rows[:, _MODEL_COS]) if self.residual else s
        return (1 - self.lean) * _standard(s) + self.lean * _standard(counted_order(rows)) if self.lean else s

    def contributions(self, rows: np.ndarray, groups: dict[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
        """Per group, how much its features add to each row's score: the score minus the score with
        the group at the fit's average (the MLP is not additive; this is what the group moves)."""
        if len(rows) == 0:
            return {g: np.zeros(0) for g in groups}
        x = (rows[:, self.cols] - self.mean) / self.std
        full = self._forward(x)[0]
        out = {}
        for g, feats in groups.items():
            idx = [i for i, f in enumerate(self.features) if f in feats]
            if not idx:
                out[g] = np.zeros(len(rows))
                continue
            xg = x.copy()
            xg[:, idx] = 0.0
            out[g] = full - self._forward(xg)[0]
        if self.residual:
            out["model"] = out.get("model", 0) + self.residual * _zscore(rows[:, _MODEL_COS])
        if self.lean:  # the counted order's share speaks for co-change (its own scale: the rows' spread)
            counted = counted_order(rows)
            scale = 1 - self.lean
            out = {g: scale * v / (full.std() + 1e-6) for g, v in out.items()}
            out["cochange"] = out.get("cochange", 0) + self.lean * (counted - counted.mean()) / (counted.std() + 1e-6)
        return out

    def rank(self, names: list[str], rows: np.ndarray, fallback: list[str]) -> list[str]:
        """Candidates by score (ties: the fallback's order), then the rest of the fallback."""
        s = self.score(rows)
        pos = {g: i for i, g in enumerate(fallback)}
        order = sorted(range(len(names)), key=lambda i: (-s[i], pos.get(names[i], len(pos)), names[i]))
        ranked = [names[i] for i in order]
        taken = set(ranked)
        return ranked + [g for g in fallback if g not in taken]


def counted_order(rows: np.ndarray) -> np.ndarray:
    """Co-change+recency's order as a score (higher first): minus the log of its place."""
    return np.log(np.maximum(rows[:, _CR_RANK].astype(np.float64), 1e-9))


def _standard(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() + 1e-6) if len(v) > 1 else np.zeros(len(v))


def recency_weights(when: list[int], half_life: float) -> np.ndarray | None:
    """Each fit query's weight from its commit's place (`when`): the latest counts 1, one `half_life`
    (a fraction of the span from the first fit query to the last) earlier counts half as much."""
    if not when or not half_life:
        return None
    t = np.asarray(when, np.float64)
    age = (t.max() - t) / max(t.max() - t.min(), 1.0)
    return 0.5 ** (age / half_life)


def fit_ranker(cols: tuple[str, ...], cfg: NextFileConfig, data: list[tuple[np.ndarray, np.ndarray]],
                seed: int, log: Callable[[str], None], weights: np.ndarray | None = None) -> FusionRanker:
    """Choose the L2 weight on the fit queries' own later part (time order), then refit on all."""
    cut = int(len(data) * 0.7)
    best = (-1.0, cfg.ranker_l2_grid[0] if len(cfg.ranker_l2_grid) == 1 else cfg.ranker_l2)
    if len(cfg.ranker_l2_grid) > 1 and cut and len(data) - cut >= 20:
        for l2 in cfg.ranker_l2_grid:
            r = FusionRanker(cols, replace(cfg, ranker_l2=l2)).fit(data[:cut], seed,
                                                                   None if weights is None else weights[:cut])
            s = Scorer()
            for rows, y in data[cut:]:
                order = np.argsort(-r.score(rows), kind="stable")
                s.add((int(i) for i in order), frozenset(np.flatnonzero(y).tolist()))
            best = max(best, (s.result()["mrr"], l2))
    log(f"nextfile: ranker without {sorted(set(FEATURES) - set(cols)) or 'nothing'}: l2 {best[1]}")
    return FusionRanker(cols, replace(cfg, ranker_l2=best[1])).fit(data, seed, weights)
