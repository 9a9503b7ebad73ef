"""The one training loop of the unit encoder: `vjepa train` and every swarm worker call `train`.

In the spirit of mlx-lm's `tuner/trainer.train`: a model (the JEPA modules and their EMA target), an
optimizer, batches, a loss and callbacks. A step sums the gradients of this rank's micro-batches
and, when the group has more than one member, all-reduces them (`nn.average_gradients`) into the
mean over all `shards` micro-batches of the step; then clips, updates and moves the EMA target.
With `sync_every` K > 0 the ranks step on their own gradients and average their weights every K
steps instead (less traffic for slow links, not the same result). `train_encoder` is `vjepa train`'s
path: one micro-batch a step from one seeded generator, monitors and logs, a checkpoint at the end.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
from mlx import nn
from mlx.utils import tree_map

from vjepa_core.model.encoder.batches import Batch, BatchSampler
from vjepa_core.model.encoder.checkpoint import Checkpoint
from vjepa_core.model.encoder.masks import MaskConfig
from vjepa_core.model.encoder.monitor import collapse_stats
from vjepa_core.model.encoder.objective import (
    JEPA,
    ema_update,
    init_models,
    jepa_loss,
    loss_weights,
    pack_weights,
    target_features,
)
from vjepa_core.model.encoder.schedules import ema_momentum, lr_schedule, make_optimizer
from vjepa_core.model.encoder.views import encode_views, view_input

if TYPE_CHECKING:
    from vjepa_core.harvest.units import CodeUnit
    from vjepa_core.model.encoder.network import Encoder, EncoderConfig
    from vjepa_core.model.encoder.tokenizer import CodeTokenizer

LossFn = Callable[..., tuple[mx.array, ...]]  # jepa_loss's signature: (total, *parts)
BatchesFn = Callable[[int], Sequence[Batch]]  # step -> this rank's micro-batches for that step


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 300
    batch_size: int = 32
    lr: float = 5e-4
    min_lr_ratio: float = 0.05  # cosine decays to lr * min_lr_ratio
    warmup: int = 30
    weight_decay: float = 0.04  # on matrices and embeddings only, not on norms and biases
    # EMA momentum, linear from start to end. The time constant 1/(1-m) (100 -> 200 steps) must stay
    # well below `steps`, or the targets stay close to the random initialisation.
    ema_start: float = 0.99
    ema_end: float = 0.995
    grad_clip: float = 10.0
    seed: int = 0
    cross_view_weight: float = 0.25
    cross_view_temperature: float = 0.05  # InfoNCE over the batch's (doc view, body) pairs
    # Anti-collapse (VICReg-style) on the context encoder's pooled embeddings of the batch, rescaled
    # to RMS 1 per dimension: a hinge keeps every dimension's std across units above the target, and
    # a covariance penalty decorrelates dimensions. Without it, short runs on small repos collapse to
    # position-only features (a falling loss with mean pairwise cosine -> 1).
    variance_weight: float = 1.0
    variance_target: float = 0.5
    covariance_weight: float = 0.1
    cross_view_batch: int = 32
    doc_max_len: int = 48  # tokens of a docstring / signature view
    length_buckets: tuple[int, ...] = (32, 64)  # plus max_len; fewer pad tokens, few compiled shapes
    monitor_every: int = 50
    probe_size: int = 128
    log_every: int = 10
    compile: bool = True
    mask: MaskConfig = field(default_factory=MaskConfig)

    def to_dict(self) -> dict[str, Any]:
        """As a checkpoint's and a run spec's JSON holds it."""
        d = asdict(self)
        d["length_buckets"] = list(self.length_buckets)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        return cls(**{**d, "mask": MaskConfig(**d["mask"]), "length_buckets": tuple(d["length_buckets"])})


@dataclass(frozen=True)
class StepReport:
    """One step's figures (the loss parts are means over the step's micro-batches)."""

    step: int
    loss: float
    jepa: float
    cross: float
    variance: float
    grad_norm: float
    lr: float
    ema: float
    steps_per_s: float
    synced: bool  # every rank holds the same weights now (always, except between weight syncs)

    def as_log(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "synced"}


class TrainingCallback:
    """Hooks into `train`; each does nothing unless overridden."""

    def on_step_begin(self, step: int) -> None:
        """Before step `step` draws its batches (raise to stop the run)."""

    def on_step_end(self, report: StepReport) -> None:
        """After the step's update (and weight sync, if any)."""

    def on_sync_begin(self) -> None:
        """Before the ranks average their weights (`sync_every` only)."""

    def on_sync_end(self) -> None:
        """After they did."""


def _steps(model: JEPA, target: Encoder, optimizer: optim.Optimizer, cfg: TrainConfig,
           loss: LossFn) -> tuple[Callable[..., tuple[mx.array, Any]], Callable[[Any, mx.array], mx.array]]:
    """(grad_step, apply_step): a micro-batch's stacked loss parts and gradients; the update of the
    model and the EMA target from (averaged) gradients, returning the gradient norm before clipping."""
    loss_and_grad = nn.value_and_grad(model, loss)
    weights = loss_weights(cfg)

    def grad_step(ids: mx.array, keep: mx.array, tmask: mx.array, doc_ids: mx.array, body_ids: mx.array,
                  doc_weight: mx.array) -> tuple[mx.array, Any]:
        feats, body_vec = target_features(target, ids, body_ids)
        parts, grads = loss_and_grad(model, ids, keep, tmask, feats, doc_ids, body_vec, doc_weight, weights)
        return mx.stack(list(parts)), grads

    def apply_step(grads: Any, momentum: mx.array) -> mx.array:
        grads, grad_norm = optim.clip_grad_norm(grads, cfg.grad_clip)
        optimizer.update(model, grads)
        ema_update(target, model.encoder, momentum)
        return grad_norm

    if cfg.compile:
        state = [model.state, optimizer.state, target.state]
        return (mx.compile(grad_step, inputs=[model.state, target.state], outputs=[model.state]),
                mx.compile(apply_step, inputs=state, outputs=state))
    return grad_step, apply_step


def _mean_gradients(grad_step: Callable[..., tuple[mx.array, Any]], micro: Sequence[Batch], shards: int,
                    group: mx.distributed.Group | None, sync_every: int) -> tuple[Any, mx.array]:
    """The step's gradients and loss parts: the mean over this rank's micro-batches (`sync_every`),
    else over all `shards` micro-batches of every rank (each rank scales its sum by W/S, the
    all-reduce divides by W)."""
    grads_sum, parts_sum = None, None
    for batch in micro:
        p, g = grad_step(*(mx.array(a) for a in batch))
        grads_sum = g if grads_sum is None else tree_map(mx.add, grads_sum, g)
        parts_sum = p if parts_sum is None else parts_sum + p
    assert grads_sum is not None and parts_sum is not None, "a step needs at least one micro-batch"
    if sync_every:
        return tree_map(lambda g: g / len(micro), grads_sum), parts_sum / len(micro)
    size = group.size() if group is not None else 1
    if size == 1 and shards == 1:
        return grads_sum, parts_sum  # one micro-batch in all: it is the mean
    scale = mx.array(size / shards, dtype=mx.float32)
    grads_sum, parts_sum = tree_map(partial(mx.multiply, scale), grads_sum), parts_sum * scale
    if size == 1:
        return grads_sum, parts_sum
    avg = nn.average_gradients({"g": grads_sum, "p": parts_sum}, group=group)
    return avg["g"], avg["p"]


def _average_weights(model: JEPA, target: Encoder, group: mx.distributed.Group,
                     callbacks: Sequence[TrainingCallback]) -> None:
    for cb in callbacks:
        cb.on_sync_begin()
    avg = nn.average_gradients({"m": model.trainable_parameters(), "t": target.parameters()}, group=group)
    model.update(avg["m"])
    target.update(avg["t"])
    mx.eval(model.parameters(), target.parameters())
    for cb in callbacks:
        cb.on_sync_end()


def train(model: JEPA, target: Encoder, optimizer: optim.Optimizer, batches: BatchesFn, cfg: TrainConfig, *,
          loss: LossFn = jepa_loss, steps: int | None = None, start: int = 0, shards: int = 1,
          group: mx.distributed.Group | None = None, sync_every: int = 0,
          callbacks: Sequence[TrainingCallback] = ()) -> StepReport | None:
    """Train `model` (and its EMA `target`) from step `start` + 1 to `steps` (default cfg.steps).

    `batches(step)` gives this rank's micro-batches of a step; `shards` is how many the whole group
    draws per step; `group` is the mx.distributed group (None: this process alone). The optimizer
    is initialised (or restored) by the caller. Returns the last step's report (None: no step).
    """
    steps = cfg.steps if steps is None else steps
    size = group.size() if group is not None else 1
    grad_step, apply_step = _steps(model, target, optimizer, cfg, loss)
    schedule = lr_schedule(cfg)
    report = None
    t0 = time.perf_counter()
    for it in range(start + 1, steps + 1):
        for cb in callbacks:
            cb.on_step_begin(it)
        grads, parts = _mean_gradients(grad_step, batches(it), shards, group, sync_every)
        momentum = ema_momentum(cfg, it, steps)
        grad_norm = apply_step(grads, mx.array(momentum, dtype=mx.float32))
        mx.eval(parts, grad_norm, model.parameters(), target.parameters(), optimizer.state)
        synced = not sync_every or size == 1
        if sync_every and size > 1 and (it % sync_every == 0 or it == steps):
            assert group is not None
            _average_weights(model, target, group, callbacks)
            synced = True
        total, jepa, cross, reg = (float(v) for v in np.array(parts))
        if not math.isfinite(total):
            raise FloatingPointError(f"loss became {total} at step {it}; lower the learning rate (now {cfg.lr})")
        report = StepReport(it, total, jepa, cross, reg, float(grad_norm), float(schedule(mx.array(it - 1))),
                            float(np.float32(momentum)), (it - start) / (time.perf_counter() - t0), synced)
        for cb in callbacks:
            cb.on_step_end(report)
    return report


class _Monitor(TrainingCallback):
    """`vjepa train`'s logs: every step's figures, collapse monitors on a probe every `monitor_every`."""

    def __init__(self, target: Encoder, probe: np.ndarray, cfg: TrainConfig,
                 log: Callable[[dict[str, Any]], None]) -> None:
        self.target, self.probe, self.cfg, self.log = target, probe, cfg, log
        self.history: list[dict[str, Any]] = []
        self.stats = self.monitor()
        log({"step": 0, **self.stats})

    def monitor(self) -> dict[str, float]:
        emb = np.array(self.target.pool(mx.array(self.probe)))
        return {f"probe_{k}": v for k, v in collapse_stats(emb).items()}

    def on_step_end(self, report: StepReport) -> None:
        last = report.as_log()
        self.history.append(last)
        if report.step % self.cfg.monitor_every == 0 or report.step == self.cfg.steps:
            self.stats = self.monitor()
            last.update(self.stats)
            self.log(dict(last))
        elif report.step % self.cfg.log_every == 0:
            self.log(dict(last))


def _check_inputs(units: Sequence[Any], tokenizer: CodeTokenizer, enc_cfg: EncoderConfig,
                  init: Checkpoint | None) -> None:
    if tokenizer.vocab_size > enc_cfg.vocab_size:
        raise ValueError(f"tokenizer has {tokenizer.vocab_size} tokens, encoder config only {enc_cfg.vocab_size}")
    if init is not None and init.encoder_config != enc_cfg:
        raise ValueError("init checkpoint has a different encoder config; fine-tuning keeps the architecture")
    # Compared as data: a tokenizer loaded from a checkpoint serialises with other whitespace.
    if init is not None and json.loads(tokenizer.to_json()) != json.loads(init.tokenizer_json):
        raise ValueError("fine-tuning must use the init checkpoint's tokenizer (init.tokenizer)")
    if not units:
        raise ValueError("no units to train on")


def train_encoder(
    units: Sequence[str] | Sequence[CodeUnit],
    tokenizer: CodeTokenizer,
    enc_cfg: EncoderConfig,
    train_cfg: TrainConfig = TrainConfig(),
    *,
    init: Checkpoint | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> Checkpoint:
    """Train (or, from `init`, fine-tune) the unit encoder on `units` and return the checkpoint.

    `units` are unit texts, or CodeUnits (whose kind and name help find signature views).
    Deterministic given `train_cfg.seed`: same inputs, same weights.
    """
    cfg = train_cfg
    _check_inputs(units, tokenizer, enc_cfg, init)
    mx.random.seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    arrays = encode_views([view_input(u) for u in units], tokenizer, enc_cfg.max_len, cfg.doc_max_len)
    ids_all = arrays["ids"]
    probe = ids_all[rng.choice(len(ids_all), size=min(cfg.probe_size, len(ids_all)), replace=False)]
    sampler = BatchSampler(arrays, cfg, enc_cfg.max_len, tokenizer.newline_ids)

    model, target = init_models(enc_cfg, init)
    mx.eval(model.parameters(), target.parameters())
    optimizer = make_optimizer(cfg)
    optimizer.init(model.trainable_parameters())
    monitor = _Monitor(target, probe, cfg, log or (lambda _: None))
    t0 = time.perf_counter()
    # One generator drawn in step order: step it's batch is the it-th draw.
    train(model, target, optimizer, lambda it: [sampler.draw(rng, cfg.batch_size, cfg.cross_view_batch)], cfg,
          callbacks=[monitor])
    history = monitor.history
    metadata = {
        "units": len(units), "cross_view_pairs": len(arrays["doc_ids"]), "steps": cfg.steps,
        "first_loss": history[0]["loss"] if history else None, "final": history[-1] if history else {},
        "collapse": monitor.stats, "fine_tuned": init is not None, "seconds": time.perf_counter() - t0,
    }
    return Checkpoint(enc_cfg, tokenizer.to_json(), pack_weights(model, target), cfg.to_dict(), metadata)
