"""`vjepa swarm status`: a live rich view of status.json and the heartbeats (and the JSON for scripts)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table

from vjepa_core.swarm.coordinator import run_folder
from vjepa_core.swarm.runfolder import RunFolder

FINAL = ("done", "failed", "stopped")


def read_status(index_dir: str | Path) -> dict[str, Any] | None:
    """The swarm's state for a workspace, as the dashboard and the language server's `vjepa/status`
    show it: status.json with fresh heartbeats; None when no run was ever started."""
    return run_status(run_folder(Path(index_dir)))


def run_status(run: RunFolder) -> dict[str, Any] | None:
    status = run.status()
    if status is None:
        return None
    beats = run.heartbeats()
    if beats:
        status["ranks"] = {str(r): b for r, b in beats.items()}
    alive = status.get("state") not in FINAL and _pid_alive(status.get("pid"))
    if status.get("state") not in FINAL and not alive:
        status["state"] = "interrupted"  # the coordinator died: `vjepa train --resume` continues
    promotion = run.promotion_path
    if "promotion" not in status and promotion.exists():
        from vjepa_core.swarm.runfolder import read_json

        status["promotion"] = read_json(promotion)
    return status


def _pid_alive(pid: Any) -> bool:
    import psutil

    try:
        return bool(pid) and psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


def render(status: dict[str, Any]) -> Group:
    head = Table.grid(padding=(0, 2))
    head.add_row("[bold]swarm[/]", f"{status.get('state')}", f"step {status.get('step', 0)}/{status.get('steps')}",
                 f"{status.get('workers')} worker(s), {status.get('shards')} shards",
                 f"ETA {_eta(status.get('eta_s'))}", f"restarts {status.get('restarts', 0)}")
    t = Table(box=None)
    for col in ("worker", "host", "state", "step", "loss", "steps/s", "memory"):
        t.add_column(col, justify="right" if col in ("step", "loss", "steps/s", "memory") else "left")
    for r, b in sorted(status.get("ranks", {}).items(), key=lambda kv: int(kv[0])):
        loss = b.get("loss")
        t.add_row(str(int(r) + 1), str(b.get("host", "")), str(b.get("state", "")), str(b.get("step", 0)),
                  f"{loss:.4f}" if isinstance(loss, (int, float)) else "-",
                  f"{b.get('steps_per_s', 0):.2f}", f"{b.get('rss_mb', 0):.0f} MB")
    parts: list[Any] = [head, t]
    for e in status.get("events", [])[-5:]:
        parts.append(f"[dim]{time.strftime('%H:%M:%S', time.localtime(e['time']))}[/] {e['message']}")
    if status.get("promotion"):
        p = status["promotion"]
        parts.append(f"promotion: {'promoted' if p.get('promote') else 'kept the current model'}: {p.get('why')}")
    return Group(*parts)


def watch(run: RunFolder, console: Console, *, once: bool = False, interval: float = 0.5) -> dict[str, Any] | None:
    from rich.live import Live

    status = run_status(run)
    if status is None or once or not console.is_terminal:
        if status is not None:
            console.print(render(status))
        return status
    with Live(render(status), console=console, refresh_per_second=4) as live:
        while status.get("state") not in (*FINAL, "interrupted"):
            time.sleep(interval)
            status = run_status(run) or status
            live.update(render(status))
    return status
