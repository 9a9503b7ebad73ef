"""One worker's training loop: JEPA (vjepa_core.model.encoder.jepa's loss, optimizer and schedule) over shards.

The run has S shards (S = the workers it started with). A step's global batch is the union of one
micro-batch per shard, each drawn by its own generator seeded with (seed, shard, step). A worker of
rank r in a world of size W owns shards r, r+W, ...; it sums its shards' gradients, and the ranks
all-reduce them (`nn.average_gradients`) into the mean over the S shards. So the weights do not
depend on how many workers share the shards: a run that lost a worker and resumed on the others
computes what the full swarm would have (up to float rounding), and resuming needs no RNG state.

With `sync_every` K > 0 the ranks instead step on their own gradients and average their weights
(context and target encoders) every K steps: less traffic for slow links, not the same result.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
import psutil
from mlx import nn
from mlx.utils import tree_flatten, tree_map, tree_unflatten

from vjepa_core.model.encoder import checkpoint as ckpt_io
from vjepa_core.model.encoder.checkpoint import Checkpoint
from vjepa_core.model.encoder.jepa import (
    TrainConfig,
    _bucket_len,
    _loss,
    _optimizer,
    _schedule,
    collapse_stats,
    init_models,
)
from vjepa_core.model.encoder.masks import MaskConfig, sample_masks
from vjepa_core.model.encoder.network import EncoderConfig
from vjepa_core.model.encoder.tokenizer import CodeTokenizer
from vjepa_core.swarm.runfolder import RunFolder


class Heartbeat:
    """Writes this worker's heartbeat every `every` seconds from a thread, so that a worker blocked in
    an all-reduce (MLX releases the GIL there) still shows that it is alive; `progress_time` tells
    whether it is getting anywhere. A stopped or wedged process stops beating altogether."""

    def __init__(self, run: RunFolder, rank: int, beat: dict[str, Any], every: float = 0.5) -> None:
        self.run, self.rank, self.beat, self.every = run, rank, beat, every
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.run.heartbeat(rank, dict(beat))
        self._thread = threading.Thread(target=self._loop, name="vjepa-heartbeat", daemon=True)
        self._thread.start()

    def update(self, **fields: Any) -> None:
        with self._lock:
            self.beat.update(fields)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                beat = dict(self.beat)
            self.run.heartbeat(self.rank, beat)

    def close(self, **final: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.update(**final)
        self.run.heartbeat(self.rank, dict(self.beat))


class CoordinatorGone(RuntimeError):
    """The coordinator that started this worker has exited: stop (the next `--resume` continues)."""


def train_config_from_dict(d: dict[str, Any]) -> TrainConfig:
    return TrainConfig(**{**d, "mask": MaskConfig(**d["mask"]), "length_buckets": tuple(d["length_buckets"])})


def train_config_to_dict(cfg: TrainConfig) -> dict[str, Any]:
    d = asdict(cfg)
    d["length_buckets"] = list(cfg.length_buckets)
    return d


class ShardBatches:
    """Micro-batches of one shard: step `it` always gives the same batch (seeded by seed, shard, it)."""

    def __init__(self, arrays: dict[str, np.ndarray], shard: int, cfg: TrainConfig, enc_cfg: EncoderConfig,
                 batch: int, cross_batch: int, newline_ids: np.ndarray) -> None:
        self.shard, self.cfg, self.batch, self.cross_batch = shard, cfg, batch, cross_batch
        self.newline_ids = newline_ids
        self.ids, self.doc_ids, self.body_ids = arrays["ids"], arrays["doc_ids"], arrays["body_ids"]
        self.max_len = enc_cfg.max_len
        lengths = (self.ids != 0).sum(axis=1)
        bucket_of = np.array([_bucket_len(int(n), cfg.length_buckets, enc_cfg.max_len) for n in lengths])
        self.buckets = {b: np.flatnonzero(bucket_of == b) for b in sorted(set(bucket_of.tolist()))}
        self.keys = list(self.buckets)
        p = np.array([len(self.buckets[b]) for b in self.keys], dtype=np.float64)
        self.p = p / p.sum()

    def __call__(self, seed: int, it: int) -> tuple[np.ndarray, ...]:
        cfg = self.cfg
        rng = np.random.default_rng([seed, self.shard, it])
        b = self.keys[int(rng.choice(len(self.keys), p=self.p))]
        pool = self.buckets[b]
        idx = rng.choice(pool, size=self.batch, replace=len(pool) < self.batch)
        ids = self.ids[idx, :b]
        keep, tmask = sample_masks(ids, rng, cfg.mask, self.newline_ids)
        n_pairs = len(self.doc_ids)
        if n_pairs:
            pidx = rng.choice(n_pairs, size=self.cross_batch, replace=n_pairs < self.cross_batch)
            doc_ids, body_ids = self.doc_ids[pidx], self.body_ids[pidx]
            doc_weight = np.ones(self.cross_batch, dtype=np.float32)
        else:
            doc_ids = np.zeros((self.cross_batch, cfg.doc_max_len), dtype=np.int32)
            body_ids = np.zeros((self.cross_batch, self.max_len), dtype=np.int32)
            doc_weight = np.zeros(self.cross_batch, dtype=np.float32)
        return ids, keep, tmask, doc_ids, body_ids, doc_weight


def _part(arrays: dict[str, mx.array], prefix: str) -> list[tuple[str, mx.array]]:
    return [(k[len(prefix):], v) for k, v in arrays.items() if k.startswith(prefix)]


def per_shard_batch(total: int, shards: int) -> int:
    """A shard's share of a global batch; at least 2 (the variance term needs two samples)."""
    return max(2, math.ceil(total / shards))


def _coordinator_alive(coord: dict[str, Any] | None) -> bool:
    if not coord or coord.get("host") != socket.gethostname():
        return True  # no coordinator (a direct run), or on another machine: nothing to check
    return psutil.pid_exists(int(coord["pid"]))


def run_worker(run: RunFolder, group: Any = None, *, log: Callable[[str], None] = lambda _: None) -> Checkpoint | None:
    """Train this rank's shards to the run's last step. Returns the final checkpoint on rank 0."""
    spec = run.spec()
    world = group if group is not None else mx.distributed.init()
    rank, size = world.rank(), world.size()
    S = int(spec["shards"])
    if size > S:
        raise ValueError(f"{size} workers for {S} shards: at most one worker per shard")
    cfg = train_config_from_dict(spec["train_config"])
    enc_cfg = EncoderConfig(**spec["encoder_config"])
    tokenizer = CodeTokenizer.from_json(spec["tokenizer"])
    mine = list(range(rank, S, size))
    batch, cross_batch = per_shard_batch(cfg.batch_size, S), per_shard_batch(cfg.cross_view_batch, S)
    shards = [ShardBatches(run.load_shard(s), s, cfg, enc_cfg, batch, cross_batch, tokenizer.newline_ids)
              for s in mine]
    heart = Heartbeat(run, rank, {"pid": os.getpid(), "host": socket.gethostname(), "shards": mine, "world": size,
                                  "state": "starting", "step": 0, "steps": int(spec["steps"])})
    try:
        return _train(run, spec, world, heart, shards, log)
    except BaseException:
        heart.close(state="failed")
        raise


def _train(run: RunFolder, spec: dict[str, Any], world: Any, heart: Heartbeat, shards: list[ShardBatches],
           log: Callable[[str], None]) -> Checkpoint | None:
    rank, size = world.rank(), world.size()
    S = int(spec["shards"])
    cfg = train_config_from_dict(spec["train_config"])
    enc_cfg = EncoderConfig(**spec["encoder_config"])
    tokenizer = CodeTokenizer.from_json(spec["tokenizer"])
    steps, seed = int(spec["steps"]), int(cfg.seed)
    sync_every = int(spec.get("sync_every") or 0)
    every = max(1, int(spec.get("checkpoint_every") or 10))
    pace = float(spec.get("max_steps_per_s") or 0.0)
    coord = spec.get("coordinator")
    proc = psutil.Process()

    mx.random.seed(seed)
    model, target = init_models(enc_cfg, ckpt_io.load(run.init_dir) if spec.get("init") else None)
    optimizer = _optimizer(cfg)
    optimizer.init(model.trainable_parameters())
    start = 0
    saved = run.load_state()
    if saved is not None:
        info, arrays = saved
        start = int(info["step"])
        model.load_weights(_part(arrays, "model."), strict=True)
        target.load_weights(_part(arrays, "target."), strict=True)
        optimizer.state = tree_unflatten(_part(arrays, "opt."))
        log(f"rank {rank}: resumed at step {start}")
    mx.eval(model.parameters(), target.parameters(), optimizer.state)

    loss_and_grad = nn.value_and_grad(model, _loss)
    weights = (cfg.cross_view_weight, cfg.cross_view_temperature,
               cfg.variance_weight, cfg.variance_target, cfg.covariance_weight)

    def grad_step(ids, keep, tmask, doc_ids, body_ids, doc_weight):  # type: ignore[no-untyped-def]
        feats = mx.stop_gradient(mx.fast.layer_norm(target(ids), None, None, enc_cfg.norm_eps))
        body_vec = mx.stop_gradient(target.pool(body_ids))
        parts, grads = loss_and_grad(model, ids, keep, tmask, feats, doc_ids, body_vec, doc_weight, weights)
        return mx.stack(list(parts)), grads

    state = [model.state, optimizer.state, target.state]

    def apply_step(grads, momentum):  # type: ignore[no-untyped-def]
        grads, grad_norm = optim.clip_grad_norm(grads, cfg.grad_clip)
        optimizer.update(model, grads)
        target.update(tree_map(lambda t, c: momentum * t + (1.0 - momentum) * c,
                               target.parameters(), model.encoder.parameters()))
        return grad_norm

    if cfg.compile:
        grad_step = mx.compile(grad_step, inputs=[model.state, target.state], outputs=[model.state])
        apply_step = mx.compile(apply_step, inputs=state, outputs=state)

    def save(it: int, parts: np.ndarray) -> None:
        arrays = {f"model.{k}": v for k, v in tree_flatten(model.parameters())}
        arrays |= {f"target.{k}": v for k, v in tree_flatten(target.parameters())}
        arrays |= {f"opt.{k}": v for k, v in tree_flatten(optimizer.state)}
        run.save_state(it, arrays, {"loss": float(parts[0]), "world": size})
        ckpt_io.save(_checkpoint(it, parts), run.checkpoint_dir)

    def _checkpoint(it: int, parts: np.ndarray) -> Checkpoint:
        w = {f"encoder.{k}": v for k, v in tree_flatten(target.parameters())}
        w |= {f"predictor.{k}": v for k, v in tree_flatten(model.predictor.parameters())}
        w |= {f"cross_head.{k}": v for k, v in tree_flatten(model.cross_head.parameters())}
        meta = {"units": int(spec.get("units", 0)), "steps": steps, "step": it, "swarm": {
            "shards": S, "world": size, "sync_every": sync_every},
            "final": {"loss": float(parts[0]), "jepa": float(parts[1]), "cross": float(parts[2]),
                      "variance": float(parts[3])},
            "fine_tuned": bool(spec.get("init"))}
        if it == steps:
            probe = shards[0].ids[: cfg.probe_size]
            meta["collapse"] = collapse_stats(np.array(target.pool(mx.array(probe))))
        return Checkpoint(enc_cfg, tokenizer.to_json(), w, train_config_to_dict(cfg), meta)

    t0 = time.perf_counter()
    since_save = 0
    parts = np.zeros(4, dtype=np.float32)
    heart.update(state="training")
    for it in range(start + 1, steps + 1):
        if not _coordinator_alive(coord):
            raise CoordinatorGone("the coordinator has exited")
        grads_sum = None
        parts_sum = None
        for sb in shards:
            p, g = grad_step(*(mx.array(a) for a in sb(seed, it)))
            grads_sum = g if grads_sum is None else tree_map(mx.add, grads_sum, g)
            parts_sum = p if parts_sum is None else parts_sum + p
        assert grads_sum is not None and parts_sum is not None
        if sync_every:
            grads = tree_map(lambda g: g / len(shards), grads_sum)
            part_mean = parts_sum / len(shards)
        else:  # the mean over all S shards: each rank scales its sum by W/S, the all-reduce divides by W
            scale = mx.array(size / S, dtype=mx.float32)
            avg = nn.average_gradients({"g": tree_map(partial(mx.multiply, scale), grads_sum),
                                        "p": parts_sum * scale}, group=world)
            grads, part_mean = avg["g"], avg["p"]
        frac = (it - 1) / max(1, steps - 1)
        momentum = mx.array(cfg.ema_start + (cfg.ema_end - cfg.ema_start) * frac, dtype=mx.float32)
        grad_norm = apply_step(grads, momentum)
        mx.eval(part_mean, grad_norm, model.parameters(), target.parameters(), optimizer.state)
        synced = not sync_every or size == 1
        if sync_every and (it % sync_every == 0 or it == steps) and size > 1:
            heart.update(state="syncing")
            avg = nn.average_gradients({"m": model.trainable_parameters(), "t": target.parameters()}, group=world)
            model.update(avg["m"])
            target.update(avg["t"])
            mx.eval(model.parameters(), target.parameters())
            heart.update(state="training")
            synced = True
        parts = np.array(part_mean)
        if not math.isfinite(float(parts[0])):
            raise FloatingPointError(f"loss became {parts[0]} at step {it}; lower the learning rate ({cfg.lr})")
        if rank == 0:  # the loss curve, for time-to-target in `vjepa bench swarm`
            with open(run.path / "losses.jsonl", "a", encoding="utf-8") as f:
                f.write(f'{{"step": {it}, "time": {time.time():.3f}, "loss": {float(parts[0]):.6f}}}\n')
        since_save += 1
        if rank == 0 and synced and (since_save >= every or it == steps):
            save(it, parts)
            since_save = 0
        elapsed = time.perf_counter() - t0
        heart.update(step=it, progress_time=time.time(), loss=float(parts[0]),
                     steps_per_s=(it - start) / max(elapsed, 1e-9), rss_mb=proc.memory_info().rss / 2**20,
                     lr=float(_schedule(cfg)(mx.array(it - 1))), grad_norm=float(grad_norm))
        if pace > 0:
            wait = (it - start) / pace - (time.perf_counter() - t0)
            if wait > 0:
                time.sleep(wait)
    # A fingerprint of the weights: after the last all-reduce or weight sync every rank has the same.
    fingerprint = sum(float(mx.abs(v).sum()) for _, v in tree_flatten(target.parameters()))
    heart.close(state="done", step=steps, progress_time=time.time(), fingerprint=fingerprint)
    if rank == 0:
        return ckpt_io.load(run.checkpoint_dir)
    return None
