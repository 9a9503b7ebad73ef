"""The one result type of every query: a file (or a unit in it), its score and why it showed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    score: float
    reason: str  # "temporal", "spatial" or "semantic": the pattern that contributed most
    detail: str  # in words, e.g. "changed together in 12 commits"
    name: str = ""
    line: int = 0
