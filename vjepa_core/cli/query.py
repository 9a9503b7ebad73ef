"""Asking the index: `vjepa related`, `vjepa next`, `vjepa search`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from vjepa_core.cli.common import Subcommands, add_query_options, say_blas_tip_once
from vjepa_core.messages import VjepaError, Voice, text

if TYPE_CHECKING:
    from vjepa_core.queries.hits import Hit


def add_related(sub: Subcommands) -> None:
    related = sub.add_parser("related", help="files related to PATH, with reasons")
    related.add_argument("path")
    add_query_options(related)
    related.set_defaults(handler=run_related)


def add_next(sub: Subcommands) -> None:
    nxt = sub.add_parser("next", help="the files you are likely to open next")
    nxt.add_argument("--after", action="append", default=[], metavar="PATH",
                     help="files just worked on, oldest first (default: the latest commit's)")
    add_query_options(nxt)
    nxt.set_defaults(handler=run_next)


def add_search(sub: Subcommands) -> None:
    search = sub.add_parser("search", help="semantic + full-text search over code units")
    search.add_argument("query")
    add_query_options(search)
    search.set_defaults(handler=run_search)


def run_related(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    code = print_hits(ws.related(args.path, args.k), args.json, text("query.none_related", path=args.path))
    if ws.lens.pending:
        voice.say("query.fit_pending")
    return code


def run_next(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.workspace import Workspace

    say_blas_tip_once(voice)  # the first `next` fits the predictor: slow on the reference BLAS
    ws = Workspace(args.root, args.index_dir)
    hits = ws.predict_next(args.after, args.k)
    code = print_hits(hits, args.json, text("query.none_next", after=", ".join(args.after) or "the latest commit"))
    if ws.lens.pending:  # answered from the statistics while the fit runs in the background
        voice.say("query.fit_pending")
    return code


def run_search(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    if not args.query.strip():  # before the index is opened: said at once
        raise VjepaError("search.empty")
    from vjepa_core.workspace import Workspace

    return print_hits(Workspace(args.root, args.index_dir).search(args.query, args.k), args.json,
                      text("query.none_search", query=args.query))


def print_hits(hits: Sequence[Hit], as_json: bool, nothing: str = "") -> int:
    """The hits on stdout, as JSON or a table (the three commands print alike); no table when there
    are none, but the sentence `nothing` saying so (on stderr: stdout stays a table or nothing)."""
    if as_json:
        print(json.dumps([dataclasses.asdict(h) for h in hits], indent=2))
        return 0
    if not hits:
        Console(stderr=True).print(nothing, markup=False, highlight=False)
        return 0
    t = Table(box=None)
    for col in ("#", "score", "reason", "where", "why"):
        t.add_column(col, overflow="fold")
    for i, h in enumerate(hits, 1):
        where = f"{h.path}:{h.line} {h.name}" if h.line else h.path
        t.add_row(str(i), f"{h.score:.3f}", h.reason, where, h.detail)
    Console().print(t)
    return 0
