"""textDocument/didOpen, didChange, didSave: editor events for the temporal predictor.

An event is (time, path, kind, editor): never content. Events are buffered on the loop and written
to the index's `events` table in batches, in the engine thread (LanceDB writes one version per
write, and the loop never writes). Each event also calls `VjepaServer.on_user_activity()`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from vjepa_core.index.store import EVENTS

from .folders import Folder, locate

if TYPE_CHECKING:
    from .server import VjepaServer

FLUSH_SECONDS = 1.0  # how often buffered events are written
CHANGE_EVERY_MS = 2000  # typing sends a didChange per keystroke: one "change" per file this often
RECENT = 16  # edited files remembered per folder, for vjepa.predictNext without a file


@dataclass
class EventLog:
    """Events waiting to be written, per folder root, and the last change time per path."""

    pending: dict[str, list[tuple[int, str, str, str]]] = field(default_factory=dict)
    last_change: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, folder: Folder, rel: str, kind: str, source: str) -> bool:
        """Buffer one event; False when it was a repeat "change" dropped by the rate limit."""
        now = int(time.time() * 1000)
        if kind == "change":
            key = (str(folder.root), rel)
            if now - self.last_change.get(key, -CHANGE_EVERY_MS) < CHANGE_EVERY_MS:
                return False
            self.last_change[key] = now
        self.pending.setdefault(str(folder.root), []).append((now, rel, kind, source))
        if kind in ("change", "save"):
            remember_edit(folder, rel)
        return True

    def take(self, folder: Folder) -> list[tuple[int, str, str, str]]:
        return self.pending.pop(str(folder.root), [])


def remember_edit(folder: Folder, rel: str) -> None:
    if rel in folder.recent:
        folder.recent.remove(rel)
    folder.recent.append(rel)


def load_recent(folder: Folder) -> None:
    """Runs in the engine thread: the last edited files from earlier sessions' events."""
    t = folder.workspace.store.read("events", ["time_ms", "path", "kind"], where="kind IN ('save', 'change')")
    rows = sorted(zip(t["time_ms"].to_pylist(), t["path"].to_pylist()))
    folder.recent = deque(maxlen=RECENT)
    for _, path in rows[-RECENT * 4:]:
        remember_edit(folder, path)


def write_events(folder: Folder, rows: list[tuple[int, str, str, str]]) -> None:
    """Runs in the engine thread: one LanceDB write for the whole batch."""
    times, paths, kinds, sources = (list(c) for c in zip(*rows))
    folder.workspace.store.add_events(pa.table(
        {"time_ms": times, "path": paths, "kind": kinds, "source": sources}, schema=EVENTS))


async def flush(ls: VjepaServer) -> None:
    """Write what is buffered for every indexed folder (unindexed folders keep theirs)."""
    loop = asyncio.get_running_loop()
    for folder in [f for f in ls.folders if f.indexed]:
        rows = ls.events.take(folder)
        if rows:
            await loop.run_in_executor(ls.engine, write_events, folder, rows)


async def flush_forever(ls: VjepaServer) -> None:
    while not ls.stopping.is_set():
        try:
            await asyncio.wait_for(ls.stopping.wait(), FLUSH_SECONDS)
        except asyncio.TimeoutError:
            pass
        if not ls.stopping.is_set():
            await flush(ls)


def record(ls: VjepaServer, uri: str, kind: str) -> Folder | None:
    """Note an editor event on `uri`; the folder holding it, or None when it is not ours."""
    try:
        folder, rel = locate(ls.folders, uri)
    except JsonRpcException:
        return None  # outside the approved folders or denied: not even the path is kept
    ls.events.add(folder, rel, kind, ls.client_name)
    ls.active = uri
    ls.on_user_activity(rel)
    return folder


def did_open(ls: VjepaServer, params: types.DidOpenTextDocumentParams) -> None:
    record(ls, params.text_document.uri, "open")


def did_change(ls: VjepaServer, params: types.DidChangeTextDocumentParams) -> None:
    record(ls, params.text_document.uri, "change")


def register(server: VjepaServer) -> None:
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
