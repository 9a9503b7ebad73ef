"""Temporal patterns: co-change and recency over a history, and the next-file protocol's queries.

`HistoryState` keeps the statistics (co-change counts, alive files, recent activity) one commit at
a time; the next-file model reads them as features. `iter_queries` walks a history the protocol's
way (BENCHMARKS.md section 1, `shared/tools/cochange_reference.py`): renames are delete + add and
are not followed, commits of more than 30 files are neither queries nor history, the last 20% of
commits are the test set. `Scorer` gives hit@k and MRR. The baselines themselves and their
evaluation are `vjepa_core.bench.baselines`.
"""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from vjepa_core.harvest.history import Commit
from vjepa_core.patterns.temporal import MAX_FILES

SPLIT = 0.8  # the first 80% of commits are history, the rest the test set
RECENT = 50  # recency window, in touched-file events
KS = (1, 5, 10)


@dataclass(frozen=True)
class Query:
    """Rank the other files for `file`, one of the files of test commit `commit_index`."""

    commit_index: int
    sha: str
    time: int
    file: str
    truth: frozenset[str]  # the commit's other (non-deleted) files
    alive: frozenset[str]  # files that exist just before the commit: the candidates


class HistoryState:
    """Statistics over the commits seen so far, updated one commit at a time."""

    def __init__(self) -> None:
        self.co: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.freq: Counter[str] = Counter()
        self.alive: set[str] = set()
        self.recent: deque[str] = deque(maxlen=RECENT)
        # dir -> its alive files, so same_dir costs the folder's size, not the tree's.
        self._by_dir: defaultdict[str, set[str]] = defaultdict(set)
        self._snapshot: frozenset[str] | None = frozenset()

    def alive_snapshot(self) -> frozenset[str]:
        """`alive` frozen; rebuilt only after files were added or deleted (most commits do neither)."""
        if self._snapshot is None:
            self._snapshot = frozenset(self.alive)
        return self._snapshot

    def apply(self, commit: Commit) -> None:
        """Take `commit` into history, in the reference's order (alive, then co/freq, then recent)."""
        files = sorted({p for s, p in commit.changes if s != "D"})
        for s, p in commit.changes:
            if s == "D":
                if p in self.alive:
                    self.alive.discard(p)
                    self._by_dir[posixpath.dirname(p)].discard(p)
                    self._snapshot = None
            elif p not in self.alive:
                self.alive.add(p)
                self._by_dir[posixpath.dirname(p)].add(p)
                self._snapshot = None
        if len(files) <= MAX_FILES:
            for f in files:
                self.freq[f] += 1
                self.co[f].update(g for g in files if g != f)
        # Bulk commits still count as recent activity, as in the reference.
        self.recent.extend(files)

    def rank_cochange(self, f: str) -> list[str]:
        """ROSE: files by commits shared with f, then overall change count, then path."""
        co = self.co.get(f, Counter())
        return sorted((g for g in co if g in self.alive and g != f),
                      key=lambda g: (-co[g], -self.freq[g], g))

    def rank_recency(self, f: str) -> list[str]:
        """Most recently touched alive files, newest first, from the last RECENT events."""
        seen: set[str] = {f}
        out: list[str] = []
        for g in reversed(self.recent):
            if g not in seen and g in self.alive:
                seen.add(g)
                out.append(g)
        return out

    def rank_cochange_recency(self, f: str) -> list[str]:
        rose = self.rank_cochange(f)
        taken = set(rose)
        return rose + [g for g in self.rank_recency(f) if g not in taken]

    def rank_same_dir(self, f: str) -> list[str]:
        """Alive files of f's folder, most changed first."""
        peers = self._by_dir.get(posixpath.dirname(f), set())
        return sorted((g for g in peers if g != f), key=lambda g: (-self.freq[g], g))


def iter_queries(commits: list[Commit]) -> Iterator[tuple[Query, HistoryState]]:
    """Walk the history; yield each test query with the state as of just before its commit.

    The state is shared and advances when the iteration moves past a commit: rank with it before
    asking for the next query, and never keep it.
    """
    split = int(len(commits) * SPLIT)
    state = HistoryState()
    for i, c in enumerate(commits):
        files = sorted({p for s, p in c.changes if s != "D"})
        if i >= split and 2 <= len(files) <= MAX_FILES:
            for f in files:
                if f in state.alive:
                    truth = frozenset(files) - {f}
                    yield Query(i, c.sha, c.time, f, truth, state.alive_snapshot()), state
        state.apply(c)


class Scorer:
    """Running hit@k and MRR over queries; a query with no hit scores 0."""

    def __init__(self) -> None:
        self.n = 0
        self.hits = [0] * len(KS)
        self.rr = 0.0

    def add(self, ranking: Iterable[str], truth: frozenset[str]) -> None:
        self.n += 1
        pos = next((j for j, g in enumerate(ranking) if g in truth), None)
        if pos is None:
            return
        for j, k in enumerate(KS):
            self.hits[j] += pos < k
        self.rr += 1.0 / (pos + 1)

    def result(self) -> dict[str, float]:
        n = self.n or 1  # no queries: all zeros rather than a division by zero
        out = {f"hit@{k}": h / n for k, h in zip(KS, self.hits, strict=True)}
        out["mrr"] = self.rr / n
        return out
