"""`vjepa train`: train the model on this workspace, in this process or with a swarm of workers
(docs/swarm.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from vjepa_core.cli.common import Subcommands, add_workspace_options, embed_vectors, say_blas_tip_once
from vjepa_core.messages import VjepaError, Voice


def add_train(sub: Subcommands) -> None:
    train = sub.add_parser("train", help="train the model on this workspace (fine-tunes the current one)")
    add_workspace_options(train)
    train.add_argument("--steps", type=int, default=240, help="training steps (default 240: the fine-tune of the shipped encoder in about 2 minutes on 2 cores)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--from-scratch", action="store_true", help="a new tokenizer and model, not a fine-tune")
    train.add_argument("--dim", type=int, default=None, help="model width (from scratch only)")
    train.add_argument("--depth", type=int, default=None, help="transformer layers (from scratch only)")
    train.add_argument("--out", type=Path, default=None, help="save the checkpoint here instead of the index")
    train.add_argument("--no-embed", action="store_true", help="do not refresh vectors afterwards")
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
    train.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    say_blas_tip_once(voice)
    from vjepa_core.swarm.scheduler import stop_when_parent_dies

    stop_when_parent_dies()  # started by the server's idle scheduler: do not outlive it
    if args.hostfile or (args.workers or 1) > 1 or (args.resume and not _plain_fine_tune(args)):
        return _train_swarm(args, voice, console)
    return _train_here(args, voice, console)


def _plain_fine_tune(args: argparse.Namespace) -> bool:
    """`--resume` with no swarm run to pick up, on a workspace served by the static encoder: that
    trains in one process in about a minute (the idle scheduler asks for `--resume`)."""
    from vjepa_core.model.encoder.encode import is_static
    from vjepa_core.swarm.coordinator import run_folder
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    run = run_folder(ws.index_dir)
    unfinished = run.exists() and (run.status() or {}).get("state") != "done"
    return not unfinished and not args.from_scratch and ws.model_dir is not None and is_static(ws.checkpoint())


def _overrides(args: argparse.Namespace) -> dict[str, int]:
    """The encoder's shape options that were given (from scratch only)."""
    return {k: v for k, v in (("dim", args.dim), ("depth", args.depth)) if v is not None}


def _train_here(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    """The plain trainer, in this process."""
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    n_units = ws.store.count("units")
    voice.say("train.start", units=n_units, root=ws.root)

    def log(entry: dict) -> None:
        if args.quiet:
            return
        shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in entry.items())
        console.print(shown, style="dim", highlight=False)

    path = ws.train(steps=args.steps, seed=args.seed, from_scratch=args.from_scratch, out=args.out,
                    enc_overrides=_overrides(args), log=log)
    decision = ws.last_training
    if decision and not decision.get("promote") and args.out is None:
        voice.say("train.kept", why=decision["why"])
        return 0
    voice.say("train.done", path=path)
    if not args.no_embed and args.out is None:
        embed_vectors(ws, voice)
    return 0


def _train_swarm(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    """N workers started by mlx.launch, coordinated from here (or the interrupted run resumed)."""
    for option, value, ok in (("--workers", args.workers, args.workers is None or args.workers >= 1),
                              ("--sync-every", args.sync_every, args.sync_every >= 0),
                              ("--steps", args.steps, args.steps >= 1)):
        if not ok:
            raise VjepaError("swarm.bad_option", option=option, expected="a positive number", value=value)
    from vjepa_core.swarm.coordinator import train_swarm
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    log = (lambda _: None) if args.quiet else (lambda s: console.print(s, style="dim", highlight=False))
    train_swarm(ws, voice, resume=args.resume, workers=args.workers, steps=args.steps, seed=args.seed,
                batch_size=args.batch_size, from_scratch=args.from_scratch, enc_overrides=_overrides(args),
                sync_every=args.sync_every, checkpoint_every=args.checkpoint_every,
                max_steps_per_s=args.max_steps_per_second, backend=args.backend, hostfile=args.hostfile,
                out=args.out, embed=not args.no_embed, heartbeat_timeout=args.heartbeat_timeout, log=log)
    return 0
