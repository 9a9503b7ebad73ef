"""One swarm worker: this rank's shards through the one training loop (vjepa_core.model.train.train).

The run has S shards (S = the workers it started with). A step's global batch is the union of one
micro-batch per shard, each drawn by its own generator seeded with (seed, shard, step). A worker of
rank r in a world of size W owns shards r, r+W, ...; `train` sums its shards' gradients, and the ranks
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
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
import psutil
from mlx.utils import tree_flatten, tree_unflatten

from vjepa_core.model.encoder import checkpoint as ckpt_io
from vjepa_core.model.encoder.batches import Batch, BatchSampler
from vjepa_core.model.encoder.checkpoint import Checkpoint
from vjepa_core.model.encoder.monitor import collapse_stats
from vjepa_core.model.encoder.network import Encoder, EncoderConfig
from vjepa_core.model.encoder.objective import JEPA, init_models, pack_weights
from vjepa_core.model.encoder.schedules import make_optimizer
from vjepa_core.model.encoder.tokenizer import CodeTokenizer
from vjepa_core.model.train import StepReport, TrainConfig, TrainingCallback, train
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



class ShardBatches:
    """Micro-batches of one shard: step `it` always gives the same batch (seeded by seed, shard, it)."""

    def __init__(self, arrays: dict[str, np.ndarray], shard: int, cfg: TrainConfig, enc_cfg: EncoderConfig,
                 batch: int, cross_batch: int, newline_ids: np.ndarray) -> None:
        self.shard, self.batch, self.cross_batch = shard, batch, cross_batch
        self.sampler = BatchSampler(arrays, cfg, enc_cfg.max_len, newline_ids)
        self.ids = self.sampler.ids

    def __call__(self, seed: int, it: int) -> Batch:
        return self.sampler.draw(np.random.default_rng([seed, self.shard, it]), self.batch, self.cross_batch)


def _part(arrays: dict[str, mx.array], prefix: str) -> list[tuple[str, mx.array]]:
    return [(k[len(prefix):], v) for k, v in arrays.items() if k.startswith(prefix)]


def per_shard_batch(total: int, shards: int) -> int:
    """A shard's share of a global batch; at least 2 (the variance term needs two samples)."""
    return max(2, math.ceil(total / shards))


def _coordinator_alive(coord: dict[str, Any] | None) -> bool:
    if not coord or coord.get("host") != socket.gethostname():
        return True  # no coordinator (a direct run), or on another machine: nothing to check
    return psutil.pid_exists(int(coord["pid"]))


def run_worker(run: RunFolder, group: mx.distributed.Group | None = None, *,
               log: Callable[[str], None] = lambda _: None) -> Checkpoint | None:
    """Train this rank's shards to the run's last step. Returns the final checkpoint on rank 0."""
    spec = run.spec()
    world = group if group is not None else mx.distributed.init()
    rank, size = world.rank(), world.size()
    S = int(spec["shards"])
    if size > S:
        raise ValueError(f"{size} workers for {S} shards: at most one worker per shard")
    cfg = TrainConfig.from_dict(spec["train_config"])
    enc_cfg = EncoderConfig(**spec["encoder_config"])
    tokenizer = CodeTokenizer.from_json(spec["tokenizer"])
    mine = list(range(rank, S, size))
    batch, cross_batch = per_shard_batch(cfg.batch_size, S), per_shard_batch(cfg.cross_view_batch, S)
    shards = [ShardBatches(run.load_shard(s), s, cfg, enc_cfg, batch, cross_batch, tokenizer.newline_ids)
              for s in mine]
    heart = Heartbeat(run, rank, {"pid": os.getpid(), "host": socket.gethostname(), "shards": mine, "world": size,
                                  "state": "starting", "step": 0, "steps": int(spec["steps"])})
    try:
        return _train_shards(run, spec, world, heart, shards, log)
    except BaseException:
        heart.close(state="failed")
        raise


class WorkerCallback(TrainingCallback):
    """What a swarm worker does around each step of the loop: stop when the coordinator is gone,
    rank 0's loss curve and checkpoints, the heartbeat, and the pace limit."""

    def __init__(self, run: RunFolder, spec: dict[str, Any], rank: int, start: int, heart: Heartbeat,
                 save: Callable[[StepReport], None]) -> None:
        self.run, self.rank, self.start, self.heart, self.save = run, rank, start, heart, save
        self.steps = int(spec["steps"])
        self.every = max(1, int(spec.get("checkpoint_every") or 10))
        self.pace = float(spec.get("max_steps_per_s") or 0.0)
        self.coord = spec.get("coordinator")
        self.proc = psutil.Process()
        self.since_save = 0
        self.t0 = time.perf_counter()

    def on_step_begin(self, step: int) -> None:
        if not _coordinator_alive(self.coord):
            raise CoordinatorGone("the coordinator has exited")

    def on_sync_begin(self) -> None:
        self.heart.update(state="syncing")

    def on_sync_end(self) -> None:
        self.heart.update(state="training")

    def on_step_end(self, report: StepReport) -> None:
        it = report.step
        if self.rank == 0:  # the loss curve, for time-to-target in `vjepa bench swarm`
            with open(self.run.path / "losses.jsonl", "a", encoding="utf-8") as f:
                f.write(f'{{"step": {it}, "time": {time.time():.3f}, "loss": {report.loss:.6f}}}\n')
        self.since_save += 1
        if self.rank == 0 and report.synced and (self.since_save >= self.every or it == self.steps):
            self.save(report)
            self.since_save = 0
        self.heart.update(step=it, progress_time=time.time(), loss=report.loss, steps_per_s=report.steps_per_s,
                          rss_mb=self.proc.memory_info().rss / 2**20, lr=report.lr, grad_norm=report.grad_norm)
        if self.pace > 0:
            wait = (it - self.start) / self.pace - (time.perf_counter() - self.t0)
            if wait > 0:
                time.sleep(wait)


def _resume(run: RunFolder, model: JEPA, target: Encoder, optimizer: optim.Optimizer, log: Callable[[str], None],
            rank: int) -> int:
    """Load the run's saved state, if any, into the modules and optimizer; returns its step (0: none)."""
    saved = run.load_state()
    if saved is None:
        return 0
    info, arrays = saved
    model.load_weights(_part(arrays, "model."), strict=True)
    target.load_weights(_part(arrays, "target."), strict=True)
    optimizer.state = tree_unflatten(_part(arrays, "opt."))
    log(f"rank {rank}: resumed at step {int(info['step'])}")
    return int(info["step"])


def _train_shards(run: RunFolder, spec: dict[str, Any], world: mx.distributed.Group, heart: Heartbeat,
                  shards: list[ShardBatches], log: Callable[[str], None]) -> Checkpoint | None:
    """The modules (from the run's init checkpoint or saved state), then the one loop over the shards."""
    rank, size = world.rank(), world.size()
    S = int(spec["shards"])
    cfg = TrainConfig.from_dict(spec["train_config"])
    enc_cfg = EncoderConfig(**spec["encoder_config"])
    tokenizer = CodeTokenizer.from_json(spec["tokenizer"])
    steps, seed = int(spec["steps"]), int(cfg.seed)
    sync_every = int(spec.get("sync_every") or 0)

    mx.random.seed(seed)
    model, target = init_models(enc_cfg, ckpt_io.load(run.init_dir) if spec.get("init") else None)
    optimizer = make_optimizer(cfg)
    optimizer.init(model.trainable_parameters())
    start = _resume(run, model, target, optimizer, log, rank)
    mx.eval(model.parameters(), target.parameters(), optimizer.state)

    def save(report: StepReport) -> None:
        arrays = {f"model.{k}": v for k, v in tree_flatten(model.parameters())}
        arrays |= {f"target.{k}": v for k, v in tree_flatten(target.parameters())}
        arrays |= {f"opt.{k}": v for k, v in tree_flatten(optimizer.state)}
        run.save_state(report.step, arrays, {"loss": report.loss, "world": size})
        meta = {"units": int(spec.get("units", 0)), "steps": steps, "step": report.step, "swarm": {
            "shards": S, "world": size, "sync_every": sync_every},
            "final": {"loss": report.loss, "jepa": report.jepa, "cross": report.cross, "variance": report.variance},
            "fine_tuned": bool(spec.get("init"))}
        if report.step == steps:
            probe = shards[0].ids[: cfg.probe_size]
            meta["collapse"] = collapse_stats(np.array(target.pool(mx.array(probe))))
        ckpt_io.save(Checkpoint(enc_cfg, tokenizer.to_json(), pack_weights(model, target), cfg.to_dict(), meta),
                     run.checkpoint_dir)

    heart.update(state="training")
    train(model, target, optimizer, lambda it: [sb(seed, it) for sb in shards], cfg, steps=steps, start=start,
          shards=S, group=world, sync_every=sync_every,
          callbacks=[WorkerCallback(run, spec, rank, start, heart, save)])
    # A fingerprint of the weights: after the last all-reduce or weight sync every rank has the same.
    fingerprint = sum(float(mx.abs(v).sum()) for _, v in tree_flatten(target.parameters()))
    heart.close(state="done", step=steps, progress_time=time.time(), fingerprint=fingerprint)
    if rank == 0:
        return ckpt_io.load(run.checkpoint_dir)
    return None
