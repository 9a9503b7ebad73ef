"""Where a workspace's index lives by default. No LanceDB here: commands that may not need the index
open (a search answered from the snapshot on disk) name its folder without importing it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import platformdirs

APP_NAME = "vjepa-swarm"


def default_index_dir(root: Path) -> Path:
    """<user data dir>/workspaces/<name>-<hash of the absolute root>."""
    digest = hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()
    return Path(platformdirs.user_data_dir(APP_NAME)) / "workspaces" / f"{root.name or 'root'}-{digest}"
