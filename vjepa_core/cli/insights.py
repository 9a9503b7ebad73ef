"""Insight commands: `vjepa insights`, `vjepa graph`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

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
    out = Console(highlight=False)
    if not out.is_terminal:  # piped or redirected: one line per item, never cut at 80 columns
        out = Console(highlight=False, soft_wrap=True, width=100_000)
    _print_summary(out, result["summary"])
    out.print()
    _print_patterns(out, result)
    out.print()
    _print_suggestions(out, result["suggestions"], result.get("left_alone", []))
    return 0


def _print_summary(out: Console, summary: dict) -> None:
    out.print(f"[bold]{escape(summary['sentence'])}[/bold]")
    if summary.get("detail"):
        out.print(f"[dim]{escape(summary['detail'])}[/dim]")
    if summary["themes"]:
        out.print("Themes (the words that set parts of the code apart):")
        for th in summary["themes"]:
            out.print(f"  - {escape(', '.join(th['terms']))} [dim]({th['units']} units: "
                      f"{escape(', '.join(th['files']))})[/dim]")
    if summary["central_files"]:
        out.print("Most central files: " + escape(", ".join(c["path"] for c in summary["central_files"])))


def _print_patterns(out: Console, result: dict) -> None:
    people = result.get("people", {})
    if people.get("solo", True):
        out.print(f"[bold]{text('insights.heading.you')}[/bold]")
    else:
        out.print(f"[bold]{text('insights.heading.team', people=people['authors'], commits=result['counts']['commits'])}"
                  "[/bold]")
    if not result["patterns"]:
        out.print("  " + text("insights.no_patterns"))
    for p in result["patterns"]:
        out.print(f"  - {escape(p['sentence'])}")
        if not people.get("solo", True) and p.get("authors"):
            names = ", ".join(f"{a['name']} ({a['support']})" for a in p["authors"][:3])
            more = len(p["authors"]) - 3
            names += f" and {more} more" if more > 0 else ""
            out.print(f"      [dim]{escape(text('insights.pattern.by', names=names))}[/dim]")
        for ev in p["evidence"][:2]:
            out.print(f"      [dim]{escape(_evidence(ev))}[/dim]")


def _print_suggestions(out: Console, suggestions: list[dict], left_alone: list[dict]) -> None:
    out.print("[bold]Tidying ideas[/bold]")
    if not suggestions:
        out.print("  " + text("insights.no_suggestions"))
    for s in suggestions:
        out.print(f"  - {escape(s['sentence'])} [dim]({s['level']} confidence, {s['confidence']:.2f})[/dim]")
        out.print(f"      [dim]{escape(s['reason'])}[/dim]")
        for ev in s.get("evidence", []):
            out.print(f"      [dim]{escape(ev['sentence'])}[/dim]")
    if left_alone:
        out.print(f"  [dim]{text('insights.left_alone')}[/dim]")
        for held in left_alone:
            out.print(f"      [dim]{escape(held['why'])}[/dim]")
    if suggestions:
        out.print("  " + text("insights.never_moves"))


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
