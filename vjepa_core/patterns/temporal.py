"""The temporal pattern: what the git history says about which files change together.

Statistics are ROSE-style (Zimmermann et al., TSE 2005): support is the number of commits two
files shared, confidence a->b is that support over the commits that touched a. A file's lineage
(the name it has at the end of history, through renames) gathers its history under one path.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vjepa_core.harvest.history import Commit, read_commits
from vjepa_core.patterns.relation import Relation

# Commits touching more files than this are bulk changes (formatting, vendoring, licence headers):
# they say nothing about which files belong together.
MAX_FILES = 30

@dataclass(frozen=True, slots=True)
class CoChange:
    a: str
    b: str
    count: int  # commits of at most max_files files in which both changed
    confidence: float  # count / commits of at most max_files files touching a (directional a -> b)


def _resolved(commits: list[Commit], follow_renames: bool) -> list[list[tuple[str, str]]]:
    """Each commit's changes with every path under the name its file has at the end of history.

    Walks newest to oldest so chains (A -> B -> C) end at C, and a path reused after its file was
    renamed away keeps its own history.
    """
    if not follow_renames:
        return [list(c.changes) for c in commits]
    later: dict[str, str] = {}  # path as named after this commit -> the final name of its file
    out: list[list[tuple[str, str]]] = []
    for c in reversed(commits):
        # Read before writing so a swap (a -> b, b -> a) in one commit resolves correctly.
        moved = {old: later.get(new, new) for old, new in c.renames}
        out.append([(s, moved.get(p, p) if s == "D" else later.get(p, p)) for s, p in c.changes])
        # Before an add or a delete the path named another file (or none): it keeps its own name.
        for s, p in c.changes:
            if s in "AD":
                later.pop(p, None)
        later.update(moved)
    out.reverse()
    return out


def _touched(commits: list[Commit], max_files: int, follow_renames: bool) -> Iterator[set[str]]:
    """Per commit of at most `max_files` files, the (resolved) files it left in the tree."""
    for changes in _resolved(commits, follow_renames):
        files = {p for s, p in changes if s != "D"}
        if len(files) <= max_files:
            yield files


def change_counts(commits: list[Commit], *, max_files: int = MAX_FILES,
                  follow_renames: bool = True) -> dict[str, int]:
    """Number of non-bulk commits that touched each file."""
    counts: Counter[str] = Counter()
    for files in _touched(commits, max_files, follow_renames):
        counts.update(files)
    return dict(counts)


def cochange(commits: list[Commit], *, alive: set[str] | None = None, max_files: int = MAX_FILES,
             follow_renames: bool = True) -> list[CoChange]:
    """Directional co-change pairs (both a->b and b->a), sorted by a, then count (high first), then b.

    With `alive`, only pairs whose both ends are in it are returned; confidence still counts every
    commit that touched a, so it does not depend on what is alive today.
    """
    freq: Counter[str] = Counter()
    pairs: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for files in _touched(commits, max_files, follow_renames):
        freq.update(files)
        if len(files) < 2:
            continue
        for a in files:
            pairs[a].update(files - {a})
    out = []
    for a in sorted(pairs):
        if alive is not None and a not in alive:
            continue
        for b, n in sorted(pairs[a].items(), key=lambda kv: (-kv[1], kv[0])):
            if alive is None or b in alive:
                out.append(CoChange(a, b, n, n / freq[a]))
    return out


def last_touched(commits: list[Commit], *, follow_renames: bool = True) -> dict[str, int]:
    """Committer time of each path's latest change (any status, bulk commits included)."""
    seen: dict[str, int] = {}
    for c, changes in zip(commits, _resolved(commits, follow_renames), strict=True):
        for _, p in changes:
            # max, not last: rebases and cherry-picks leave committer times out of order.
            if c.time > seen.get(p, -1):
                seen[p] = c.time
    return seen


def temporal(root: Path, alive: set[str]) -> tuple[list[Relation], int]:
    """Co-change relations from git history among indexed files, and the number of commits read."""
    commits = read_commits(root)
    pairs = cochange(commits, alive=alive)
    rels = [Relation(c.a, c.b, "temporal", "cochange", float(c.confidence), c.count) for c in pairs]
    return rels, len(commits)
