"""initialize / initialized / didSave / shutdown: read the options, ask consent, index, keep fresh."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from vjepa_core.messages import VjepaError, text

from . import events
from .consent import approve
from .folders import Folder, locate, make_folder
from .idle import close_schedulers, start_scheduler
from .indexing import index_folder, update_folder
from .options import Options
from .watcher import watch

if TYPE_CHECKING:
    from .server import VjepaServer

SHUTDOWN_FLUSH_SECONDS = 2.0  # the last events are written if the engine is free within this


def initialize(ls: VjepaServer, params: types.InitializeParams) -> None:
    ls.options, problems = Options.parse(params.initialization_options)
    if params.client_info and params.client_info.name:
        ls.client_name = params.client_info.name
    for problem in problems:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=problem))


async def _start(ls: VjepaServer) -> None:
    ls.background(events.flush_forever(ls))
    for root in ls.workspace_roots():
        if not await approve(ls, root):
            ls.window_log_message(types.LogMessageParams(
                type=types.MessageType.Info, message=text("server.no_consent", root=root)))
            continue
        try:
            folder = make_folder(root, ls.options.index_dir)
        except VjepaError as exc:  # e.g. the home folder or a system folder: said exactly, then skipped
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=str(exc)))
            continue
        ls.folders.append(folder)
        if ls.options.watch:  # started before the first crawl, so nothing changed during it is missed
            ls.background(watch(ls, folder))
        async with ls.index_lock:
            ls.publish_status()
            await index_folder(ls, folder)
        ls.publish_status()
        if folder.indexed and not ls.stopping.is_set():
            await start_scheduler(ls, folder)
    await refresh_lenses(ls)


def initialized(ls: VjepaServer, params: types.InitializedParams) -> None:
    ls.background(_start(ls))


async def refresh_lenses(ls: VjepaServer) -> None:
    if not ls.supports_lens_refresh() or not any(f.indexed for f in ls.folders):
        return
    try:
        await ls.workspace_code_lens_refresh_async(None)
    except JsonRpcException as exc:  # a client that claims the capability but fails it: lenses still work
        ls.window_log_message(types.LogMessageParams(
            type=types.MessageType.Warning, message=f"workspace/codeLens/refresh failed: {exc}"))


async def _reindex(ls: VjepaServer, folder: Folder) -> None:
    async with ls.index_lock:
        paths = ls.pending.pop(folder.root, None)  # changes from here on queue one more re-index
        ls.publish_status()
        changed = True
        if paths:
            changed = await update_folder(ls, folder, sorted(paths))
        else:
            await index_folder(ls, folder, announce=False)
    ls.publish_status()
    if changed:
        await refresh_lenses(ls)


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


def did_save(ls: VjepaServer, params: types.DidSaveTextDocumentParams) -> None:
    folder = events.record(ls, params.text_document.uri, "save")
    if folder is not None:  # outside the approved folders or denied: not ours to read
        try:
            _, rel = locate([folder], params.text_document.uri)
        except JsonRpcException:
            return
        queue_reindex(ls, folder, {rel})


async def shutdown(ls: VjepaServer, params: None) -> None:
    """Stop watching and idle training, write the last events if the engine is free soon, drop
    queued engine work (a running crawl finishes its file; the index stays consistent if killed)."""
    ls.stopping.set()
    try:
        await asyncio.wait_for(events.flush(ls), SHUTDOWN_FLUSH_SECONDS)
    except asyncio.TimeoutError:
        pass
    await close_schedulers(ls)  # each stops its training process, if any
    ls.engine.shutdown(wait=False, cancel_futures=True)


def register(server: VjepaServer) -> None:
    server.feature(types.SHUTDOWN)(shutdown)
    server.feature(types.INITIALIZE)(initialize)
    server.feature(types.INITIALIZED)(initialized)
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(did_save)
