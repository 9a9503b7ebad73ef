"""The `vjepa` command line: builds the parser from the command modules and runs the handler the
parsed command set. Each module owns its commands' parsers and handlers; this one owns the
start-up (the fast BLAS path) and how errors end (exit codes and messages)."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from vjepa_core.cli import bench, index, insights, mcp, prior, query, swarm, train
from vjepa_core.messages import CheckpointError, VjepaError, Voice

# Each adds its command (or group) to `vjepa`; in the order `vjepa --help` lists them.
COMMANDS = (index.add_crawl, index.add_status, train.add_train, index.add_embed, query.add_related,
            query.add_next, query.add_search, bench.add_bench, swarm.add_swarm, insights.add_insights,
            insights.add_graph, prior.add_train_prior, prior.add_make_encoder, mcp.add_mcp)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vjepa", description="A private workspace memory for your editor.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a real command line (not a call from Python): take the fast BLAS path
        from vjepa_core.model.blas import ensure_fast_blas

        ensure_fast_blas()
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    voice = Voice(quiet=getattr(args, "quiet", False))
    try:
        return int(args.handler(args, voice, console))
    except VjepaError as err:
        voice.error(err)
        return 2
    except CheckpointError as err:  # a model or prior file that cannot be used: it says what to do
        print(f"Sorry: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped. Whatever was written is safe; the next run picks up from there.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
