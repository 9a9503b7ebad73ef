"""`vjepa train-prior`: pretrain the next-file predictor on other repositories' histories."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from vjepa_core.cli.common import Subcommands
from vjepa_core.messages import Voice


def add_train_prior(sub: Subcommands) -> None:
    p = sub.add_parser("train-prior",
                       help="pretrain the next-file predictor on git histories (the shipped prior)")
    p.add_argument("repos", nargs="+", type=Path, help="git repositories whose histories to learn from")
    p.add_argument("--steps", type=int, default=2000, help="training steps (default 2000)")
    p.add_argument("--max-examples", type=int, default=20000,
                   help="newest examples kept per history, so no one history dominates (default 20000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="the prior file to write (.safetensors)")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(handler=run_train_prior)


def _source(repo: Path) -> str:
    from vjepa_core.harvest.history import head_sha

    head = head_sha(repo)
    return f"{repo.name}@{head[:12]}" if head else repo.name


def run_train_prior(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.harvest.history import read_commits
    from vjepa_core.messages import VjepaError
    from vjepa_core.model.nextfile.config import NextFileConfig
    from vjepa_core.model.nextfile.prior import save_prior
    from vjepa_core.model.nextfile.training import pretrain_predictor

    log = (lambda _: None) if args.quiet else (lambda s: console.print(s, highlight=False, soft_wrap=True))
    histories, sources = [], []
    for repo in args.repos:
        commits = read_commits(repo)
        if not commits:
            voice.warn("prior.skipped", repo=repo)
            continue
        histories.append(commits)
        sources.append(_source(repo))
    if not histories:
        raise VjepaError("prior.no_history")
    voice.say("prior.start", count=len(histories), commits=sum(len(h) for h in histories))
    cfg = NextFileConfig()
    model = pretrain_predictor(histories, cfg, steps=args.steps, seed=args.seed,
                               max_examples=args.max_examples, log=log)
    path = save_prior(model, cfg, args.out, sources)
    n = len(histories)
    voice.say("prior.done", count=n, noun="history" if n == 1 else "histories", path=path)
    return 0


def add_make_encoder(sub: Subcommands) -> None:
    p = sub.add_parser("make-encoder",
                       help="train a static code encoder from a model2vec distillation (the shipped model)")
    p.add_argument("trees", nargs="+", type=Path, help="source trees whose code units it learns from")
    p.add_argument("--distilled", type=Path, required=True, help="the model2vec folder it starts from")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="gitignore-style pattern of files to leave out (repeatable)")
    p.add_argument("--steps", type=int, default=1000, help="training steps (default 1000)")
    p.add_argument("--batch-size", type=int, default=256, help="(context, body) pairs per step (default 256)")
    p.add_argument("--jepa-weight", type=float, default=1.0,
                   help="weight of the prediction term against the EMA target (0: the online two-view term alone)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="the model folder to write")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(handler=run_make_encoder)


def run_make_encoder(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.model.encoder import static
    from vjepa_core.model.encoder.corpus import corpus_units, from_model2vec
    from vjepa_core.model.encoder.static_train import StaticTrainConfig, train_static, training_pairs

    def log(entry: dict) -> None:
        if not args.quiet:
            console.print(", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in entry.items()),
                          style="dim", highlight=False)

    start = from_model2vec(args.distilled)
    found = list(corpus_units(args.trees, args.exclude))
    units = [u for u, _ in found]
    pairs = training_pairs(units, [g for _, g in found])
    voice.say("encoder.start", units=len(units), pairs=len(pairs))
    cfg = StaticTrainConfig(steps=args.steps, seed=args.seed, batch_size=args.batch_size, jepa_weight=args.jepa_weight)
    model = train_static(start, pairs, [t for t, _, _ in units], cfg, log=log)
    model.metadata["sources"] = [str(t) for t in args.trees]
    path = static.save(model, args.out)
    voice.say("encoder.done", path=path.parent)
    return 0
