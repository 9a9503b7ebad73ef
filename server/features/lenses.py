"""textDocument/codeLens: "Related: a.py · b.md · c_test.py" (one lens per file) and
"Next: tests/test_x.py" at the top of a file, from the caches filled after indexing (never an
engine call here, so lenses stay fast). The reason is in each lens's tooltip; clicking a lens
runs `vjepa.open` (features/commands.py)."""

from __future__ import annotations

from lsprotocol import types

from ..folders import Elsewhere, locate
from ..server import VjepaServer

TOP = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))


def code_lens(ls: VjepaServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    try:
        folder, rel = locate(ls.folders, params.text_document.uri)
    except Elsewhere:
        return []  # not an approved folder, denied, or not a file: no lenses, no error (an unusable URI is one)
    lenses = []
    for i, hit in enumerate(folder.related.get(rel, [])):
        title = f"Related: {hit.path}" if i == 0 else f"· {hit.path}"
        lenses.append(types.CodeLens(range=TOP, command=types.Command(
            title=title, command="vjepa.open", tooltip=f"{hit.reason}: {hit.detail}",
            arguments=[str(folder.root / hit.path)])))
    after = folder.next.get(rel)
    if after is not None:
        lenses.append(types.CodeLens(range=TOP, command=types.Command(
            title=f"Next: {after.path}", command="vjepa.open", tooltip=f"{after.reason}: {after.detail}",
            arguments=[str(folder.root / after.path)])))
    return lenses


def register(server: VjepaServer) -> None:
    server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))(code_lens)
