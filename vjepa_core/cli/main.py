"""The `vjepa` command line."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from vjepa_core.messages import CheckpointError, VjepaError, Voice, text


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("root", nargs="?", default=".", help="workspace folder (default: the current folder)")
    p.add_argument("--index-dir", type=Path, default=None,
                   help="where the index lives (default: a folder per workspace in your user data dir)")
    p.add_argument("--quiet", "-q", action="store_true", help="only errors and the final summary")


def _query_options(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("-k", type=int, default=10, help="how many results")
    p.add_argument("--json", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vjepa", description="A private workspace memory for your editor.")
    sub = parser.add_subparsers(dest="command", required=True)

    crawl = sub.add_parser("crawl", help="learn the files, code and history of a folder (incremental)")
    _common(crawl)
    crawl.add_argument("--allow-home", action="store_true", help="allow the whole home folder as a root")
    crawl.add_argument("--max-bytes", type=int, default=1024 * 1024, help="skip files larger than this")
    crawl.add_argument("--rebuild", action="store_true", help="throw the index away and start fresh")
    crawl.add_argument("--no-history", action="store_true", help="do not read git history")
    crawl.add_argument("--no-embed", action="store_true", help="do not refresh vectors after the crawl")
    crawl.add_argument("--json", action="store_true", help="print the summary as JSON")
    crawl.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                       help="also ignore paths matching this gitignore-style pattern (repeatable)")

    status = sub.add_parser("status", help="what the index holds")
    _common(status)
    status.add_argument("--json", action="store_true")

    train = sub.add_parser("train", help="train the model on this workspace (fine-tunes the current one)")
    _common(train)
    train.add_argument("--steps", type=int, default=300)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--from-scratch", action="store_true", help="a new tokenizer and model, not a fine-tune")
    train.add_argument("--dim", type=int, default=None, help="model width (from scratch only)")
    train.add_argument("--depth", type=int, default=None, help="transformer layers (from scratch only)")
    train.add_argument("--out", type=Path, default=None, help="save the checkpoint here instead of the index")
    train.add_argument("--no-embed", action="store_true", help="do not refresh vectors afterwards")

    embed = sub.add_parser("embed", help="bring unit and file vectors up to date (incremental)")
    _common(embed)

    related = sub.add_parser("related", help="files related to PATH, with reasons")
    related.add_argument("path")
    _query_options(related)

    nxt = sub.add_parser("next", help="the files you are likely to open next")
    nxt.add_argument("--after", action="append", default=[], metavar="PATH",
                     help="files just worked on, oldest first (default: the latest commit's)")
    _query_options(nxt)

    search = sub.add_parser("search", help="semantic + full-text search over code units")
    search.add_argument("query")
    _query_options(search)

    bench = sub.add_parser("bench", help="benchmarks (see docs/BENCHMARKS.md)")
    bsub = bench.add_subparsers(dest="bench", required=True)
    bcrawl = bsub.add_parser("crawl", help="crawl+parse+store vs tree-sitter parsing alone")
    bcrawl.add_argument("root", help="folder to crawl, e.g. the standard library")
    bcrawl.add_argument("--json", action="store_true")
    bcrawl.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="gitignore-style pattern to leave out, e.g. site-packages/")
    bembed = bsub.add_parser("embed", help="encoder units/s: the fast BLAS path vs MLX's bundled BLAS")
    bembed.add_argument("--root", type=Path, required=True, help="a source tree to take code units from")
    bembed.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: the shipped one)")
    bembed.add_argument("--limit", type=int, default=2000, help="number of units")
    bembed.add_argument("--json", action="store_true")
    bnext = bsub.add_parser("next-file", help="next-file prediction on a real git history (protocol section 1)")
    bnext.add_argument("--repo", type=Path, required=True, help="a git repository, e.g. a clone of psf/requests")
    bnext.add_argument("--seed", type=int, default=0)
    bnext.add_argument("--no-prior", action="store_true",
                       help="train the predictor from scratch instead of from the shipped prior")
    bnext.add_argument("--prior", type=Path, default=None, help="a prior file (default: the shipped one)")
    bnext.add_argument("--json", action="store_true")
    bsearch = bsub.add_parser("search", help="docstring -> code search: BM25 vs the model vs the product")
    bsearch.add_argument("--root", type=Path, required=True, help="a source tree, e.g. requests' src/")
    bsearch.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: the shipped one)")
    bsearch.add_argument("--json", action="store_true")
    # Commands that live in their own modules (the swarm, insights): each adds its parsers and sets
    # `handler` (a function of args, voice, console returning an exit code).
    for name in _EXTENSIONS:
        module = importlib.import_module(name)
        module.register(sub, bsub)
    return parser


_EXTENSIONS = ("vjepa_core.cli.swarm", "vjepa_core.cli.insights", "vjepa_core.bench.lsp", "vjepa_core.cli.prior")


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a real command line (not a call from Python): take the fast BLAS path
        from vjepa_core.model.blas import ensure_fast_blas

        ensure_fast_blas()
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    voice = Voice(quiet=getattr(args, "quiet", False))
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            return int(handler(args, voice, console))
        if args.command == "crawl":
            return _crawl(args, voice, console)
        if args.command == "status":
            return _status(args, voice)
        if args.command == "train":
            return _train(args, voice, console)
        if args.command == "embed":
            return _embed(args, voice)
        if args.command in ("related", "search", "next"):
            return _query(args)
        if args.command == "bench" and args.bench == "embed":
            from vjepa_core.bench.crawl import bench_embed
            from vjepa_core.model.encoder.checkpoint import load
            from vjepa_core.workspace import DEFAULT_MODEL_DIR

            load(args.model or DEFAULT_MODEL_DIR)  # a clear error here rather than in the child runs
            result = bench_embed(args.model or DEFAULT_MODEL_DIR, args.root, args.limit)
            if args.json:
                print(json.dumps(result, indent=2))
            else:
                for name in ("reference", "openblas"):
                    if name in result:
                        r = result[name]
                        print(f"{name:10s} {r['units']} units in {r['seconds']:.2f} s = {r['units_per_s']:.0f} units/s")
                if "speedup" in result:
                    print(f"fast path speed-up: {result['speedup']:.1f}x")
            return 0
        if args.command == "bench" and args.bench == "next-file":
            from vjepa_core.model.nextfile.pipeline import NextFileConfig, bench_next_file
            from vjepa_core.model.nextfile.prior import load_prior

            log = (lambda *a, **k: None) if args.json else (lambda *a, **k: print(*a, file=sys.stderr))
            cfg = NextFileConfig(prior=not args.no_prior)
            prior = load_prior(cfg, args.prior, log=log) if args.prior else None
            result = bench_next_file(args.repo, seed=args.seed, log=log, cfg=cfg, prior=prior)
            print(json.dumps(result, indent=2) if args.json else _methods_table(result))
            return 0
        if args.command == "bench" and args.bench == "search":
            from vjepa_core.bench.search import bench_search_cli

            result = bench_search_cli(args.root, args.model)
            print(json.dumps(result, indent=2) if args.json else _methods_table(result))
            return 0
        if args.command == "bench" and args.bench == "crawl":
            from vjepa_core.bench.crawl import bench_crawl, print_crawl_bench

            result = bench_crawl(Path(args.root), args.exclude)
            if args.json:
                print(json.dumps(result, indent=2))
            else:
                print_crawl_bench(result)
            return 0
    except VjepaError as err:
        voice.error(err)
        return 2
    except CheckpointError as err:  # a model or prior file that cannot be used: it says what to do
        print(f"Sorry: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped. Whatever was written is safe; the next run picks up from there.", file=sys.stderr)
        return 130
    return 1


def _crawl(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.index.crawl import crawl

    progress = Progress(TextColumn("[bold]Reading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        TextColumn("{task.fields[path]}", style="dim"), console=console,
                        disable=args.quiet or not console.is_terminal, transient=True)
    with progress:
        task = progress.add_task("crawl", total=None, path="")

        def on_progress(done: int, total: int, path: str) -> None:
            if done == 1 or done == total or done % 25 == 0:
                progress.update(task, completed=done, total=total, path=path[-60:])

        report = crawl(args.root, args.index_dir, voice=voice, progress=on_progress, max_bytes=args.max_bytes,
                       allow_home=args.allow_home, rebuild=args.rebuild, history=not args.no_history,
                       exclude=args.exclude)
    embedded = None
    if not args.no_embed:
        from vjepa_core.workspace import Workspace

        ws = Workspace(report.root, report.index_dir, allow_home=True)
        if ws.model_dir is not None:
            embedded = ws.embed()
            voice.say("embed.done", new=embedded.units_embedded, reused=embedded.units_reused,
                      files=embedded.files, semantic=embedded.semantic_relations)
    if args.json:
        out = _report_dict(report)
        if embedded is not None:
            out["embedded"] = dataclasses.asdict(embedded)
        print(json.dumps(out, indent=2))
    else:
        _print_report(report)
    return 0


def _train(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    n_units = ws.store.count("units")
    voice.say("train.start", units=n_units, root=ws.root)
    overrides = {k: v for k, v in (("dim", args.dim), ("depth", args.depth)) if v is not None}

    def log(entry: dict) -> None:
        if args.quiet:
            return
        shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in entry.items())
        console.print(shown, style="dim", highlight=False)

    path = ws.train(steps=args.steps, seed=args.seed, from_scratch=args.from_scratch, out=args.out,
                    enc_overrides=overrides, log=log)
    voice.say("train.done", path=path)
    if not args.no_embed and args.out is None:
        _embed(args, voice, ws)
    return 0


def _embed(args: argparse.Namespace, voice: Voice, ws=None) -> int:
    from vjepa_core.workspace import Workspace

    ws = ws or Workspace(args.root, args.index_dir)
    report = ws.embed()
    if report is None:
        voice.warn("embed.none")
        return 0
    voice.say("embed.done", new=report.units_embedded, reused=report.units_reused, files=report.files,
              semantic=report.semantic_relations)
    return 0


def _query(args: argparse.Namespace) -> int:
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    if args.command == "related":
        hits = ws.related(args.path, args.k)
    elif args.command == "next":
        hits = ws.predict_next(args.after, args.k)
    else:
        hits = ws.search(args.query, args.k)
    if args.json:
        print(json.dumps([dataclasses.asdict(h) for h in hits], indent=2))
        return 0
    t = Table(box=None)
    for col in ("#", "score", "reason", "where", "why"):
        t.add_column(col, overflow="fold")
    for i, h in enumerate(hits, 1):
        where = f"{h.path}:{h.line} {h.name}" if h.line else h.path
        t.add_row(str(i), f"{h.score:.3f}", h.reason, where, h.detail)
    Console().print(t)
    return 0


def _methods_table(result: dict) -> str:
    methods = result["methods"]
    metrics = list(next(iter(methods.values())))
    lines = [f"{result.get('root', result.get('repo'))}: {result['queries']} queries",
             f"  {'method':18s}" + "".join(f"{m:>9s}" for m in metrics)]
    for name, vals in methods.items():
        lines.append(f"  {name:18s}" + "".join(f"{vals[m]:9.3f}" for m in metrics))
    return "\n".join(lines)


def _report_dict(report) -> dict:
    return {
        "root": report.root, "index_dir": report.index_dir, "seconds": round(report.seconds, 3),
        "files_seen": report.files_seen, "files_indexed": report.files_indexed, "units": report.units,
        "new": report.new, "changed": report.changed, "unchanged": report.unchanged, "deleted": report.deleted,
        "repaired": report.repaired, "skipped": dict(report.skipped), "relations": dict(report.relations),
        "relations_by_pattern": dict(report.by_pattern()), "relations_total": report.relations_total,
        "languages": dict(report.languages), "extensions": dict(report.extensions.most_common()),
        "commits": report.commits, "parse_errors": len(report.parse_errors), "warnings": report.warnings,
    }


def _kv_table(title: str) -> Table:
    t = Table(title=title, show_header=False, box=None)
    t.add_column("key", style="bold", no_wrap=True)
    t.add_column("value", overflow="fold")  # paths are folded, never cut with an ellipsis
    return t


def _print_report(report) -> None:
    out = Console()
    t = _kv_table(f"Crawl of {report.root}")
    t.add_row("files", f"{report.files_indexed} indexed of {report.files_seen} seen "
              f"({report.new} new, {report.changed} changed, {report.unchanged} unchanged, {report.deleted} removed)")
    t.add_row("code units", str(report.units))
    t.add_row("skipped", ", ".join(f"{k}: {v}" for k, v in report.skipped.most_common()) or "none")
    by = report.by_pattern()
    t.add_row("relations", f"{report.relations_total} ("
              + ", ".join(f"{k} {by.get(k, 0)}" for k in ("temporal", "spatial", "semantic")) + ")")
    t.add_row("", ", ".join(f"{k} {v}" for k, v in sorted(report.relations.items())))
    t.add_row("languages", ", ".join(f"{k} {v}" for k, v in report.languages.most_common()))
    t.add_row("file types", ", ".join(f"{k} {v}" for k, v in report.extensions.most_common(12)))
    t.add_row("git commits", str(report.commits))
    t.add_row("time", f"{report.seconds:.1f} s")
    t.add_row("index", report.index_dir)
    out.print(t)


def _model_in_use(index_dir: Path) -> str:
    from vjepa_core.workspace import DEFAULT_MODEL_DIR, LOCAL_MODEL

    if (index_dir / LOCAL_MODEL / "config.json").exists():
        return f"trained on this workspace ({index_dir / LOCAL_MODEL})"
    if (DEFAULT_MODEL_DIR / "config.json").exists():
        return "the shipped default model (run `vjepa train` to learn from this workspace)"
    return "none"


def _status(args: argparse.Namespace, voice: Voice) -> int:
    from vjepa_core.harvest.safety import check_root
    from vjepa_core.index.store import Store, default_index_dir
    from vjepa_core.model.blas import active_blas

    root = check_root(args.root, allow_home=True)
    path = args.index_dir or default_index_dir(root)
    if not Path(path).exists():
        print(text("status.empty", root=root))
        print(f"blas: {active_blas()['detail']}")
        return 0
    store = Store.open(path, root, create=False)
    meta = store.meta()
    counts = store.counts()
    rels = store.read("relations", ["pattern"])["pattern"].to_pylist()
    by_pattern = {p: rels.count(p) for p in ("temporal", "spatial", "semantic")}
    langs = store.read("files", ["language", "status"])
    languages: dict[str, int] = {}
    for lang, status in zip(langs["language"].to_pylist(), langs["status"].to_pylist()):
        if status == "ok":
            languages[lang or "text"] = languages.get(lang or "text", 0) + 1
    info = {"root": str(root), "index_dir": str(path), "schema_version": meta.get("schema_version"),
            "last_crawl": meta.get("last_crawl"), "commits": meta.get("commits"), "tables": counts,
            "relations_by_pattern": by_pattern, "languages": languages, "disk_bytes": store.disk_bytes(),
            "blas": active_blas()["detail"], "model": _model_in_use(Path(path)),
            "next_file": _next_file_fit(Path(path))}
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    out = Console()
    t = _kv_table(f"VJEPA index for {root}")
    for k, v in info.items():
        t.add_row(k, json.dumps(v) if isinstance(v, dict) else str(v))
    out.print(t)
    return 0


def _next_file_fit(index_dir: Path) -> str:
    """What the saved next-file fit is, in a sentence (no weights are read)."""
    from vjepa_core.model.nextfile.pipeline import NextFilePredictor
    from vjepa_core.workspace import NEXT_PREDICTOR_FILE

    about = NextFilePredictor.describe(index_dir / NEXT_PREDICTOR_FILE)
    if about is None:
        return "not fit yet (the first `vjepa next` fits it)"
    prior = "from the shipped prior" if about["prior"] else "from scratch"
    return f"fit on {about['fitted_commits']} commits, {prior}"


if __name__ == "__main__":
    sys.exit(main())
