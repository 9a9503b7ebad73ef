"""Schedules and the optimizer: warmup then cosine learning rate, a linear EMA momentum, AdamW with
weight decay on matrices and embeddings only."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import mlx.core as mx
import mlx.optimizers as optim

if TYPE_CHECKING:
    from vjepa_core.model.train import TrainConfig


def lr_schedule(cfg: TrainConfig) -> Callable[[mx.array], mx.array]:
    """Linear warmup from lr/1000 over `warmup` steps, then cosine decay to lr * min_lr_ratio."""
    warmup = max(1, min(cfg.warmup, cfg.steps - 1))
    return optim.join_schedules(
        [
            optim.linear_schedule(cfg.lr * 1e-3, cfg.lr, warmup),
            optim.cosine_decay(cfg.lr, max(1, cfg.steps - warmup), cfg.lr * cfg.min_lr_ratio),
        ],
        [warmup],
    )


def ema_momentum(cfg: TrainConfig, step: int, steps: int) -> float:
    """The target encoder's momentum at `step` (1-based) of `steps`: linear from ema_start to ema_end."""
    frac = (step - 1) / max(1, steps - 1)
    return cfg.ema_start + (cfg.ema_end - cfg.ema_start) * frac


def _no_decay(path: str, weight: mx.array) -> bool:
    return weight.ndim < 2  # norms and biases


def make_optimizer(cfg: TrainConfig) -> optim.Optimizer:
    schedule = lr_schedule(cfg)
    return optim.MultiOptimizer(
        [
            optim.AdamW(schedule, betas=[0.9, 0.999], weight_decay=0.0, bias_correction=True),
            optim.AdamW(schedule, betas=[0.9, 0.999], weight_decay=cfg.weight_decay, bias_correction=True),
        ],
        [_no_decay],
    )
