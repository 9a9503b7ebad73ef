"""initialize / initialized / textDocument/didSave: read the options, ask consent, index, keep fresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from vjepa_core.messages import VjepaError

from .consent import approve
from .folders import Folder, locate, make_folder
from .indexing import index_folder
from .options import Options

if TYPE_CHECKING:
    from .server import VjepaServer


def initialize(ls: VjepaServer, params: types.InitializeParams) -> None:
    ls.options, problems = Options.parse(params.initialization_options)
    for problem in problems:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=problem))


async def _start(ls: VjepaServer) -> None:
    for root in ls.workspace_roots():
        if not await approve(ls, root):
            ls.window_log_message(types.LogMessageParams(
                type=types.MessageType.Info, message=f"Not reading {root}: no consent."))
            continue
        try:
            folder = make_folder(root, ls.options.index_dir)
        except VjepaError as exc:  # e.g. the home folder or a system folder: said exactly, then skipped
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=str(exc)))
            continue
        ls.folders.append(folder)
        async with ls.index_lock:
            await index_folder(ls, folder)
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
        ls.pending.discard(folder.root)  # saves from here on queue one more re-crawl
        await index_folder(ls, folder, announce=False)
    await refresh_lenses(ls)


def did_save(ls: VjepaServer, params: types.DidSaveTextDocumentParams) -> None:
    try:
        folder, _ = locate(ls.folders, params.text_document.uri)
    except JsonRpcException:
        return  # outside the approved folders or denied: not ours to read
    if folder.root not in ls.pending:  # one waiting re-crawl covers every save behind it
        ls.pending.add(folder.root)
        ls.background(_reindex(ls, folder))


def shutdown(ls: VjepaServer, params: None) -> None:
    """Drop queued engine work, so exit is not held up by it (a running crawl finishes its file)."""
    ls.engine.shutdown(wait=False, cancel_futures=True)


def register(server: VjepaServer) -> None:
    server.feature(types.SHUTDOWN)(shutdown)
    server.feature(types.INITIALIZE)(initialize)
    server.feature(types.INITIALIZED)(initialized)
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(did_save)
