"""Consent: ask once per workspace folder (window/showMessageRequest) before anything is read."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from lsprotocol import types

if TYPE_CHECKING:
    from .server import VjepaServer

ALLOW, NOT_NOW, NEVER = "Allow", "Not now", "Never"
APP_NAME = "vjepa-swarm"


def consent_file() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "consent.json"


class ConsentBook:
    """Answers remembered per folder ("allow" or "never") in one small JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or consent_file()

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if v in ("allow", "never")} if isinstance(data, dict) else {}

    def get(self, folder: Path) -> str | None:
        return self._load().get(str(folder))

    def remember(self, folder: Path, answer: str) -> None:
        data = self._load()
        data[str(folder)] = answer
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".consent-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.replace(tmp, self.path)


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
