"""Which folders the user allowed VJEPA to read: one small JSON file in the user data folder, shared
by every way in (the language server asks once per workspace folder; `vjepa mcp ROOT` counts as a
yes for ROOT). Folders are keyed by their resolved absolute path; answers are "allow" or "never".
Imports nothing of ours."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import platformdirs

APP_NAME = "vjepa-swarm"
ALLOW, NEVER = "allow", "never"


def consent_file() -> Path:
    """<user data dir>/consent.json (XDG_DATA_HOME moves it on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "consent.json"


class ConsentBook:
    """Answers remembered per folder ("allow" or "never") in one small JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or consent_file()

    def answers(self) -> dict[str, str]:
        """Every remembered answer, folder -> "allow" or "never" (a missing or broken file: none)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if v in (ALLOW, NEVER)} if isinstance(data, dict) else {}

    def get(self, folder: Path) -> str | None:
        return self.answers().get(str(folder))

    def remember(self, folder: Path, answer: str) -> None:
        if answer not in (ALLOW, NEVER):
            raise ValueError(f"a consent answer is {ALLOW!r} or {NEVER!r}, not {answer!r}")
        data = self.answers()
        data[str(folder)] = answer
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".consent-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.replace(tmp, self.path)
