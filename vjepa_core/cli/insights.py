"""Insight commands: `vjepa insights`, `vjepa graph`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from vjepa_core.cli.common import Subcommands, add_workspace_options
from vjepa_core.messages import Voice, text


def add_insights(sub: Subcommands) -> None:
    insights = sub.add_parser("insights", help="how you work, where files might belong, what the project is about")
    add_workspace_options(insights)
    insights.add_argument("--json", action="store_true", help="print everything as JSON")
    insights.set_defaults(handler=run_insights)


def add_graph(sub: Subcommands) -> None:
    graph = sub.add_parser("graph", help="write the knowledge graph as one self-contained HTML page")
    add_workspace_options(graph)
    graph.add_argument("--out", type=Path, default=None,
                       help="the HTML file to write (default: graph.html in the index folder)")
    graph.add_argument("--open", action="store_true", help="open it in your browser afterwards")
    graph.set_defaults(handler=run_graph)


def run_insights(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.insights.report import compute
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    ws.store  # noqa: B018 - fails early, with what to do, when there is no index
    voice.say("insights.start", root=ws.root)
    result = compute(ws)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    out = Console()
    summary = result["summary"]
    out.print(f"[bold]{summary['sentence']}[/bold]")
    if summary["themes"]:
        t = Table(title="Themes", box=None, title_justify="left")
        for col in ("terms", "units", "files"):
            t.add_column(col, overflow="fold")
        for th in summary["themes"]:
            t.add_row(", ".join(th["terms"]), str(th["units"]), ", ".join(th["files"]))
        out.print(t)
    if summary["central_files"]:
        out.print("Most central files: " + ", ".join(c["path"] for c in summary["central_files"]))
    out.print()
    out.print("[bold]How you work[/bold]")
    if not result["patterns"]:
        out.print("  " + text("insights.no_patterns"))
    for p in result["patterns"]:
        out.print(f"  - {p['sentence']}", highlight=False)
        for ev in p["evidence"][:2]:
            out.print(f"      [dim]{_evidence(ev)}[/dim]", highlight=False)
    out.print()
    out.print("[bold]Tidying ideas[/bold]")
    if not result["suggestions"]:
        out.print("  " + text("insights.no_suggestions"))
    for s in result["suggestions"]:
        out.print(f"  - {s['sentence']} [dim]({s['level']} confidence, {s['confidence']:.2f})[/dim]",
                  highlight=False)
        out.print(f"      [dim]{s['reason']}[/dim]", highlight=False)
    if result["suggestions"]:
        out.print("  " + text("insights.never_moves"))
    return 0


def _evidence(ev: dict) -> str:
    if "module" in ev:
        return f"{ev['module']} ({ev['module_commit'][:8]}) -> {ev['test']} ({ev['test_commit'][:8]})"
    first = ev["first"][:8] if ev["source"] == "git" else "editor"
    then = ev["then"][:8] if ev["source"] == "git" else "editor"
    return f"{', '.join(ev['first_files'])} ({first}) -> {', '.join(ev['then_files'])} ({then})"


def run_graph(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.insights.graph import graph_data, write_graph
    from vjepa_core.workspace import Workspace

    ws = Workspace(args.root, args.index_dir)
    data = graph_data(ws)
    path = write_graph(ws, args.out, data=data)
    voice.say("graph.written", path=path, nodes=data["counts"]["nodes"], edges=data["counts"]["edges"])
    if args.quiet:
        print(path)
    if args.open:
        import webbrowser

        voice.say("graph.opening")
        webbrowser.open(path.as_uri())
    return 0
