"""Index approved folders off the event loop, with work-done progress ($/progress) and kind messages,
then embed and fill the caches the code lenses and the status answer from."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from vjepa_core.index.crawl import crawl
from vjepa_core.messages import text
from vjepa_core.workspace import release_memory

from .events import load_recent
from .folders import Folder, indexed_paths
from .nextfiles import fill_next
from .status import model_info

if TYPE_CHECKING:
    from .server import VjepaServer

LENS_FILES = 3


def refresh_caches(folder: Folder) -> None:
    """Runs in the engine thread: what lenses and status answer from (related files, counts, the
    model in use), recomputed in full and then swapped in. (Next files: nextfiles.fill_next.)"""
    indexed, units = indexed_paths(folder.workspace.store)
    # One read of the relations for every file, not one query per file.
    related = folder.workspace.related_many(indexed, LENS_FILES)
    folder.related, folder.files, folder.units = related, len(indexed), units
    folder.model = model_info(folder.workspace)


def _refresh(folder: Folder, progress: object) -> object:
    """Runs in the engine thread: crawl (incremental), embed, recompute the caches."""
    report = crawl(folder.root, folder.workspace.index_dir, progress=progress)  # type: ignore[arg-type]
    # The same Workspace on: its store sees what the crawl wrote (read consistency 0), and it keeps
    # the loaded model and the fitted next-file predictor, which then only learns the new commits.
    folder.workspace.embed()
    if not folder.indexed:
        load_recent(folder)
    refresh_caches(folder)
    folder.indexed = True
    release_memory()  # a long-lived process keeps its peak otherwise
    return report


def _update(folder: Folder, paths: list[str]) -> set[str] | None:
    """Runs in the engine thread: the saved files only (Workspace.update_files), then the related
    lenses of every file whose relations changed. None: the change needs the full re-index."""
    touched = folder.workspace.update_files(paths)
    if touched:
        folder.related.update(folder.workspace.related_many(sorted(touched), LENS_FILES))
    return touched


async def update_folder(ls: VjepaServer, folder: Folder, paths: list[str]) -> bool:
    """A save's re-index: the fast path when it applies (the same files, the same history: Next
    lenses and counts stay as they are), else the full `index_folder`. Returns whether anything
    the lenses show may have changed."""
    loop = asyncio.get_running_loop()
    if folder.indexed:
        try:
            touched = await loop.run_in_executor(ls.engine, _update, folder, paths)
        except Exception as exc:  # noqa: BLE001 -- said in the log; the full re-index below decides
            ls.window_log_message(types.LogMessageParams(
                type=types.MessageType.Warning, message=f"fast update of {', '.join(paths)} failed: {exc}"))
            touched = None
        if touched is not None:
            return bool(touched)
    await index_folder(ls, folder, announce=False)
    return True


async def index_folder(ls: VjepaServer, folder: Folder, *, announce: bool = True) -> None:
    """Crawl + embed one folder in the engine thread, reporting progress from the loop."""
    loop = asyncio.get_running_loop()
    bar = await ls.begin_progress(f"Learning from {folder.root.name}")
    if announce:
        ls.say(text("server.reading", root=folder.root))
    last = [-1]

    def progress(done: int, total: int, path: str) -> None:  # engine thread
        pct = int(100 * done / total) if total else 100
        if pct == last[0]:
            return
        last[0] = pct
        loop.call_soon_threadsafe(ls.set_progress, {"done": done, "total": total, "percentage": pct})
        bar.report(loop, f"{done}/{total} {path}", pct)

    try:
        report = await loop.run_in_executor(ls.engine, _refresh, folder, progress)
        await fill_next(ls, folder)
    except Exception as exc:  # noqa: BLE001 -- the exact error goes to the user; serving goes on
        message = text("server.index_failed", root=folder.root, reason=exc)
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
        bar.end(message)
        return
    finally:
        ls.progress = None
    summary = text("server.learned", name=folder.root.name, files=getattr(report, "files_indexed", 0),
                   units=getattr(report, "units", 0))
    # The summary goes out before the progress ends, so a client that sees the end has it too.
    if announce:
        ls.say(summary)
    else:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=summary))
    bar.end(summary)
