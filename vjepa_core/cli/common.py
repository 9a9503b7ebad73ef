"""What the command modules share: the workspace options, the handler's shape, and saying what an
embedding did. Imports nothing heavy: every command module loads it at start-up."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from vjepa_core.messages import Voice

if TYPE_CHECKING:
    from vjepa_core.index.vectors import EmbedReport
    from vjepa_core.workspace import Workspace

# A command's handler: the parsed arguments, the voice for catalogue messages, the stderr console;
# it returns the exit code. Each parser sets its own with `set_defaults(handler=...)`.
Handler = Callable[[argparse.Namespace, Voice, Console], int]
Subcommands = argparse._SubParsersAction  # what `add_subparsers()` returns: where commands are added
# Where the slow-BLAS tip is remembered as said. The app's folder (index.store.APP_NAME), not
# imported from there: that would load LanceDB at start-up.
TIP_MARK = ("vjepa-swarm", "blas-tip-said")


def add_workspace_options(p: argparse.ArgumentParser) -> None:
    """The folder, its index and --quiet: every command that works on one workspace."""
    p.add_argument("root", nargs="?", default=".", help="workspace folder (default: the current folder)")
    p.add_argument("--index-dir", type=Path, default=None,
                   help="where the index lives (default: a folder per workspace in your user data dir)")
    p.add_argument("--quiet", "-q", action="store_true", help="only errors and the final summary")


def add_query_options(p: argparse.ArgumentParser) -> None:
    """The workspace options plus how many results and --json: related, next, search."""
    add_workspace_options(p)
    p.add_argument("-k", type=int, default=10, help="how many results")
    p.add_argument("--json", action="store_true")


def say_embedded(voice: Voice, report: EmbedReport) -> None:
    """The `embed.done` message: units embedded and reused, files, semantic relations."""
    voice.say("embed.done", new=report.units_embedded, reused=report.units_reused, files=report.files,
              semantic=report.semantic_relations)


def embed_vectors(ws: Workspace, voice: Voice) -> int:
    """Bring the workspace's vectors up to date and say what that did (a warning without a model)."""
    report = ws.embed()
    if report is None:
        voice.warn("embed.none")
        return 0
    say_embedded(voice, report)
    return 0


def say_blas_tip_once(voice: Voice) -> None:
    """On the slow BLAS path, name it once on this machine, kindly, with the fix (`blas.slow`);
    `vjepa status` always says which path is active."""
    from vjepa_core.model.blas import slow_path_fix

    fix = slow_path_fix()
    if fix is None or voice.quiet:
        return
    import platformdirs

    mark = Path(platformdirs.user_state_dir(TIP_MARK[0])) / TIP_MARK[1]
    if mark.exists():
        return
    voice.say("blas.slow", fix=fix)
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.write_text(f"said to pid {os.getpid()}\n", encoding="utf-8")
    except OSError:
        pass  # said again next time: no harm
