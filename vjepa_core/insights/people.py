"""Who made the history: the authors of its commits (after .mailmap), bots set apart.

The insights speak to "you" only when one person made the history; with several people they
speak about the project and say whose work shows a habit. The history reader (harvest/history.py)
keeps no authors, so they are read here, in one `git log` process over the same commits.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from vjepa_core.harvest.history import is_git_work_tree

# dependabot[bot], pre-commit-ci[bot], github-actions, renovate-bot ...: their commits are no habit.
_BOT = re.compile(r"\[bot\]|^(github-actions|renovate|dependabot|pre-commit-ci|greenkeeper)\b|-bot$",
                  re.IGNORECASE)


@dataclass
class Author:
    name: str
    commits: int


@dataclass
class People:
    authors: list[Author]  # people (not bots), most commits first
    bots: int  # commits made by bots
    by_sha: dict[str, str] = field(default_factory=dict)  # commit -> author name ("" for a bot)

    @property
    def solo(self) -> bool:
        """One person made the history (or there is no history: the user's own folder)."""
        return len(self.authors) <= 1

    def top(self, n: int = 3) -> list[Author]:
        return self.authors[:n]

    def as_dict(self) -> dict[str, object]:
        return {"solo": self.solo, "authors": len(self.authors), "bot_commits": self.bots,
                "top": [{"name": a.name, "commits": a.commits} for a in self.top(5)]}


def is_bot(name: str, email: str = "") -> bool:
    return bool(_BOT.search(name) or _BOT.search(email.split("@", 1)[0]))


def read_people(root: Path) -> People:
    """The authors of the non-merge commits of `root`'s history (names as .mailmap gives them).
    A folder without git history has no authors: it is the user's own."""
    if not is_git_work_tree(root):
        return People([], 0)
    proc = subprocess.run(
        ["git", "-c", "core.quotePath=false", "-C", str(root), "log", "--no-merges", "-z", "--no-color",
         "--format=%H%x1f%aN%x1f%aE"],
        check=False, capture_output=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:  # an unborn branch: no history yet
        return People([], 0)
    by_sha: dict[str, str] = {}
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}  # the same person with two cases of a name is one person
    bots = 0
    for record in proc.stdout.decode("utf-8", errors="replace").split("\0"):
        parts = record.strip("\n").split("\x1f")
        if len(parts) != 3:
            continue
        sha, name, email = parts
        if is_bot(name, email):
            by_sha[sha] = ""
            bots += 1
            continue
        key = name.strip().casefold() or email.casefold()
        spelling.setdefault(key, name.strip() or email)
        by_sha[sha] = spelling[key]
        counts[spelling[key]] += 1
    authors = [Author(n, c) for n, c in sorted(counts.items(), key=lambda nc: (-nc[1], nc[0]))]
    return People(authors, bots, by_sha)
