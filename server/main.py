"""`vjepa-lsp`: the language server entry point (stdio by default, --tcp too).

The core is small (`server.py` holds the state, the shared services and the lifecycle handlers);
each LSP feature lives in its own module under `features/` and registers itself on the server here.
"""

from __future__ import annotations

import argparse
import sys

import vjepa_core

from . import server as core
from .features import commands, events, indexing, insights, lenses, status, symbols, training
from .features import next as next_file
from .server import VjepaServer

# Each feature module registers its handlers and hooks; a new one joins this list. The order is the
# order the core calls the hooks in: indexing's first index comes before training's idle scheduler.
FEATURES = (events, indexing, lenses, commands, next_file, status, training, symbols, insights)


def build_server() -> VjepaServer:
    server = VjepaServer("vjepa-lsp", vjepa_core.__version__)
    core.register(server)
    for feature in FEATURES:
        feature.register(server)
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vjepa-lsp", description="VJEPA language server")
    parser.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2087)
    args = parser.parse_args(argv)
    server = build_server()
    try:
        if args.tcp:
            server.start_tcp(args.host, args.port)
        else:
            server.start_io()
    finally:  # the client went away without a shutdown: leave no training process behind
        for folder in server.folders:
            if folder.scheduler is not None:
                folder.scheduler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
