"""The swarm's commands: `vjepa train --workers N`, `vjepa swarm status`, `vjepa bench swarm`."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    """Add this module's parsers to `vjepa` (`sub`) and `vjepa bench` (`bench`); set `handler` on each."""
