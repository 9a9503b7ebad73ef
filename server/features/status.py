"""`vjepa.status()` (workspace/executeCommand): the same dict the core sends as the `vjepa/status`
notification on every change, for status bars (VjepaServer.status and publish_status):

{"state": "indexing" | "training" | "idle", "files": n, "units": n,
 "model": {"name": "workspace" | "default" | "none", "version": "<weights digest>"},
 "idle_training": "off" | "waiting" | "training" | "stopping" | "closed" (the most active folder's),
 "folders": [{"root", "indexed", "files", "units", "model", "idle_training": {"state", "runs",
              "last_exit", "reason", "swarm": <the swarm's status JSON>},
              "secret_skips": [{"path", "family"}, ...] (skipped as holding secrets; never the value)}, ...]}
plus, while indexing or training, "percentage" (and "done", "total" files while indexing), sent
each time the percentage moves. "state" is "training" while idle-time training runs or stops too.
"""

from __future__ import annotations

from typing import Any

from ..server import VjepaServer


def status(ls: VjepaServer) -> dict[str, Any]:
    return ls.status()


def register(server: VjepaServer) -> None:
    server.command("vjepa.status")(status)
