"""Indexing and keeping the index fresh: the first index of each approved folder (initialized),
a re-index after each textDocument/didSave (its lenses answered from memory first, the index
written half a second later: `_answer_then_write`), and `watchfiles.awatch` on each folder for
changes made outside the editor. All engine work runs off the event loop, with work-done progress ($/progress)
and kind messages; then the caches the code lenses and the status answer from are refilled.

The watcher is debounced and filtered by the crawl's own rules (deny catalogue, .gitignore at every
level, .vjepaignore), then one incremental re-index covers the whole batch of changes. The filter
only looks at paths (and reads .gitignore files); a denied path is never read. A new commit
(`.git/logs/HEAD` moves) also re-crawls, so temporal relations and Next follow the history.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Callable
from functools import partial
from pathlib import Path

import watchfiles
from lsprotocol import types

from vjepa_core.messages import text
from vjepa_core.workspace import IndexReport, Workspace

from ..folders import Folder
from ..server import VjepaServer, WorkProgress

HISTORY_MOVED = ".git/logs/HEAD"
# A save's index write waits this long after its lenses were answered from memory: saves meanwhile
# share one write (LanceDB writes a version per write), and the editor's next requests go first.
WRITE_DELAY_S = 0.5
SHUTDOWN_WRITE_S = 10.0  # at most this long at shutdown for the saves not written yet
RULE_FILES = (".gitignore", ".vjepaignore", ".vjepaallow")


def _refresh(folder: Folder, progress: Callable[[int, int, str], None]) -> IndexReport:
    """Runs in the engine thread: crawl (incremental), embed, recompute the caches."""
    # The same Workspace on: its store sees what the crawl wrote (read consistency 0), and it keeps
    # the loaded model and the fitted next-file predictor, which then only learns the new commits.
    report = folder.workspace.index(progress=progress)
    if not folder.indexed:
        folder.load_recent()
    folder.refresh_caches()
    # Search (its snapshot, the encoder) is loaded once the lenses' fit is done (features/next.py
    # `_prepare_search`): not beside the fit's process, or by the first workspace/symbol before that.
    folder.indexed = True
    folder.workspace.release_memory()  # a long-lived process keeps its peak otherwise
    return report


def _update(folder: Folder, paths: list[str]) -> tuple[bool, bool, bool] | None:
    """Runs in the engine thread: the saved files only (Workspace.update_files), then the related
    lenses of every file whose relations changed. Returns (whether any relation changed, whether a
    lens now reads otherwise, whether this is the write of saves answered from memory); None: the
    change needs the full re-index."""
    previewed = folder.workspace.preview_writing(paths)
    touched = folder.workspace.update_files(paths, purge=False)  # purged right after: update_folder
    if touched is None:
        return None
    return (bool(touched), bool(touched) and folder.refresh_related(folder.workspace.lens_touched(paths, touched)),
            previewed)


def _purge(folder: Folder, previewed: bool) -> None:
    """Runs in the engine thread: the saved files' old text off the disk; what the answers from
    memory work on is kept when this was their write (Workspace.preview_written)."""
    try:
        folder.workspace.purge()
    finally:
        folder.workspace.preview_written(previewed)


def _answer_first(folder: Folder, paths: list[str]) -> set[str] | None:
    """Runs in the engine thread: a save's lenses from memory, before the index is written
    (Workspace.preview_save: the saved files' imports and nearest files, re-read). The saved files'
    own lenses are ranked now; returns the other files whose lens may have moved, ranked next
    (`_rank_rest`); None: no such answer (no fitted ranker yet, or more than a plain edit)."""
    files = folder.workspace.preview_save(paths)
    if files is None:
        return None
    folder.refresh_related(set(paths))
    return files - set(paths)


async def _rank_rest(ls: VjepaServer, folder: Folder, files: set[str]) -> None:
    """The lenses a save moved in files other than the saved ones, after the saved file's lens
    was answered (the editor shows the saved file first); refreshed if one now reads otherwise."""
    if await asyncio.get_running_loop().run_in_executor(ls.engine, folder.refresh_related, files):
        await ls.refresh_lenses()


def _log_failure(ls: VjepaServer, done: asyncio.Future[object], what: str) -> None:
    if not done.cancelled() and done.exception() is not None:
        ls.log(f"{what} failed: {done.exception()}", types.MessageType.Warning)


async def update_folder(ls: VjepaServer, folder: Folder, paths: list[str], *, shown: bool = False) -> bool:
    """A save's re-index: the fast path when it applies (the same files, the same history: Next
    lenses and counts stay as they are), else the full `index_folder`. Returns whether anything
    the lenses show may have changed (`shown`: whether a lens now reads otherwise)."""
    loop = asyncio.get_running_loop()
    if folder.indexed:
        try:
            touched = await loop.run_in_executor(ls.engine, _update, folder, paths)
        except Exception as exc:  # noqa: BLE001 -- said in the log; the full re-index below decides
            ls.log(f"fast update of {', '.join(paths)} failed: {exc}", types.MessageType.Warning)
            touched = None
        if touched is not None:
            # The saved files' old text leaves the disk next in the engine thread, after the lenses
            # are answered from the refreshed caches: the purge is 0.2 s of table rewrites on 5,000 files.
            purge = loop.run_in_executor(ls.engine, _purge, folder, touched[2])
            purge.add_done_callback(lambda done: _log_failure(ls, done, "purging the saved files' old text"))
            _rules_go_when_quiet(ls)
            return touched[1] if shown else touched[0]
    await index_folder(ls, folder, announce=False)
    return True


def _rules_go_when_quiet(ls: VjepaServer) -> None:
    """After an index write: once nothing more was written for the user's idle time (`idleMinutes`),
    the secret rules it screened with go (~40 MB compiled, in a server that idles most of the day);
    the next save compiles them again (0.5 s, in the engine thread, after its lens is answered)."""
    if ls.rules_timer is not None:
        ls.rules_timer.cancel()
    ls.rules_timer = asyncio.get_running_loop().call_later(ls.options.idle_seconds,
                                                           lambda: ls.background(_let_rules_go(ls)))


async def _let_rules_go(ls: VjepaServer) -> None:
    ls.rules_timer = None
    # In the engine thread, so never beside a screen (the process has one set of rules for every folder).
    if not ls.stopping.is_set() and await ls.engine_call(partial(Workspace.release_memory, rules=True)):
        ls.log("nothing was saved for a while: the secret rules are let go (about 40 MB); the next save "
               "compiles them again")


async def _answer_then_write(ls: VjepaServer, folder: Folder, paths: set[str]) -> bool | None:
    """A save of files already indexed: their lenses from memory first (`_answer_first`), and
    the index write WRITE_DELAY_S later, one for every save meanwhile (`_write_later`). None: no
    answer from memory; the caller writes now."""
    try:
        rest = await asyncio.get_running_loop().run_in_executor(ls.engine, _answer_first, folder, sorted(paths))
    except Exception as exc:  # noqa: BLE001 -- said in the log; the write decides
        ls.log(f"answering the save of {', '.join(sorted(paths))} from memory failed: {exc}", types.MessageType.Warning)
        rest = None
    if rest is None:
        return None
    if rest:
        ls.background(_rank_rest(ls, folder, rest))
    if folder.root not in ls.unwritten:
        ls.background(_write_later(ls, folder))
    ls.unwritten.setdefault(folder.root, set()).update(paths)
    return True  # the lenses are asked for again after every save (as after its write before)


async def _write_later(ls: VjepaServer, folder: Folder) -> None:
    """The index write of the saves answered from memory: units, vectors, relations, then the
    exact relinking of the saved files (similarity included) and the purge; the lenses are
    refreshed again only if one now reads otherwise."""
    await asyncio.sleep(WRITE_DELAY_S)
    async with ls.index_lock:
        paths = ls.unwritten.pop(folder.root, None)
        changed = bool(paths) and await update_folder(ls, folder, sorted(paths or ()), shown=True)
    ls.publish_status()
    if changed:
        await ls.refresh_lenses()


async def write_unwritten(ls: VjepaServer) -> None:
    """At shutdown: the saves answered from memory are written, and their old text purged, before
    the engine stops (else the next start's crawl would find them, with the old text on disk till then)."""
    async def write_all() -> None:
        for folder in ls.folders:
            async with ls.index_lock:
                paths = ls.unwritten.pop(folder.root, None)
                if paths:
                    await update_folder(ls, folder, sorted(paths))
                    await ls.engine_call(folder.workspace.purge)

    try:
        await asyncio.wait_for(write_all(), SHUTDOWN_WRITE_S)
    except asyncio.TimeoutError:
        ls.log("the last saves were not written before shutdown: the next start reads them again")


def _progress_reporter(ls: VjepaServer, bar: WorkProgress) -> Callable[[int, int, str], None]:
    """The crawl's progress callback (engine thread): $/progress and `vjepa/status`, each time the
    percentage moves."""
    loop = asyncio.get_running_loop()
    last = [-1]

    def progress(done: int, total: int, path: str) -> None:  # engine thread
        pct = int(100 * done / total) if total else 100
        if pct == last[0]:
            return
        last[0] = pct
        loop.call_soon_threadsafe(ls.set_progress, {"done": done, "total": total, "percentage": pct})
        bar.report(loop, f"{done}/{total} {path}", pct)

    return progress


async def index_folder(ls: VjepaServer, folder: Folder, *, announce: bool = True) -> None:
    """Crawl + embed one folder in the engine thread, reporting progress from the loop."""
    loop = asyncio.get_running_loop()
    bar = await ls.begin_progress(f"Learning from {folder.root.name}")
    if announce:
        ls.say(text("server.reading", root=folder.root))
    try:
        report = await loop.run_in_executor(ls.engine, _refresh, folder, _progress_reporter(ls, bar))
        await ls.folder_indexed(folder)
    except Exception as exc:  # noqa: BLE001 -- the exact error goes to the user; serving goes on
        message = text("server.index_failed", root=folder.root, reason=exc)
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
        bar.end(message)
        return
    finally:
        ls.job_progress = None
    _rules_go_when_quiet(ls)
    summary = text("server.learned", name=folder.root.name, files=report.crawl.files_indexed,
                   units=report.crawl.units)
    # The summary goes out before the progress ends, so a client that sees the end has it too.
    if announce:
        ls.say(summary)
    else:
        ls.log(summary)
    bar.end(summary)


async def first_index(ls: VjepaServer, folder: Folder) -> None:
    """A folder just approved: watch it, then index it (one crawl at a time)."""
    if ls.options.watch:  # started before the first crawl, so nothing changed during it is missed
        ls.background(watch(ls, folder))
    async with ls.index_lock:
        ls.publish_status()
        await index_folder(ls, folder)
    ls.publish_status()


async def _reindex(ls: VjepaServer, folder: Folder) -> None:
    async with ls.index_lock:
        paths = ls.pending.pop(folder.root, None)  # changes from here on queue one more re-index
        ls.publish_status()
        changed = await _answer_then_write(ls, folder, paths) if paths and folder.indexed else None
        if paths and changed is None:
            changed = await update_folder(ls, folder, sorted(paths | ls.unwritten.pop(folder.root, set())))
        elif not paths:
            ls.unwritten.pop(folder.root, None)  # the full re-crawl reads every changed file
            await index_folder(ls, folder, announce=False)
            changed = True
    ls.publish_status()
    if changed:
        await ls.refresh_lenses()


def queue_reindex(ls: VjepaServer, folder: Folder, paths: set[str] | None = None) -> None:
    """Queue one re-index: `paths` (workspace-relative files just saved) take the fast path that
    re-reads only them; None is a full incremental re-crawl (re-parse, re-embed, deleted files
    removed). Either is followed by a lens refresh. One waiting re-index covers every change
    behind it; any full request makes it full."""
    if folder.root in ls.pending:
        queued = ls.pending[folder.root]
        ls.pending[folder.root] = None if queued is None or paths is None else queued | paths
        return
    ls.pending[folder.root] = None if paths is None else set(paths)
    ls.publish_status()
    ls.background(_reindex(ls, folder))


def saved(ls: VjepaServer, folder: Folder, rel: str, kind: str) -> None:
    """textDocument/didSave (through the core's `edited` hook): re-read the saved file."""
    if kind == "save":
        queue_reindex(ls, folder, {rel})


class ChangeFilter:
    """Which changed paths matter to the index of one folder."""

    def __init__(self, folder: Folder) -> None:
        self.root = folder.root
        self.workspace = folder.workspace
        self.index_dir = folder.workspace.index_dir.resolve()

    def relevant(self, changes: set[tuple[watchfiles.Change, str]]) -> list[str]:
        """The workspace-relative paths in `changes` that the index cares about (runs off the loop)."""
        if any(posixpath.basename(raw) in RULE_FILES for _, raw in changes):
            self.workspace.reread_rules()  # the rules changed: read them again, before judging any path
        out: set[str] = set()
        for _, raw in changes:
            path = Path(raw)
            if path == self.index_dir or self.index_dir in path.parents:
                continue  # our own writes
            try:
                rel = path.relative_to(self.root).as_posix()
            except ValueError:
                continue
            if rel == HISTORY_MOVED or not self.workspace.excludes(rel):
                out.add(rel)
        return sorted(out)


async def watch(ls: VjepaServer, folder: Folder) -> None:
    """Runs until shutdown: each debounced batch of relevant changes queues one re-index."""
    changes_filter = ChangeFilter(folder)
    async for changes in watchfiles.awatch(folder.root, watch_filter=None, debounce=ls.options.watch_debounce_ms,
                                           stop_event=ls.stopping, ignore_permission_denied=True):
        relevant = await asyncio.to_thread(changes_filter.relevant, changes)
        if relevant:
            ls.log(f"watch: {len(relevant)} changed under {folder.root}")
            # Edited files take the fast path (it hands added and deleted ones to the full re-crawl);
            # a commit or new ignore rules re-crawl in full.
            full = HISTORY_MOVED in relevant or any(posixpath.basename(r) in RULE_FILES for r in relevant)
            queue_reindex(ls, folder, None if full else set(relevant))


def register(server: VjepaServer) -> None:
    server.hooks.folder_approved.append(first_index)
    server.hooks.shutdown.append(write_unwritten)
    server.hooks.edited.append(saved)
