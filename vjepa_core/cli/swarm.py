"""The swarm's live status: `vjepa swarm status` (training with workers is `vjepa train --workers N`,
in train.py; its benchmark is `vjepa bench swarm`, in bench.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from vjepa_core.cli.common import Subcommands
from vjepa_core.messages import VjepaError, Voice


def add_swarm(sub: Subcommands) -> None:
    swarm = sub.add_parser("swarm", help="the training swarm: live status")
    ssub = swarm.add_subparsers(dest="swarm", required=True)
    status = ssub.add_parser("status", help="per-worker step, loss, steps/s, memory, ETA (live)")
    status.add_argument("root", nargs="?", default=".", help="workspace folder (default: the current folder)")
    status.add_argument("--index-dir", type=Path, default=None)
    status.add_argument("--once", action="store_true", help="print one snapshot and exit")
    status.add_argument("--json", action="store_true", help="print the status JSON and exit")
    status.set_defaults(handler=run_swarm_status)


def run_swarm_status(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.harvest.safety import check_root
    from vjepa_core.index.store import default_index_dir
    from vjepa_core.swarm.coordinator import run_folder
    from vjepa_core.swarm.dashboard import run_status, watch

    root = check_root(args.root, allow_home=True)
    run = run_folder(Path(args.index_dir or default_index_dir(root)))
    if not run.exists():
        raise VjepaError("swarm.no_run", path=run.path)
    if args.json:
        print(json.dumps(run_status(run), indent=2))
        return 0
    watch(run, Console(), once=args.once)
    return 0
