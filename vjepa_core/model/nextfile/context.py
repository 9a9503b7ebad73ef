"""The predictor's input sequence: the recent-activity window and the query's co-change neighbours."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from vjepa_core.harvest.history import Commit
from vjepa_core.model.nextfile.config import NextFileConfig


@dataclass
class RecentWindow:
    """The recent-activity window the predictor reads, updated one commit at a time."""

    k: int
    events: list[tuple[str, int, int]] = field(default_factory=list)  # (path, time, commit no.)
    n: int = 0

    def apply(self, commit: Commit) -> None:
        for p in sorted(commit.files):
            self.events.append((p, commit.time, self.n))
        self.n += 1
        if len(self.events) > 8 * self.k + 64:
            del self.events[: len(self.events) - 4 * self.k - 32]

    def window(self, now: int, exclude: str) -> list[tuple[str, int, int]]:
        """Last k distinct files before now, newest first: (path, gap bucket, commits ago)."""
        seen = {exclude}
        out = []
        for p, t, c in reversed(self.events):
            if p in seen:
                continue
            seen.add(p)
            hours = max(now - t, 0) / 3600.0
            out.append((p, int(min(math.log2(1 + hours), 15)), min(self.n - 1 - c, self.k - 1)))
            if len(out) == self.k:
                break
        return out


def model_context(window: list[tuple[str, int, int]], co: Counter[str] | None, freq: Counter[str],
                  query: str, alive: Iterable[str] | None, cfg: NextFileConfig) -> list[tuple[str, int, int]]:
    """The predictor's input sequence, oldest first: co-change neighbours, then the recent window.

    Neighbours are statistics over commits before the query (updated online, never learned), so a
    frozen predictor still sees how the query's partners evolve after training.
    """
    seq: list[tuple[str, int, int]] = []
    if co and freq[query]:
        live = alive if alive is not None else co
        top = sorted((g for g in co if g in live and g != query), key=lambda g: (-co[g], g))
        for g in reversed(top[: cfg.neighbors]):
            conf = co[g] / freq[query]
            seq.append((g, int(min(2 * math.log2(1 + co[g]), cfg.gap_buckets - 1)),
                        cfg.context + 1 + min(int(conf * 10), 10)))
    return seq + list(reversed(window))
