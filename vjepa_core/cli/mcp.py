"""`vjepa mcp`: serve coding agents over the Model Context Protocol (stdio). The SDK is imported only
when the command runs, so the parser stays light."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from vjepa_core.cli.common import Subcommands
from vjepa_core.messages import Voice

DESCRIPTION = """\
An MCP server over stdio for coding agents (Claude Code, Claude Desktop, VS Code, Cursor, Continue...):
related files, next files, code search, project insights, index status and a re-index. It reads only
folders you allowed: each ROOT named here counts as a yes (remembered in the same consent file the
language server uses). Without ROOT, it answers about folders you allowed before (the agent names one
with `root`; the current folder is the default when it was allowed). A folder with no index yet is
indexed first. Only MCP messages go to stdout; everything else goes to stderr. docs/agents.md shows
how to add it to each client."""


def add_mcp(sub: Subcommands) -> None:
    mcp = sub.add_parser("mcp", help="serve coding agents over MCP (stdio): related, next, search, insights",
                         description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    mcp.add_argument("roots", nargs="*", metavar="ROOT",
                     help="folders the agent may ask about (the first is the default); naming one allows it")
    mcp.add_argument("--index-dir", type=Path, default=None,
                     help="a folder for the indexes, one sub-folder per workspace (default: your user data dir)")
    mcp.add_argument("--allow-home", action="store_true", help="allow your whole home folder as a ROOT")
    mcp.add_argument("--quiet", "-q", action="store_true", help="only errors on stderr")
    mcp.set_defaults(handler=run_mcp)


def run_mcp(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    from vjepa_core.agents.server import serve

    return serve(args.roots, index_base=args.index_dir, allow_home=args.allow_home, voice=voice)
