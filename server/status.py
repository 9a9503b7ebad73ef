"""`vjepa/status` (a notification sent on every change, for status bars) and `vjepa.status()`
(the same dict on request).

{"state": "indexing" | "training" | "idle", "files": n, "units": n,
 "model": {"name": "workspace" | "default" | "none", "version": "<weights digest>"},
 "idle_training": "off" | "waiting" | "training" | "stopping" | "closed" (the most active folder's),
 "folders": [{"root", "indexed", "files", "units", "model", "idle_training": {"state", "runs",
              "last_exit", "reason", "swarm": <the swarm's status JSON>}}, ...]}
plus, while indexing or training, "percentage" (and "done", "total" files while indexing), sent
each time the percentage moves. "state" is "training" while idle-time training runs or stops too.
"""

from __future__ import annotations

from typing import Any

from vjepa_core.index.vectors import model_key
from vjepa_core.workspace import DEFAULT_MODEL_DIR, Workspace

from .idle import overall
from .server import VjepaServer  # at run time: pygls reads the command handlers' type hints

NO_MODEL = {"name": "none", "version": ""}


def model_info(workspace: Workspace) -> dict[str, str]:
    """Runs in the engine thread: which model serves this workspace, and its weights' digest."""
    where = workspace.model_dir
    if where is None:
        return dict(NO_MODEL)
    return {"name": "default" if where == DEFAULT_MODEL_DIR else "workspace", "version": model_key(where)}


def snapshot(ls: VjepaServer) -> dict[str, Any]:
    """From the caches only (no engine call): cheap enough to send on every change."""
    folders = [{"root": str(f.root), "indexed": f.indexed, "files": f.files, "units": f.units, "model": f.model,
                "idle_training": f.idle_training} for f in ls.folders]
    first = next((f for f in folders if f["indexed"]), None)
    out = {"state": ls.state, "files": sum(f["files"] for f in folders), "units": sum(f["units"] for f in folders),
           "model": dict(first["model"]) if first else dict(NO_MODEL), "idle_training": overall(ls.folders),
           "folders": folders}
    if ls.progress and out["state"] != "idle":
        out.update(ls.progress)
    return out


def status(ls: VjepaServer) -> dict[str, Any]:
    return snapshot(ls)


def register(server: VjepaServer) -> None:
    server.command("vjepa.status")(status)
