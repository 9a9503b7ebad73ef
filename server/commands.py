"""workspace/executeCommand: vjepa.relatedFiles, vjepa.predictNext, vjepa.search, vjepa.open.
(vjepa.status lives in status.py, vjepa.trainNow in training.py, vjepa.insights and vjepa.graph in
insights.py.)

Results are JSON-able lists of {path, score, reason, detail}. Commands that take a file also take
an optional last argument of flags (arguments.py), e.g. {"pick": true} to offer the results as a
pick list (picking.py). Paths outside the approved folders or on the deny list are refused with an
LSP error before anything is read.

Adding a command: write an async handler taking the server and the command's arguments (unpacked),
run engine work through `engine_call`, raise `JsonRpcInvalidParams` for bad arguments, return
JSON-able data; register it in a `register(server)` of its own module and add that module to
`main.FEATURES`. Declared commands reach every client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.uris import from_fs_path

from vjepa_core.messages import VjepaError, text

from . import picking
from .arguments import file_and_flags
from .folders import locate
from .nextfiles import predict_next
from .server import VjepaServer

LIMIT = 10


def as_result(hit: Any) -> dict[str, Any]:
    out = {"path": hit.path, "score": round(float(hit.score), 6), "reason": hit.reason, "detail": hit.detail}
    if getattr(hit, "name", ""):
        out.update(name=hit.name, line=hit.line)
    return out


async def engine_call(ls: VjepaServer, fn: Any, *args: Any) -> Any:
    """Run `fn(*args)` in the engine thread; an engine error becomes an LSP error with its exact words."""
    try:
        return await asyncio.get_running_loop().run_in_executor(ls.engine, fn, *args)
    except VjepaError as exc:  # exact words from the catalogue
        raise JsonRpcInternalError(str(exc)) from exc


async def related_files(ls: VjepaServer, *args: Any) -> list[dict[str, Any]]:
    """vjepa.relatedFiles(uri?, {"pick": bool}?): without a file, the one last opened or edited (Helix's
    `:lsp-workspace-command` sends no arguments). With picking, the results are also offered."""
    target, flags = file_and_flags("vjepa.relatedFiles", args, ("pick",))
    target = target if target is not None else ls.active
    if target is None:
        raise JsonRpcInvalidParams(text("server.no_file", command="vjepa.relatedFiles"))
    folder, rel = locate(ls.folders, target)
    results = [as_result(h) for h in await engine_call(ls, folder.workspace.related, rel, LIMIT)] \
        if folder.indexed else []
    if picking.wanted(ls, flags):
        picking.offer(ls, folder.root, results, text("server.pick_related", path=rel),
                      text("server.pick_nothing", path=rel))
    return results


async def search(ls: VjepaServer, query: Any) -> list[dict[str, Any]]:
    if not isinstance(query, str):
        raise JsonRpcInvalidParams(f"vjepa.search expects a query string, got {query!r}")
    results = []
    for folder in [f for f in ls.folders if f.indexed]:
        results += [as_result(h) for h in await engine_call(ls, folder.workspace.search, query, LIMIT)]
    return sorted(results, key=lambda r: -r["score"])[:LIMIT]


async def open_path(ls: VjepaServer, path: Any) -> dict[str, Any]:
    folder, rel = locate(ls.folders, path)
    target = folder.root / rel
    if ls.supports_show_document():
        shown = await ls.window_show_document_async(types.ShowDocumentParams(
            uri=from_fs_path(str(target)) or "", take_focus=True))
        return {"path": str(target), "shown": bool(shown and shown.success)}
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=str(target)))
    return {"path": str(target), "shown": False}


def register(server: VjepaServer) -> None:
    server.command("vjepa.relatedFiles")(related_files)
    server.command("vjepa.predictNext")(predict_next)
    server.command("vjepa.search")(search)
    server.command("vjepa.open")(open_path)
