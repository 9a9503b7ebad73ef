"""Consent: ask once per workspace folder (window/showMessageRequest) before anything is read. The
answers live in vjepa_core.consent's store, which `vjepa mcp` reads too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from vjepa_core.consent import ConsentBook, consent_file

if TYPE_CHECKING:
    from pathlib import Path

    from .server import VjepaServer

# The buttons; the answers they leave in the consent store (vjepa_core.consent) are "allow" and "never".
ALLOW, NOT_NOW, NEVER = "Allow", "Not now", "Never"
__all__ = ["ALLOW", "NEVER", "NOT_NOW", "ConsentBook", "approve", "consent_file"]


async def approve(ls: VjepaServer, folder: Path) -> bool:
    """True once the user (or trustWorkspace) allows learning from `folder`."""
    if ls.options.trust_workspace:
        return True
    remembered = ls.consent.get(folder)
    if remembered is not None:
        return remembered == "allow"
    answer = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
        type=types.MessageType.Info,
        message=f"May I learn from {folder}? Everything stays on this machine.",
        actions=[types.MessageActionItem(title=t) for t in (ALLOW, NOT_NOW, NEVER)]))
    title = answer.title if answer else NOT_NOW
    if title == ALLOW:
        ls.consent.remember(folder, "allow")
    elif title == NEVER:
        ls.consent.remember(folder, "never")
    return title == ALLOW
