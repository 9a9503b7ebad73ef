"""The `vjepa` command line: a dispatcher (main.py) and one module per command group."""
from vjepa_core.cli.main import main

__all__ = ["main"]
