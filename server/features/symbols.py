"""workspace/symbol: semantic + full-text search over code units (Workspace.search), one symbol
per unit found; Helix's workspace-symbol picker is its search box."""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.uris import from_fs_path

from ..server import VjepaServer

LIMIT = 20


async def workspace_symbol(ls: VjepaServer, params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation]:
    if not params.query.strip():
        return []
    loop = asyncio.get_running_loop()
    symbols = []
    for folder in [f for f in ls.folders if f.indexed]:
        hits = await loop.run_in_executor(ls.engine, folder.workspace.search, params.query, LIMIT)
        for hit in hits:
            line = max(0, hit.line - 1)  # units count lines from 1, LSP from 0
            where = types.Range(start=types.Position(line=line, character=0),
                                end=types.Position(line=line, character=0))
            symbols.append(types.SymbolInformation(
                name=hit.name or hit.path, kind=types.SymbolKind.Function, container_name=hit.path,
                location=types.Location(uri=from_fs_path(str(folder.root / hit.path)) or "", range=where)))
    return symbols


def register(server: VjepaServer) -> None:
    server.feature(types.WORKSPACE_SYMBOL)(workspace_symbol)
