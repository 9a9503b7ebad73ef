"""Atomic files: a reader never sees half a file, and a crash leaves the old file or the new one.

Every write goes to a temp file in the same folder (fsynced when it must survive a crash) and is
renamed over its final name. Weights are content-addressed (`<prefix>-<sha256[:16]>.safetensors`),
so a new save never overwrites the file that the current JSON commit file names; the JSON is the
commit point. Used by checkpoints (checkpoint.py) and by the swarm's run folder (state, status).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import mlx.core as mx
    import numpy as np


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (POSIX; elsewhere the rename is as durable as it gets)."""
    if os.name == "posix":
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: Path, obj: Any, *, durable: bool = True) -> None:
    """Atomic JSON write (temp + rename); `durable` also fsyncs (skip for frequent, disposable files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; these are ordinary, shareable files
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_safetensors(directory: Path, arrays: dict[str, mx.array], prefix: str) -> tuple[str, str]:
    """Write MLX `arrays` as `<prefix>-<sha256[:16]>.safetensors` in `directory`, fsynced; returns
    (file name, sha256). Commit it by writing the JSON that names it, then `remove_stale`."""
    import mlx.core as mx

    return _write_addressed(directory, prefix, lambda tmp: mx.save_safetensors(str(tmp), arrays))


def write_safetensors_numpy(directory: Path, arrays: dict[str, np.ndarray], prefix: str) -> tuple[str, str]:
    """`write_safetensors` for numpy arrays (the static encoder is saved without MLX)."""
    from safetensors.numpy import save_file

    return _write_addressed(directory, prefix, lambda tmp: save_file(arrays, str(tmp)))


def _write_addressed(directory: Path, prefix: str, save: Callable[[Path], None]) -> tuple[str, str]:
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        save(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        digest = sha256_file(tmp)
        name = f"{prefix}-{digest[:16]}.safetensors"
        os.replace(tmp, directory / name)
    finally:
        tmp.unlink(missing_ok=True)
    return name, digest


def remove_stale(directory: Path, prefix: str, keep: str) -> None:
    """After a commit: temp files and `<prefix>-*.safetensors` other than `keep` go (a save
    interrupted before its commit leaves them; the next save tidies up)."""
    for stale in directory.iterdir():
        if stale.name.startswith(".tmp-") or (
            stale.name.startswith(prefix + "-") and stale.suffix == ".safetensors" and stale.name != keep
        ):
            stale.unlink(missing_ok=True)
