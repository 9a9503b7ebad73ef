"""`vjepa-lsp`: the language server entry point (stdio by default, --tcp too).

The features (consent, lenses, commands, symbols) arrive with the language-server issue; this
entry point already speaks LSP so editors can be pointed at it.
"""

from __future__ import annotations

import argparse
import sys

from pygls.lsp.server import LanguageServer

import vjepa_core


class VjepaServer(LanguageServer):
    """State lives here, not in globals."""


def build_server() -> VjepaServer:
    return VjepaServer("vjepa-lsp", vjepa_core.__version__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vjepa-lsp", description="VJEPA language server")
    parser.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2087)
    args = parser.parse_args(argv)
    server = build_server()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
