"""The run folder: everything a swarm run shares, on disk, each file written atomically.

    run.json                 the spec: configs, tokenizer, shards, workers, backend (written once)
    shards/shard-<s>.npz     token ids of shard s (units, doc views, bodies) and its file list
    init/                    the checkpoint the run fine-tunes from (absent from scratch)
    state/                   resumable training state (weights, target, optimizer, step): a content-
                             addressed safetensors file + state.json, the commit point
    checkpoint/              the latest model (vjepa_core.model.encoder.checkpoint format), written by rank 0
    heartbeats/rank-<r>.json one per worker: step, loss, steps/s, memory, time
    status.json              the coordinator's view (state, workers, ETA, events): the dashboard's
                             and the language server's source
    promotion.json           the promotion decision and why
    workers.log              the workers' output
    losses.jsonl             rank 0's loss per step, with the time
A reader never sees half a file: every write is temp file + rename.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import mlx.core as mx
import numpy as np

from vjepa_core.model.encoder.atomic import (
    fsync_dir,
    remove_stale,
    sha256_file,
    write_json,
    write_safetensors,
)

FORMAT = 1


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


class RunFolder:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    # --- layout ---
    spec_path = property(lambda self: self.path / "run.json")
    shards_dir = property(lambda self: self.path / "shards")
    init_dir = property(lambda self: self.path / "init")
    state_dir = property(lambda self: self.path / "state")
    checkpoint_dir = property(lambda self: self.path / "checkpoint")
    heartbeat_dir = property(lambda self: self.path / "heartbeats")
    status_path = property(lambda self: self.path / "status.json")
    promotion_path = property(lambda self: self.path / "promotion.json")
    log_path = property(lambda self: self.path / "workers.log")
    lock_path = property(lambda self: self.path / "coordinator.lock")

    def exists(self) -> bool:
        return self.spec_path.exists()

    def spec(self) -> dict[str, Any]:
        spec = read_json(self.spec_path)
        if spec is None or spec.get("format") != FORMAT:
            raise FileNotFoundError(f"no usable run spec at {self.spec_path}")
        return spec

    def write_spec(self, spec: dict[str, Any]) -> None:
        write_json(self.spec_path, {"format": FORMAT, **spec})

    # --- shards ---
    def shard_path(self, s: int) -> Path:
        return self.shards_dir / f"shard-{s}.npz"

    def save_shard(self, s: int, arrays: dict[str, np.ndarray]) -> None:
        self.shards_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=self.shards_dir)
        os.close(fd)
        try:
            np.savez(tmp, **arrays)
            os.replace(tmp, self.shard_path(s))
        finally:
            Path(tmp).unlink(missing_ok=True)

    def load_shard(self, s: int) -> dict[str, np.ndarray]:
        with np.load(self.shard_path(s), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    # --- resumable state ---
    def save_state(self, step: int, arrays: dict[str, mx.array], info: dict[str, Any]) -> None:
        """Weights file first (content-addressed, never overwrites the current one), then state.json."""
        d = self.state_dir
        name, digest = write_safetensors(d, arrays, "state")
        write_json(d / "state.json", {"step": step, "file": name, "sha256": digest, "time": time.time(), **info})
        fsync_dir(d)
        remove_stale(d, "state", name)

    def state_info(self) -> dict[str, Any] | None:
        return read_json(self.state_dir / "state.json")

    def load_state(self) -> tuple[dict[str, Any], dict[str, mx.array]] | None:
        info = self.state_info()
        if info is None:
            return None
        path = self.state_dir / str(info["file"])
        if not path.exists() or sha256_file(path) != info["sha256"]:
            return None  # cannot happen with the write order above, unless the disk lies
        arrays = mx.load(str(path))
        assert isinstance(arrays, dict)
        return info, arrays

    def done_step(self) -> int:
        info = self.state_info()
        return int(info["step"]) if info else 0

    # --- heartbeats and status ---
    def heartbeat(self, rank: int, beat: dict[str, Any]) -> None:
        write_json(self.heartbeat_dir / f"rank-{rank}.json", {"rank": rank, "time": time.time(), **beat},
                   durable=False)

    def heartbeats(self) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        if self.heartbeat_dir.exists():
            for p in self.heartbeat_dir.glob("rank-*.json"):
                beat = read_json(p)
                if beat is not None:
                    out[int(beat["rank"])] = beat
        return dict(sorted(out.items()))

    def clear_heartbeats(self) -> None:
        if self.heartbeat_dir.exists():
            for p in self.heartbeat_dir.glob("rank-*.json"):
                p.unlink(missing_ok=True)

    def status(self) -> dict[str, Any] | None:
        return read_json(self.status_path)

    def write_status(self, status: dict[str, Any]) -> None:
        write_json(self.status_path, status, durable=False)
