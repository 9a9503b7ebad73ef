"""Editor events for the temporal predictor, from textDocument/didOpen, didChange and didSave (the
core's `edited` hook).

An event is (time, path, kind, editor): never content. Events are buffered on the loop, per folder,
and written to the index's `events` table in batches, in the engine thread (LanceDB writes one
version per write, and the loop never writes); the last ones are written at shutdown.
"""

from __future__ import annotations

import asyncio
import time

from vjepa_core.workspace import EditorEvent

from ..folders import Folder
from ..server import VjepaServer

FLUSH_SECONDS = 1.0  # how often buffered events are written
CHANGE_EVERY_MS = 2000  # typing sends a didChange per keystroke: one "change" per file this often
SHUTDOWN_FLUSH_SECONDS = 2.0  # the last events are written if the engine is free within this


def log_event(ls: VjepaServer, folder: Folder, rel: str, kind: str) -> None:
    """Buffer one event; a repeat "change" within CHANGE_EVERY_MS is dropped. Changes and saves also
    make `rel` the folder's latest edited file."""
    now = int(time.time() * 1000)
    if kind == "change":
        if now - folder.last_change.get(rel, -CHANGE_EVERY_MS) < CHANGE_EVERY_MS:
            return
        folder.last_change[rel] = now
    folder.events.append(EditorEvent(now, rel, kind, ls.client_name))
    if kind in ("change", "save"):
        folder.remember_edit(rel)


async def flush(ls: VjepaServer) -> None:
    """Write what is buffered for every indexed folder (unindexed folders keep theirs), one LanceDB
    write per folder in the engine thread."""
    loop = asyncio.get_running_loop()
    for folder in [f for f in ls.folders if f.indexed]:
        rows, folder.events = folder.events, []
        if rows:
            await loop.run_in_executor(ls.engine, folder.workspace.log_events, rows)


async def flush_forever(ls: VjepaServer) -> None:
    while not ls.stopping.is_set():
        try:
            await asyncio.wait_for(ls.stopping.wait(), FLUSH_SECONDS)
        except asyncio.TimeoutError:
            pass
        if not ls.stopping.is_set():
            await flush(ls)


def start_flushing(ls: VjepaServer) -> None:
    ls.background(flush_forever(ls))


async def flush_last(ls: VjepaServer) -> None:
    """At shutdown: the last events, if the engine is free soon."""
    try:
        await asyncio.wait_for(flush(ls), SHUTDOWN_FLUSH_SECONDS)
    except asyncio.TimeoutError:
        pass


def register(server: VjepaServer) -> None:
    server.hooks.started.append(start_flushing)
    server.hooks.edited.append(log_event)
    server.hooks.shutdown.append(flush_last)
