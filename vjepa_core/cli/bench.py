"""`vjepa bench ...`: the benchmarks (docs/BENCHMARKS.md). Each one's parser and handler live here;
the measuring is in vjepa_core/bench/, which nothing else in the product imports."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from vjepa_core.cli.common import Subcommands
from vjepa_core.messages import VjepaError, Voice


def add_bench(sub: Subcommands) -> None:
    bench = sub.add_parser("bench", help="benchmarks (see docs/BENCHMARKS.md)")
    bsub = bench.add_subparsers(dest="bench", required=True)
    for add in (_add_crawl, _add_embed, _add_lenses, _add_next_file, _add_search, _add_secrets, _add_swarm, _add_lsp):
        add(bsub)


def _add_crawl(bsub: Subcommands) -> None:
    p = bsub.add_parser("crawl", help="crawl+parse+store vs tree-sitter parsing alone")
    p.add_argument("root", help="folder to crawl, e.g. the standard library")
    p.add_argument("--json", action="store_true")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="gitignore-style pattern to leave out, e.g. site-packages/")
    p.set_defaults(handler=run_bench_crawl)


def _add_embed(bsub: Subcommands) -> None:
    p = bsub.add_parser("embed", help="encoder units/s (bundled BLAS and OpenBLAS) and the vectors' geometry")
    p.add_argument("--root", type=Path, required=True, help="a source tree to take code units from")
    p.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped one)")
    p.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                   help="another model folder measured beside it, e.g. an earlier release's encoder")
    p.add_argument("--limit", type=int, default=20000, help="at most this many units")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_bench_embed)


def _add_next_file(bsub: Subcommands) -> None:
    p = bsub.add_parser("next-file", help="next-file prediction on a real git history (protocol section 1)")
    p.add_argument("--repo", type=Path, required=True, help="a git repository, e.g. a clone of psf/requests")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-prior", action="store_true",
                   help="train the predictor from scratch instead of from the shipped prior")
    p.add_argument("--prior", type=Path, default=None, help="a prior file (default: the shipped one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_bench_next_file)


def _add_lenses(bsub: Subcommands) -> None:
    p = bsub.add_parser("lenses", help="the Related and Next lenses as served, frozen at the split and online, "
                        "vs co-change, cochange+recency and TARMAQ (protocol section 4)")
    p.add_argument("--repo", type=Path, required=True, help="a git work tree, e.g. a clone of psf/requests")
    p.add_argument("--no-online", action="store_true", help="the frozen index only")
    p.add_argument("--online-commits", type=int, default=None, metavar="N",
                   help="replay only the first N test commits online (each one re-indexes)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_bench_lenses)


def run_bench_lenses(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.lenses import bench_lenses

    log = (lambda *a, **k: None) if args.json else (lambda *a, **k: print(*a, file=sys.stderr))
    result = bench_lenses(args.repo, online=not args.no_online, online_commits=args.online_commits, log=log)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for mode in ("frozen", "online"):
        if mode in result:
            print(_methods_table({**result[mode], "repo": f"{result['repo']}, {mode}"}))
    return 0


def _add_search(bsub: Subcommands) -> None:
    p = bsub.add_parser("search", help="code search: BM25 vs the encoder vs the product (docstring -> code, "
                        "or natural-language queries with --queries)")
    p.add_argument("--root", type=Path, required=True, help="a source tree, e.g. requests' src/")
    p.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: the shipped one)")
    p.add_argument("--queries", type=Path, default=None, metavar="FILE",
                   help="a query file (tests/data/nl_queries/*.json): NDCG@10 over units and files, per kind")
    p.add_argument("--no-minilm", action="store_true",
                   help="skip the in-run MiniLM baseline (it runs when sentence-transformers is installed)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_bench_search)


def _add_secrets(bsub: Subcommands) -> None:
    p = bsub.add_parser("secrets", help="secret screening: catch rate per family, false positives on clean trees")
    p.add_argument("trees", nargs="*", type=Path, help="clean source trees, e.g. the stdlib and a clone of psf/requests")
    p.add_argument("--seed", type=int, default=0, help="the corpus' random values")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="gitignore-style pattern to leave out, e.g. site-packages/")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_bench_secrets)


def run_bench_secrets(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.secrets import bench_secrets, print_secrets_bench

    result = bench_secrets(args.trees, args.seed, args.exclude)
    return _emit(result, args.json, print_secrets_bench)


def _add_swarm(bsub: Subcommands) -> None:
    p = bsub.add_parser("swarm", help="steps/s and time-to-target loss for 1, 2 and 4 workers")
    p.add_argument("root", help="a crawled workspace to train on")
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--workers", default="1,2,4", help="comma-separated worker counts")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_bench_swarm)


def _add_lsp(bsub: Subcommands) -> None:
    p = bsub.add_parser("lsp", help="the language server over stdio: lens latency, save-to-lens, RSS, idle CPU")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--root", type=Path, help="a workspace to measure on (a copy is used; it is never changed)")
    where.add_argument("--generate", type=int, metavar="N", help="measure on a synthetic git workspace of N Python files")
    p.add_argument("--files", type=int, default=500, metavar="N", help="random files to ask for lenses (default 500)")
    p.add_argument("--requests", type=int, default=2000, help="codeLens requests in all (default 2000)")
    p.add_argument("--saves", type=int, default=20, help="edit-and-save rounds (default 20)")
    p.add_argument("--idle-seconds", type=float, default=10.0, help="how long to watch idle CPU (default 10)")
    p.add_argument("--commits", type=int, default=300, help="commits in a generated history (default 300)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the first index (default 3600)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run_bench_lsp)


def run_bench_crawl(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.crawl import bench_crawl, print_crawl_bench

    result = bench_crawl(Path(args.root), args.exclude)
    return _emit(result, args.json, print_crawl_bench)


def run_bench_embed(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.embed import bench_embed, print_embed_bench
    from vjepa_core.model.encoder.encode import load_model
    from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR

    for d in (args.model or DEFAULT_MODEL_DIR, args.baseline):
        if d is not None:
            load_model(d)  # a clear error here rather than in the child runs
    result = bench_embed(args.model or DEFAULT_MODEL_DIR, args.root, args.limit, args.baseline)
    return _emit(result, args.json, print_embed_bench)


def run_bench_next_file(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.nextfile import bench_next_file
    from vjepa_core.model.nextfile.config import NextFileConfig
    from vjepa_core.model.nextfile.prior import load_prior

    log = (lambda *a, **k: None) if args.json else (lambda *a, **k: print(*a, file=sys.stderr))
    cfg = NextFileConfig(prior=not args.no_prior)
    prior = load_prior(cfg, args.prior, log=log) if args.prior else None
    result = bench_next_file(args.repo, seed=args.seed, log=log, cfg=cfg, prior=prior)
    print(json.dumps(result, indent=2) if args.json else _methods_table(result))
    return 0


def run_bench_search(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.search import bench_search_cli

    if not Path(args.root).is_dir():
        raise VjepaError("bench_search.no_root", root=args.root)
    if args.queries is not None:
        from vjepa_core.bench.nlsearch import bench_nl_search, print_nl

        return _emit(bench_nl_search(args.root, args.queries, args.model, minilm=not args.no_minilm), args.json,
                     print_nl)
    result = bench_search_cli(args.root, args.model)
    print(json.dumps(result, indent=2) if args.json else _methods_table(result))
    return 0


def run_bench_swarm(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.swarm import bench_swarm, print_bench

    counts = [int(x) for x in str(args.workers).split(",") if x.strip()]
    result = bench_swarm(args.root, args.index_dir, counts, steps=args.steps, batch_size=args.batch_size)
    print(json.dumps(result, indent=2) if args.json else print_bench(result))
    return 0


def run_bench_lsp(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.bench.lsp import bench_lsp, print_report

    if args.generate is None and not Path(args.root).is_dir():
        raise VjepaError("bench_lsp.no_root", root=args.root)
    for name in ("files", "requests", "saves"):
        if getattr(args, name) < 1:
            raise VjepaError("bench_lsp.bad_count", option=f"--{name}", value=getattr(args, name))
    if args.generate is not None and args.generate < 20:
        raise VjepaError("bench_lsp.bad_count", option="--generate", value=args.generate)
    report = bench_lsp(root=args.root, generate=args.generate, files=args.files, requests=args.requests,
                       saves=args.saves, idle_seconds=args.idle_seconds, commits=args.commits, seed=args.seed,
                       index_timeout=args.timeout, log=lambda key, **kw: voice.say(key, **kw))
    return _emit(report, args.json, print_report)


def _emit(result: dict, as_json: bool, show: Callable[[dict], None]) -> int:
    """A benchmark's result: JSON for programs (`--json`), else its own printed table."""
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        show(result)
    return 0


def _methods_table(result: dict) -> str:
    """A benchmark's methods (rows) by metrics (columns): next-file and search."""
    methods = result["methods"]
    metrics = list(next(iter(methods.values())))
    lines = [f"{result.get('root', result.get('repo'))}: {result['queries']} queries",
             f"  {'method':18s}" + "".join(f"{m:>9s}" for m in metrics)]
    for name, vals in methods.items():
        lines.append(f"  {name:18s}" + "".join(f"{vals[m]:9.3f}" for m in metrics))
    return "\n".join(lines)
