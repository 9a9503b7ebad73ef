"""Fit the next-file predictor in a child process: `python -m vjepa_core.nextfile_fit ROOT OUT`.

Fitting takes a few hundred MB for a moment (the rankers' arrays, MLX's buffers). A long-lived
process (the language server) runs it here instead, then loads the small saved result, so its own
resident size never carries that peak. The child reads only the git history of ROOT, runs at a
lower priority, and writes OUT atomically (`NextFilePredictor.save`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m vjepa_core.nextfile_fit ROOT OUT", file=sys.stderr)
        return 2
    root, out = Path(args[0]), Path(args[1])
    from .history import read_commits
    from .nextfile import NextFilePredictor

    commits = read_commits(root)
    if not commits:
        print(f"{root} has no git history to learn from", file=sys.stderr)
        return 1
    NextFilePredictor().fit(commits).save(out)
    return 0


if __name__ == "__main__":
    try:
        os.nice(5)  # background work: the editor comes first
    except OSError:
        pass  # already at the lowest priority this process may set
    raise SystemExit(main())
