"""The swarm's commands: `vjepa train --workers N`, `vjepa swarm status`, `vjepa bench swarm`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from vjepa_core.messages import VjepaError, Voice


def register(sub: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    """Add this module's parsers to `vjepa` (`sub`) and `vjepa bench` (`bench`); set `handler` on each."""
    train = sub.choices["train"]
    g = train.add_argument_group("swarm (several workers; docs/swarm.md)")
    g.add_argument("--workers", type=int, default=None,
                   help="train with N workers started by mlx.launch (default 1: the plain trainer)")
    g.add_argument("--hostfile", type=Path, default=None, help="mlx.launch hostfile: one worker per host")
    g.add_argument("--backend", choices=("ring", "mpi", "nccl"), default="ring", help="MLX distributed backend")
    g.add_argument("--sync-every", type=int, default=0, metavar="K",
                   help="average weights every K local steps instead of gradients every step (slow links)")
    g.add_argument("--resume", action="store_true", help="continue the interrupted run (else start one)")
    g.add_argument("--batch-size", type=int, default=None, help="global batch (default 32), split over workers")
    g.add_argument("--checkpoint-every", type=int, default=None, metavar="STEPS",
                   help="save a resumable checkpoint this often (default: a quarter of the run, at most 25)")
    g.add_argument("--max-steps-per-second", type=float, default=0.0, metavar="RATE",
                   help="pace training to keep the machine cool (default: as fast as it goes)")
    g.add_argument("--heartbeat-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="a worker silent this long is taken as hung and replaced")
    train.set_defaults(handler=_train)

    swarm = sub.add_parser("swarm", help="the training swarm: live status")
    ssub = swarm.add_subparsers(dest="swarm", required=True)
    status = ssub.add_parser("status", help="per-worker step, loss, steps/s, memory, ETA (live)")
    status.add_argument("root", nargs="?", default=".", help="workspace folder (default: the current folder)")
    status.add_argument("--index-dir", type=Path, default=None)
    status.add_argument("--once", action="store_true", help="print one snapshot and exit")
    status.add_argument("--json", action="store_true", help="print the status JSON and exit")
    status.set_defaults(handler=_status)

    b = bench.add_parser("swarm", help="steps/s and time-to-target loss for 1, 2 and 4 workers")
    b.add_argument("root", help="a crawled workspace to train on")
    b.add_argument("--index-dir", type=Path, default=None)
    b.add_argument("--workers", default="1,2,4", help="comma-separated worker counts")
    b.add_argument("--steps", type=int, default=60)
    b.add_argument("--batch-size", type=int, default=32)
    b.add_argument("--json", action="store_true")
    b.set_defaults(handler=_bench)


def _train(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.swarm.scheduler import stop_when_parent_dies

    stop_when_parent_dies()  # started by the server's idle scheduler: do not outlive it
    if not (args.resume or args.hostfile or (args.workers or 1) > 1):
        from vjepa_core.cli.main import _train as plain_train

        return plain_train(args, voice, console)
    for option, value, ok in (("--workers", args.workers, args.workers is None or args.workers >= 1),
                              ("--sync-every", args.sync_every, args.sync_every >= 0),
                              ("--steps", args.steps, args.steps >= 1)):
        if not ok:
            raise VjepaError("swarm.bad_option", option=option, expected="a positive number", value=value)
    from vjepa_core.swarm.coordinator import train_swarm
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    overrides = {k: v for k, v in (("dim", args.dim), ("depth", args.depth)) if v is not None}
    log = (lambda _: None) if args.quiet else (lambda s: console.print(s, style="dim", highlight=False))
    train_swarm(ws, voice, resume=args.resume, workers=args.workers, steps=args.steps, seed=args.seed,
                batch_size=args.batch_size, from_scratch=args.from_scratch, enc_overrides=overrides,
                sync_every=args.sync_every, checkpoint_every=args.checkpoint_every,
                max_steps_per_s=args.max_steps_per_second, backend=args.backend, hostfile=args.hostfile,
                out=args.out, embed=not args.no_embed, heartbeat_timeout=args.heartbeat_timeout, log=log)
    return 0


def _status(args: argparse.Namespace, voice: Voice, console: Console) -> int:
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


def _bench(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.swarm import bench_swarm, print_bench

    counts = [int(x) for x in str(args.workers).split(",") if x.strip()]
    result = bench_swarm(args.root, args.index_dir, counts, steps=args.steps, batch_size=args.batch_size)
    print(json.dumps(result, indent=2) if args.json else print_bench(result))
    return 0
