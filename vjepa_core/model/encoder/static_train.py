"""Training the static encoder in MLX, JEPA-style: a context view predicts the target view's embedding.

Views of a unit (views.py): its docstring or leading comment (or else its signature) and its name
are context views; the body (the unit without that docstring; for a name, without its first line)
is the target view. Both sides pool the same token table (static.py). The loss, for a batch of
(context, body) pairs, with cosine over a temperature:
- prediction in embedding space: the context's vector must pick its own body's vector, as the EMA
  target table embeds it (stop-gradient), out of the batch's bodies (InfoNCE: a plain regression is
  met by predicting the corpus' mean direction);
- the same between the online table's two views, both ways, which keeps the table itself aligned.
The negatives of the batch prevent collapse; `collapse_stats` on a probe watches it anyway.
Afterwards the corpus mean is measured on unit texts and stored, so random pairs are near orthogonal.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
from mlx import nn

from vjepa_core.model.encoder.monitor import collapse_stats
from vjepa_core.model.encoder.static import StaticEncoder
from vjepa_core.model.encoder.views import ViewInput, make_views

Pair = tuple[str, str, str]  # (context view, target view, group: where its hard negatives come from)


@dataclass(frozen=True)
class StaticTrainConfig:
    steps: int = 300
    batch_size: int = 256
    lr: float = 0.01
    min_lr: float = 5e-4
    warmup: int = 30
    temperature: float = 0.05
    ema: float = 0.995  # the target table's momentum (time constant 200 steps)
    jepa_weight: float = 1.0  # the prediction term beside the online two-view term
    context_len: int = 48  # tokens of a context view
    target_len: int = 256  # tokens of a body
    mean_sample: int = 20_000  # unit texts the stored mean is measured on
    learn_weights: bool = False  # learn a pooling weight per token (measured: no better; docs/BENCHMARKS.md)
    output: str = "ema"  # which table makes the vectors: "ema" (JEPA's target encoder) or "online"
    monitor_every: int = 50
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def first_sentence(doc: str) -> str:
    """A docstring's first sentence (what a search query looks like), at most 60 words."""
    para = doc.strip().split("\n\n", 1)[0].replace("\n", " ")
    end = para.find(". ")
    return " ".join((para[: end + 1] if end > 0 else para).split()[:60])


def training_pairs(units: Sequence[ViewInput], groups: Sequence[str] | None = None, *,
                   min_body_chars: int = 80) -> list[Pair]:
    """(context, body, group) triples: docstring/comment -> body for units that have one, and name ->
    body without its first line for every named definition whose rest has more than `min_body_chars`
    characters (the shipped model: 80; a workspace's own small code: 0). `groups` (one per unit: its package or
    folder) says which units are each other's hard negatives."""
    pairs: list[Pair] = []
    for i, (text, kind, name) in enumerate(units):
        group = groups[i] if groups is not None else ""
        doc, body = make_views(text, kind, name)
        if doc and len(doc.split()) >= 3 and doc not in text.split("\n", 1)[0]:
            pairs.append((first_sentence(doc), body, group))
        rest = body.split("\n", 1)[1] if "\n" in body else ""
        if name and not name.startswith("<") and rest.strip() and len(rest) > min_body_chars:
            pairs.append((name, rest, group))
    return pairs


class _Sampler:
    """Batches of pair indices: half from one group (a package: in-domain, hard negatives, as search
    within one project needs), the rest from anywhere."""

    def __init__(self, pairs: Sequence[Pair], batch: int, rng: np.random.Generator) -> None:
        self.batch, self.rng, self.n = batch, rng, len(pairs)
        by: dict[str, list[int]] = {}
        for i, p in enumerate(pairs):
            by.setdefault(p[2], []).append(i)
        self.groups = [np.array(v) for v in by.values() if len(v) >= 8]
        sizes = np.array([len(g) for g in self.groups], dtype=np.float64)
        self.p = sizes / sizes.sum() if len(sizes) else sizes

    def draw(self) -> np.ndarray:
        if not self.groups:
            return self.rng.choice(self.n, size=self.batch, replace=False)
        g = self.groups[int(self.rng.choice(len(self.groups), p=self.p))]
        inside = self.rng.choice(g, size=min(len(g), self.batch // 2), replace=False)
        rest = np.setdiff1d(self.rng.choice(self.n, size=min(self.n, 2 * self.batch), replace=False), inside)
        return np.concatenate([inside, self.rng.permutation(rest)[: self.batch - len(inside)]])


class _Table(nn.Module):
    def __init__(self, table: np.ndarray, mean: np.ndarray, weights: np.ndarray | None) -> None:
        super().__init__()
        self.embeddings = mx.array(table.astype(np.float32))
        w = np.ones(len(table), np.float32) if weights is None else weights
        self.log_weights = mx.array(np.log(w).astype(np.float32))
        self._mean = mx.array(mean.astype(np.float32))  # fixed: the centring the vectors will get

    def __call__(self, ids: mx.array, pw: mx.array) -> mx.array:
        """[B, L] ids and position weights (0 = padding) -> [B, D] centred, unit-normalised weighted
        mean rows."""
        w = (mx.exp(self.log_weights[ids]) * pw)[..., None]
        pooled = (self.embeddings[ids] * w).sum(axis=1) / mx.maximum(w.sum(axis=1), 1e-6) - self._mean
        return _unit(pooled)


class _Predictor(nn.Module):
    """JEPA's predictor: a linear map from a context view's vector to its target's (starts as identity)."""

    def __init__(self, init: np.ndarray) -> None:
        super().__init__()
        self.weight = mx.array(init.astype(np.float32))

    def __call__(self, x: mx.array) -> mx.array:
        return _unit(x @ self.weight.T)


class _Online(nn.Module):
    def __init__(self, table: np.ndarray, mean: np.ndarray, predictor: np.ndarray,
                 weights: np.ndarray | None) -> None:
        super().__init__()
        self.table = _Table(table, mean, weights)
        self.predictor = _Predictor(predictor)


def _unit(x: mx.array) -> mx.array:
    # rsqrt, not mx.linalg.norm: the norm's gradient is NaN on an all-padding row.
    return x * mx.rsqrt((x * x).sum(axis=-1, keepdims=True) + 1e-8)


def _info_nce(a: mx.array, b: mx.array, temperature: float) -> mx.array:
    return nn.losses.cross_entropy((a @ b.T) / temperature, mx.arange(a.shape[0]), reduction="mean")


def _lr(cfg: StaticTrainConfig) -> Callable[[mx.array], mx.array]:
    warm = optim.linear_schedule(cfg.lr / 10, cfg.lr, max(cfg.warmup, 1))
    cos = optim.cosine_decay(cfg.lr, max(cfg.steps - cfg.warmup, 1), cfg.min_lr)
    return optim.join_schedules([warm, cos], [max(cfg.warmup, 1)])


def train_static(model: StaticEncoder, pairs: Sequence[Pair], units: Sequence[str],
                 cfg: StaticTrainConfig = StaticTrainConfig(), *,
                 log: Callable[[dict[str, Any]], None] | None = None) -> StaticEncoder:
    """Fine-tune `model`'s table on `pairs`; returns a new StaticEncoder whose mean is measured on
    `units` (texts). Deterministic given cfg.seed."""
    if len(pairs) < 2:
        raise ValueError("training needs at least two (context, body) pairs: the code has no docstrings or names")
    log = log or (lambda _: None)
    rng = np.random.default_rng(cfg.seed)
    mx.random.seed(cfg.seed)
    ctx_ids, ctx_w = _padded(model, [p[0] for p in pairs], cfg.context_len, True)
    # A body cut from below its first line (a name's pair: the name is a bare identifier) has no head.
    body_ids, body_w = _padded(model, [p[1] for p in pairs], cfg.target_len, [" " in p[0] for p in pairs])
    chosen = rng.choice(len(pairs), size=min(256, len(pairs)), replace=False)
    probe, probe_w = mx.array(body_ids[chosen]), mx.array(body_w[chosen])

    mean = model.mean if model.mean.any() else corpus_mean(model, _sample(units, cfg.mean_sample, rng))
    predictor = model.predictor if model.predictor is not None else np.eye(model.dim, dtype=np.float32)
    online = _Online(model.embeddings, mean, predictor, model.token_weights)
    target = _Table(model.embeddings, mean, model.token_weights)
    online.table.freeze(keys=["_mean"] if cfg.learn_weights else ["_mean", "log_weights"])
    target.freeze()
    optimizer = optim.Adam(learning_rate=_lr(cfg))
    t = cfg.temperature

    def loss_fn(net: _Online, c: mx.array, cw: mx.array, b: mx.array, bw: mx.array) -> mx.array:
        q, k = net.predictor(net.table(c, cw)), net.table(b, bw)
        tk = mx.stop_gradient(target(b, bw))
        return 0.5 * (_info_nce(q, k, t) + _info_nce(k, q, t)) + cfg.jepa_weight * _info_nce(q, tk, t)

    loss_and_grad = nn.value_and_grad(online, loss_fn)
    state = [online.state, optimizer.state, target.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(c: mx.array, cw: mx.array, b: mx.array, bw: mx.array) -> mx.array:
        loss, grads = loss_and_grad(online, c, cw, b, bw)
        optimizer.update(online, grads)
        target.embeddings = cfg.ema * target.embeddings + (1.0 - cfg.ema) * online.table.embeddings
        target.log_weights = cfg.ema * target.log_weights + (1.0 - cfg.ema) * online.table.log_weights
        return loss

    def monitor(it: int, loss: float, t0: float) -> dict[str, Any]:
        stats = collapse_stats(np.array(online.table(probe, probe_w)))
        return {"step": it, "loss": loss, "steps_per_s": it / max(time.perf_counter() - t0, 1e-9),
                **{f"probe_{k}": v for k, v in stats.items()}}

    batch = min(cfg.batch_size, len(pairs))
    sampler = _Sampler(pairs, batch, rng)
    history: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for it in range(1, cfg.steps + 1):
        idx = sampler.draw()
        loss = step(mx.array(ctx_ids[idx]), mx.array(ctx_w[idx]), mx.array(body_ids[idx]), mx.array(body_w[idx]))
        mx.eval(loss, online.parameters(), target.parameters(), optimizer.state)
        value = float(loss)
        if not math.isfinite(value):
            raise FloatingPointError(f"loss became {value} at step {it}; lower the learning rate (now {cfg.lr})")
        entry: dict[str, Any] = {"step": it, "loss": value}
        if it == 1 or it % cfg.monitor_every == 0 or it == cfg.steps:
            entry = monitor(it, value, t0)
            log(entry)
        history.append(entry)
    final = target if cfg.output == "ema" else online.table  # the EMA table makes the vectors, as in JEPA
    table = np.array(final.embeddings)
    trained = StaticEncoder(model.tokenizer_json, table, np.zeros(table.shape[1], np.float32),
                            predictor=np.array(online.predictor.weight),
                            token_weights=np.exp(np.array(final.log_weights)) if cfg.learn_weights else
                            model.token_weights, max_words=model.max_words, head_weight=model.head_weight,
                            position_tau=model.position_tau, metadata=dict(model.metadata))
    trained.mean = corpus_mean(trained, _sample(units, cfg.mean_sample, rng))
    trained.metadata.update({
        "trained": {"pairs": len(pairs), "steps": cfg.steps, "seconds": round(time.perf_counter() - t0, 1),
                    "first_loss": history[0]["loss"], "final": history[-1], "config": cfg.to_dict()}})
    return trained


def _padded(model: StaticEncoder, texts: Sequence[str], length: int,
            heads: bool | Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    """[N, length] token ids and position weights (static.py), padded with zeros to `length`."""
    ids, weights = model.padded_ids(texts, length, heads=heads)
    pad = ((0, 0), (0, length - ids.shape[1]))
    return np.pad(ids, pad), np.pad(weights, pad)


def _sample(texts: Sequence[str], n: int, rng: np.random.Generator) -> list[str]:
    if len(texts) <= n:
        return list(texts)
    return [texts[i] for i in rng.choice(len(texts), size=n, replace=False)]


def corpus_mean(model: StaticEncoder, texts: Sequence[str]) -> np.ndarray:
    """The mean pooled vector of `texts` (units with no words left out): what centring subtracts."""
    pooled = model.pooled(list(texts))
    pooled = pooled[pooled.any(axis=1)]
    return pooled.mean(axis=0).astype(np.float32) if len(pooled) else np.zeros(model.dim, np.float32)
