"""workspace/executeCommand: vjepa.relatedFiles, vjepa.search, vjepa.open.
(vjepa.predictNext lives in next.py, vjepa.status in status.py, vjepa.trainNow in training.py,
vjepa.insights and vjepa.graph in insights.py.)

Results are JSON-able lists of {path, score, reason, detail}. Commands that take a file also take
an optional last argument of flags (arguments.py), e.g. {"pick": true} to offer the results as a
pick list (picking.py). Paths outside the approved folders or on the deny list are refused with an
LSP error before anything is read.

Adding a command: write an async handler taking the server and the command's arguments (unpacked),
run engine work through `ls.engine_call`, raise `JsonRpcInvalidParams` for bad arguments, return
JSON-able data; register it in a `register(server)` of its own feature module, add that module
to `main.FEATURES` and say what the command takes in `arguments.EXPECTS` (a call whose arguments do
not fit the handler's signature is refused with those words before it runs). Declared commands
reach every client.
"""

from __future__ import annotations

from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from vjepa_core.messages import text

from .. import picking
from ..arguments import file_and_flags
from ..folders import locate
from ..server import VjepaServer, as_result

LIMIT = 10


async def related_files(ls: VjepaServer, *args: Any) -> list[dict[str, Any]]:
    """vjepa.relatedFiles(uri?, {"pick": bool}?): without a file, the one last opened or edited (Helix's
    `:lsp-workspace-command` sends no arguments). With picking, the results are also offered."""
    target, flags = file_and_flags("vjepa.relatedFiles", args, ("pick",))
    target = target if target is not None else ls.active
    if target is None:
        raise JsonRpcInvalidParams(text("server.no_file", command="vjepa.relatedFiles"))
    folder, rel = locate(ls.folders, target)
    results = [as_result(h) for h in await ls.engine_call(folder.workspace.related, rel, LIMIT)] \
        if folder.indexed else []
    if picking.wanted(ls, flags):
        picking.offer(ls, folder.root, results, text("server.pick_related", path=rel),
                      text("server.pick_nothing", path=rel))
    return results


async def search(ls: VjepaServer, query: Any) -> list[dict[str, Any]]:
    """vjepa.search(query): hybrid semantic and full-text search over every indexed folder."""
    if not isinstance(query, str):
        raise JsonRpcInvalidParams(f"vjepa.search expects a query string, got {query!r}")
    results = []
    for folder in [f for f in ls.folders if f.indexed]:
        results += [as_result(h) for h in await ls.engine_call(folder.workspace.search, query, LIMIT)]
    return sorted(results, key=lambda r: -r["score"])[:LIMIT]


async def open_path(ls: VjepaServer, path: Any) -> dict[str, Any]:
    """vjepa.open(path): the file in the editor (window/showDocument), else its path in a message."""
    folder, rel = locate(ls.folders, path)
    return await ls.show_file(folder.root / rel)


def register(server: VjepaServer) -> None:
    server.command("vjepa.relatedFiles")(related_files)
    server.command("vjepa.search")(search)
    server.command("vjepa.open")(open_path)
