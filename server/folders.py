"""The approved workspace folders: each one's Workspace, the caches lenses and status answer from
(filled in the engine thread), and the guard that keeps every request inside the folders."""

from __future__ import annotations

import os
import re
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from vjepa_core.workspace import Workspace

from .arguments import say, shown

if TYPE_CHECKING:
    from vjepa_core.workspace import EditorEvent, Hit, IdleScheduler

LENS_FILES = 3  # related files shown above each file
RECENT = 16  # edited files remembered per folder, for vjepa.predictNext without a file
# Files whose first lenses come from one read of their relations: the rows of every file at once,
# as Python objects, left ~7 MB more in the server's heap on 5,000 files, as fast.
FIRST_LENS_CHUNK = 500
NO_MODEL = {"name": "none", "version": ""}
ACTIVITY = ("training", "stopping", "waiting", "closed", "off")  # idle-training states, most active first


@dataclass
class Folder:
    root: Path
    workspace: Workspace
    indexed: bool = False
    related: dict[str, list[Hit]] = field(default_factory=dict)  # rel path -> top hits, for lenses
    next: dict[str, Hit] = field(default_factory=dict)  # rel path -> its top next-file hit, for lenses
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT))  # last edited, oldest first
    files: int = 0  # indexed files and their code units, for vjepa/status
    units: int = 0
    model: dict[str, str] = field(default_factory=lambda: dict(NO_MODEL))
    # Files skipped as holding secrets (path and rule family, never the value), for vjepa/status.
    secret_skips: list[dict[str, str]] = field(default_factory=list)
    next_key: tuple[object, ...] = ()  # what the next cache was computed from (history, files)
    scheduler: IdleScheduler | None = None  # idle-time training (touch(), close()); see features/training.py
    idle_training: dict[str, Any] = field(default_factory=lambda: {"state": "off"})  # for vjepa/status
    events: list[EditorEvent] = field(default_factory=list)  # editor events not yet written
    last_change: dict[str, int] = field(default_factory=dict)  # rel path -> its last logged "change" (ms)

    def remember_edit(self, rel: str) -> None:
        if rel in self.recent:
            self.recent.remove(rel)
        self.recent.append(rel)

    def load_recent(self) -> None:
        """Runs in the engine thread: the last edited files from earlier sessions' events."""
        self.recent = deque(maxlen=RECENT)
        for path in self.workspace.recent_edits(RECENT * 4):
            self.remember_edit(path)

    def refresh_caches(self) -> None:
        """Runs in the engine thread: what lenses and status answer from (related files, counts, the
        model in use), recomputed in full and then swapped in. (Next files: features/next.py.)"""
        indexed = self.workspace.indexed_files()
        # A read of the relations per FIRST_LENS_CHUNK files, not one query per file: what the lenses
        # show first; the learned ranker's answers replace them chunk by chunk (features/next.py).
        related: dict[str, list[Hit]] = {}
        for start in range(0, len(indexed.paths), FIRST_LENS_CHUNK):
            chunk = indexed.paths[start:start + FIRST_LENS_CHUNK]
            related.update(self.workspace.related_many(chunk, LENS_FILES, learned=False))
        self.related, self.files, self.units = related, len(indexed.paths), indexed.units
        self.model = self.workspace.model_status()._asdict()
        self.secret_skips = [skip._asdict() for skip in self.workspace.secret_skips()]

    def refresh_related(self, paths: set[str]) -> bool:
        """Runs in the engine thread: the related lenses of `paths` only (after a save). Returns
        whether any lens now reads otherwise (its files, reasons or words)."""
        fresh = self.workspace.related_many(sorted(paths), LENS_FILES)
        shown = lambda hits: [(h.path, h.reason, h.detail) for h in hits]
        changed = any(shown(hits) != shown(self.related.get(p, [])) for p, hits in fresh.items())
        self.related.update(fresh)
        return changed


def idle_state(folders: list[Folder]) -> str:
    """The most active idle-training state over the folders, for status bars."""
    states = [f.idle_training.get("state", "off") for f in folders] or ["off"]
    return min(states, key=lambda s: ACTIVITY.index(s) if s in ACTIVITY else len(ACTIVITY))


# A full index of more files than this runs in a child process; a smaller one in place, where the
# child's start (1-3 s before the first lenses) costs more than the peak it saves.
CHILD_MIN_FILES = 1500


def make_folder(root: Path, index_base: Path | None) -> Folder:
    """A folder the user approved; its index goes under `index_base` (the `indexDir` option) when
    given. The home folder and system folders are refused with a VjepaError (the crawl refuses them).
    Its full indexes run in a child process that exits (vjepa_core/index_job.py) when it holds more
    than CHILD_MIN_FILES files: the server keeps none of their peak, nor the secret rules until a
    save needs them (on 5,000 files, ~90 MB less); a smaller one's first lenses come sooner in place."""
    workspace = Workspace.under(root, index_base, allow_home=False)
    workspace.index_in_child, workspace.child_min_files = True, CHILD_MIN_FILES
    return Folder(root, workspace)


class Elsewhere(JsonRpcInvalidParams):
    """A usable path that names no file the server reads: outside the approved folders, on the deny
    list, or a URI of another scheme. Lenses and editor events pass over these quietly."""


# POSIX limits on a path and on one name in it (Linux: 4096 and 255 bytes; macOS: 1024 and 255).
PATH_MAX = 1024 if sys.platform == "darwin" else 4096
NAME_MAX = 255
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")  # two letters at least: "C:" is a Windows drive


def as_path(uri_or_path: object) -> Path:
    """A resolved absolute path from a file URI or a path; anything unusable (not a string, empty,
    a NUL byte, too long, not encodable, another scheme) is invalid params with a sentence."""
    if not isinstance(uri_or_path, str):
        raise JsonRpcInvalidParams(say("path_type", got=shown(uri_or_path)))
    if not uri_or_path:
        raise JsonRpcInvalidParams(say("path_empty"))
    path = shown(uri_or_path)
    if "\x00" in uri_or_path:
        raise JsonRpcInvalidParams(say("path_nul", path=path))
    scheme = SCHEME.match(uri_or_path)
    if scheme and scheme.group(1).lower() != "file":
        raise Elsewhere(say("path_scheme", path=path, scheme=scheme.group(1)))
    text = to_fs_path(uri_or_path) if scheme else uri_or_path
    if not text or "\x00" in text:
        raise JsonRpcInvalidParams(say("path_bad_uri", path=path))
    try:
        raw = os.fsencode(text)
    except UnicodeError as exc:
        raise JsonRpcInvalidParams(say("path_unusable", path=path, reason=exc.reason)) from exc
    if len(raw) >= PATH_MAX or any(len(name) > NAME_MAX for name in raw.split(b"/")):
        raise JsonRpcInvalidParams(say("path_too_long", length=len(raw), limit=PATH_MAX - 1, name_limit=NAME_MAX))
    try:
        return Path(text).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # e.g. a symlink loop
        raise JsonRpcInvalidParams(say("path_unusable", path=path, reason=exc)) from exc


def locate(folders: list[Folder], uri_or_path: object) -> tuple[Folder, str]:
    """The folder holding a path and the path relative to it; refuses unusable, outside and denied
    paths with InvalidParams before anything is read. Relative paths are taken against each folder."""
    raw = uri_or_path
    absolute = as_path(raw)  # validates the type, the scheme and the length first
    assert isinstance(raw, str)
    relative = not raw.startswith("file:") and not Path(raw).is_absolute()
    candidates = [as_path(str(f.root / raw)) for f in folders] if relative else [absolute]
    for path in candidates:
        for folder in folders:
            try:
                rel = path.relative_to(folder.root).as_posix()
            except ValueError:
                continue
            reason = folder.workspace.denied(rel)
            if reason:
                raise Elsewhere(say("path_denied", path=shown(raw), reason=reason))
            return folder, rel
    raise Elsewhere(say("path_outside", path=shown(raw)))
