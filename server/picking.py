"""Results as a pick list, for clients that show no code lenses and ignore command results (Helix):
window/showMessageRequest with one action per file; the chosen one is opened like `vjepa.open`
(window/showDocument, else a message with the path).

On when `pickResults` is true, by default for clients named "helix", or per call with
`{"pick": true}` as the last argument of vjepa.relatedFiles / vjepa.predictNext. A core service:
both of those features offer their results through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from .folders import locate

if TYPE_CHECKING:
    from .server import VjepaServer

PICK = 5  # actions offered: a message request is a row of buttons, not a list


def wanted(ls: VjepaServer, flags: dict[str, bool]) -> bool:
    return flags.get("pick", ls.picks())


def offer(ls: VjepaServer, root: Path, results: list[dict[str, Any]], message: str, nothing: str) -> None:
    """Ask the client in the background (the command's answer does not wait for the user)."""
    if not results:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=nothing))
        return
    ls.background(_ask(ls, root, [r["path"] for r in results[:PICK]], message))


async def _ask(ls: VjepaServer, root: Path, paths: list[str], message: str) -> None:
    answer = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
        type=types.MessageType.Info, message=message,
        actions=[types.MessageActionItem(title=p) for p in paths]))
    if answer is not None and answer.title in paths:  # only what was offered is opened
        folder, rel = locate(ls.folders, str(root / answer.title))
        await ls.show_file(folder.root / rel)
