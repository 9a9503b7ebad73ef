"""`vjepa.insights(uri?)` (work patterns, organisation suggestions, project summary: JSON data) and
`vjepa.graph(uri?, {"open": bool}?)` (workspace/executeCommand) (writes the knowledge-graph page and opens it in the browser
with window/showDocument(external) when the client can, else says where it is). Both for the folder
holding `uri`, else the first indexed folder; the engine work runs in the engine thread."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError
from pygls.uris import from_fs_path

from vjepa_core.messages import text

from ..arguments import file_and_flags
from ..folders import Folder, locate
from ..server import VjepaServer  # at run time: pygls reads the command handlers' type hints


def folder_for(ls: VjepaServer, uri: str | None) -> Folder:
    """The indexed folder holding `uri`, else the first indexed folder; an LSP error otherwise."""
    if uri is not None:
        folder, _ = locate(ls.folders, uri)
        if not folder.indexed:
            raise JsonRpcInternalError(text("server.not_indexed", root=folder.root))
        return folder
    for folder in ls.folders:
        if folder.indexed:
            return folder
    raise JsonRpcInternalError(text("server.no_folder"))


async def insights(ls: VjepaServer, *args: Any) -> dict[str, Any]:
    uri, _ = file_and_flags("vjepa.insights", args, ())
    folder = folder_for(ls, uri)
    return await ls.engine_call(folder.workspace.insights)


async def graph(ls: VjepaServer, *args: Any) -> dict[str, Any]:
    """{"path", "uri", "shown"}; `{"open": false}` only writes the page (the VS Code extension shows
    it in a webview of its own)."""
    uri, flags = file_and_flags("vjepa.graph", args, ("open",))
    folder = folder_for(ls, uri)
    path = await ls.engine_call(folder.workspace.graph)
    page = from_fs_path(str(path)) or ""
    shown = False
    if flags.get("open", True):
        if ls.supports_show_document():
            answer = await ls.window_show_document_async(types.ShowDocumentParams(uri=page, external=True))
            shown = bool(answer and answer.success)
        if not shown:
            ls.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Info, message=text("server.graph_written", path=path)))
    return {"path": str(path), "uri": page, "shown": shown}


def register(server: VjepaServer) -> None:
    server.command("vjepa.insights")(insights)
    server.command("vjepa.graph")(graph)
