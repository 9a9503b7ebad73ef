"""Index approved folders off the event loop, with work-done progress ($/progress) and kind messages,
then embed and fill the related-files cache the code lenses answer from."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

from vjepa_core.crawl import crawl
from vjepa_core.store import Store
from vjepa_core.workspace import Workspace

from .folders import Folder

if TYPE_CHECKING:
    from .server import VjepaServer

LENS_FILES = 3


def fill_related(folder: Folder) -> None:
    """Runs in the engine thread: the top related files of every indexed file."""
    store: Store = folder.workspace.store
    files = store.read("files", ["path", "status"])
    indexed = [p for p, s in zip(files["path"].to_pylist(), files["status"].to_pylist()) if s == "ok"]
    # One read of the relations for every file, not one query per file.
    folder.related = folder.workspace.related_many(indexed, LENS_FILES)


def _refresh(folder: Folder, progress: object) -> object:
    """Runs in the engine thread: crawl (incremental), embed, recompute the lens cache."""
    report = crawl(folder.root, folder.workspace.index_dir, progress=progress)  # type: ignore[arg-type]
    # A fresh handle, so the store opens the tables the crawl just wrote.
    folder.workspace = Workspace(folder.root, folder.workspace.index_dir)
    folder.workspace.embed()
    fill_related(folder)
    folder.indexed = True
    return report


async def index_folder(ls: VjepaServer, folder: Folder, *, announce: bool = True) -> None:
    """Crawl + embed one folder in the engine thread, reporting progress from the loop."""
    loop = asyncio.get_running_loop()
    token = str(uuid.uuid4())
    with_progress = ls.supports_progress()
    if with_progress:
        await ls.work_done_progress.create_async(token)
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=f"Learning from {folder.root.name}", percentage=0, cancellable=False))
    if announce and ls.options.kind_messages:
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Info, message=f"Reading {folder.root} (it stays on this machine)."))
    last = [-1]

    def progress(done: int, total: int, path: str) -> None:  # engine thread
        pct = int(100 * done / total) if total else 100
        if with_progress and pct != last[0]:
            last[0] = pct
            loop.call_soon_threadsafe(ls.work_done_progress.report, token, types.WorkDoneProgressReport(
                message=f"{done}/{total} {path}", percentage=pct))

    try:
        report = await loop.run_in_executor(ls.engine, _refresh, folder, progress)
    except Exception as exc:  # noqa: BLE001 -- the exact error goes to the user; serving goes on
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Error, message=f"Indexing {folder.root} failed: {exc}"))
        if with_progress:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"failed: {exc}"))
        return
    summary = (f"Learned from {folder.root.name}: {getattr(report, 'files_indexed', 0)} files, "
               f"{getattr(report, 'units', 0)} units.")
    if with_progress:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=summary))
    if announce and ls.options.kind_messages:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=summary))
    else:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=summary))
