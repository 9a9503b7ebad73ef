"""Building and reading the index: `vjepa crawl`, `vjepa status`, `vjepa embed`.

Both `crawl` and `status` list the files skipped as holding secrets (path and rule family, never
the value), and say how to allow a false alarm.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from vjepa_core.cli.common import (
    Subcommands,
    add_workspace_options,
    embed_vectors,
    say_blas_tip_once,
    say_embedded,
)
from vjepa_core.messages import Voice, text

if TYPE_CHECKING:
    from vjepa_core.index.crawl import CrawlReport

STATUS_SECRETS = 20  # skipped files `vjepa status` lists before it gives a count instead


def add_crawl(sub: Subcommands) -> None:
    crawl = sub.add_parser("crawl", help="learn the files, code and history of a folder (incremental)")
    add_workspace_options(crawl)
    crawl.add_argument("--allow-home", action="store_true", help="allow the whole home folder as a root")
    crawl.add_argument("--max-bytes", type=int, default=1024 * 1024, help="skip files larger than this")
    crawl.add_argument("--rebuild", action="store_true", help="throw the index away and start fresh")
    crawl.add_argument("--no-history", action="store_true", help="do not read git history")
    crawl.add_argument("--no-embed", action="store_true", help="do not refresh vectors after the crawl")
    crawl.add_argument("--json", action="store_true", help="print the summary as JSON")
    crawl.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                       help="also ignore paths matching this gitignore-style pattern (repeatable)")
    crawl.set_defaults(handler=run_crawl)


def add_status(sub: Subcommands) -> None:
    status = sub.add_parser("status", help="what the index holds")
    add_workspace_options(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=run_status)


def add_embed(sub: Subcommands) -> None:
    embed = sub.add_parser("embed", help="bring unit and file vectors up to date (incremental)")
    add_workspace_options(embed)
    embed.set_defaults(handler=run_embed)


def run_crawl(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir, allow_home=args.allow_home)
    say_blas_tip_once(voice)
    progress = Progress(TextColumn("[bold]Reading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        TextColumn("{task.fields[path]}", style="dim"), console=console,
                        disable=args.quiet or not console.is_terminal, transient=True)
    with progress:
        task = progress.add_task("crawl", total=None, path="")

        def on_progress(done: int, total: int, path: str) -> None:
            if done == 1 or done == total or done % 25 == 0:
                progress.update(task, completed=done, total=total, path=path[-60:])

        started = time.perf_counter()
        report, embedded = ws.index(embed=not args.no_embed, voice=voice, progress=on_progress,
                                    max_bytes=args.max_bytes, rebuild=args.rebuild, history=not args.no_history,
                                    exclude=args.exclude)
        report.seconds = time.perf_counter() - started  # the embedding included: the time it took
    if embedded is not None:
        say_embedded(voice, embedded)
    if args.json:
        out = report_dict(report)
        if embedded is not None:
            out["embedded"] = dataclasses.asdict(embedded)
        print(json.dumps(out, indent=2))
    else:
        print_report(report)
    return 0


def run_embed(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.workspace import Workspace

    return embed_vectors(Workspace(args.root, args.index_dir), voice)


def report_dict(report: CrawlReport) -> dict:
    """The crawl's summary as `vjepa crawl --json` prints it."""
    return {
        "root": report.root, "index_dir": report.index_dir, "seconds": round(report.seconds, 3),
        "files_seen": report.files_seen, "files_indexed": report.files_indexed, "units": report.units,
        "new": report.new, "changed": report.changed, "unchanged": report.unchanged, "deleted": report.deleted,
        "repaired": report.repaired, "skipped": dict(report.skipped), "relations": dict(report.relations),
        "relations_by_pattern": dict(report.by_pattern()), "relations_total": report.relations_total,
        "languages": dict(report.languages), "extensions": dict(report.extensions.most_common()),
        "commits": report.commits, "parse_errors": len(report.parse_errors), "warnings": report.warnings,
        "secret_skips": _skips_json(report.secret_skips), "purged": report.purged,
    }


def _skips_json(skips: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"path": path, "family": family} for path, family in skips]


def _add_secret_rows(t: Table, skips: list[tuple[str, str]], limit: int | None = None) -> None:
    """The files skipped as secrets, one per row (at most `limit`, then a count), and the way out."""
    from vjepa_core.harvest.allow import ALLOW_FILE

    if not skips:
        t.add_row(text("secrets.title"), "none")
        return
    shown = skips if limit is None else skips[:limit]
    for i, (path, family) in enumerate(shown):
        t.add_row(f"{text('secrets.title')} ({len(skips)})" if i == 0 else "", f"{path} ({family})")
    if len(skips) > len(shown):
        t.add_row("", text("secrets.more", more=len(skips) - len(shown)))
    t.add_row("", text("secrets.allow_hint", allow=ALLOW_FILE))


def _kv_table(title: str) -> Table:
    t = Table(title=title, show_header=False, box=None)
    t.add_column("key", style="bold", no_wrap=True)
    t.add_column("value", overflow="fold")  # paths are folded, never cut with an ellipsis
    return t


def print_report(report: CrawlReport) -> None:
    """The crawl's summary as a table on stdout."""
    out = Console()
    t = _kv_table(f"Crawl of {report.root}")
    # new / changed / unchanged count every file the index lists, those kept by name only too
    by_name = report.new + report.changed + report.unchanged - report.files_indexed
    kept = f", {by_name} by name only (skipped: binary, too large, ...)" if by_name > 0 else ""
    t.add_row("files", f"{report.files_indexed} indexed{kept} of {report.files_seen} seen "
              f"({report.new} new, {report.changed} changed, {report.unchanged} unchanged, {report.deleted} removed)")
    t.add_row("code units", str(report.units))
    t.add_row("skipped", ", ".join(f"{k}: {v}" for k, v in report.skipped.most_common()) or "none")
    _add_secret_rows(t, report.secret_skips)
    by = report.by_pattern()
    t.add_row("relations", f"{report.relations_total} ("
              + ", ".join(f"{k} {by.get(k, 0)}" for k in ("temporal", "spatial", "semantic")) + ")")
    t.add_row("", ", ".join(f"{k} {v}" for k, v in sorted(report.relations.items())))
    t.add_row("languages", ", ".join(f"{k} {v}" for k, v in report.languages.most_common()))
    t.add_row("file types", ", ".join(f"{k} {v}" for k, v in report.extensions.most_common(12)))
    t.add_row("git commits", str(report.commits))
    t.add_row("time", f"{report.seconds:.1f} s")
    t.add_row("index", report.index_dir)
    for warning in report.warnings:  # no history, a git failure: what works without it
        t.add_row("note", warning)
    out.print(t)


def _model_in_use(index_dir: Path) -> str:
    from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR, LOCAL_MODEL

    if (index_dir / LOCAL_MODEL / "config.json").exists():
        return f"{_encoder_kind(index_dir / LOCAL_MODEL)}, trained on this workspace ({index_dir / LOCAL_MODEL})"
    if (DEFAULT_MODEL_DIR / "config.json").exists():
        return (f"{_encoder_kind(DEFAULT_MODEL_DIR)}, the shipped default "
                "(run `vjepa train` to learn from this workspace)")
    return "none"


def _encoder_kind(model_dir: Path) -> str:
    """The model's kind in words, from its config (read as JSON: no model is loaded)."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "an unreadable model (run `vjepa train`, or reinstall VJEPA)"
    if config.get("kind") == "static":
        return f"static code encoder ({config.get('dim')}-d, no BLAS needed)"
    return "transformer encoder (trained by the swarm)"


def run_status(args: argparse.Namespace, voice: Voice, console: Console) -> int:
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
    skips = store.secret_skips()
    if args.json:
        print(json.dumps({**info, "secret_skips": _skips_json(skips)}, indent=2))
        return 0
    out = Console()
    t = _kv_table(f"VJEPA index for {root}")
    for k, v in info.items():
        t.add_row(k, json.dumps(v) if isinstance(v, dict) else str(v))
    _add_secret_rows(t, skips, STATUS_SECRETS)
    out.print(t)
    return 0


def _next_file_fit(index_dir: Path) -> str:
    """What the saved next-file fit is, in a sentence (no weights are read)."""
    from vjepa_core.model.encoder.locations import NEXT_PREDICTOR_FILE
    from vjepa_core.model.nextfile.runtime import NextFilePredictor
    from vjepa_core.queries.lens import fit_running

    about = NextFilePredictor.describe(index_dir / NEXT_PREDICTOR_FILE)
    if fit_running(index_dir):
        return "fitting now, in the background; until it lands the lenses rank by co-change and recency"
    if about is None:
        return "not fit yet: the lenses rank by co-change and recency until it is (the first `vjepa next` starts it)"
    prior = "from the shipped prior" if about["prior"] else "from scratch"
    words = {"content": "imports and content similarity", "model": "the temporal model"}
    left_out = [words.get(g, g) for g in about.get("dropped", [])]
    steps_aside = f"; left out here, as they did not help on this history's recent commits: {' and '.join(left_out)}" \
        if left_out else "; every signal helps here"
    ranking = f"; {about['ranking']}" if about.get("ranking") else ""
    return f"fit on {about['fitted_commits']} commits, {prior}{steps_aside}{ranking}"
