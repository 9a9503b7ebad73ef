"""The approved workspace folders, and the guard that keeps every request inside them."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from vjepa_core.harvest.safety import denied_name
from vjepa_core.index.store import Store, default_index_dir
from vjepa_core.workspace import Workspace


@dataclass
class Folder:
    root: Path
    workspace: Workspace
    indexed: bool = False
    related: dict[str, list[Any]] = field(default_factory=dict)  # rel path -> top hits, for lenses
    next: dict[str, Any] = field(default_factory=dict)  # rel path -> its top next-file hit, for lenses
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=16))  # last edited, oldest first
    files: int = 0  # indexed files and their code units, for vjepa/status
    units: int = 0
    model: dict[str, str] = field(default_factory=lambda: {"name": "none", "version": ""})
    next_key: tuple[Any, ...] = ()  # what the next cache was computed from (history, files)
    scheduler: Any = None  # idle-time training (touch(), close()); see VjepaServer.on_user_activity
    idle_training: dict[str, Any] = field(default_factory=lambda: {"state": "off"})  # for vjepa/status


def indexed_paths(store: Store) -> tuple[list[str], int]:
    """The files indexed whole (status ok) and their code units."""
    files = store.read("files", ["path", "status", "n_units"])
    paths, units = [], 0
    for p, s, n in zip(*(files[c].to_pylist() for c in ("path", "status", "n_units"))):
        if s == "ok":
            paths.append(p)
            units += n or 0
    return paths, units


def make_folder(root: Path, index_base: Path | None) -> Folder:
    index_dir = index_base / default_index_dir(root).name if index_base else None
    return Folder(root, Workspace(root, index_dir))


def as_path(uri_or_path: object) -> Path:
    """A resolved absolute path from a file URI or a path; anything else is invalid params."""
    if not isinstance(uri_or_path, str) or not uri_or_path or "\x00" in uri_or_path:
        raise JsonRpcInvalidParams(f"expected a file URI or path, got {uri_or_path!r}")
    text = to_fs_path(uri_or_path) if uri_or_path.startswith("file:") else uri_or_path
    if text is None:
        raise JsonRpcInvalidParams(f"not a file URI: {uri_or_path!r}")
    return Path(text).resolve()


def locate(folders: list[Folder], uri_or_path: object) -> tuple[Folder, str]:
    """The folder holding a path and the path relative to it; refuses outside and denied paths
    with an LSP error before anything is read. Relative paths are taken against each folder."""
    raw = uri_or_path
    absolute = as_path(raw)  # validates the type first
    assert isinstance(raw, str)
    relative = not raw.startswith("file:") and not Path(raw).is_absolute()
    candidates = [(f.root / raw).resolve() for f in folders] if relative else [absolute]
    for path in candidates:
        for folder in folders:
            try:
                rel = path.relative_to(folder.root).as_posix()
            except ValueError:
                continue
            reason = denied_name(rel)
            if reason:
                raise JsonRpcInvalidParams(f"{raw} is on the deny list ({reason}); it is never read")
            return folder, rel
    raise JsonRpcInvalidParams(f"{raw} is outside the approved workspace folders; it is never read")
