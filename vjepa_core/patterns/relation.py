"""A relation between two files: which pattern found it, of which kind, how strong; and its words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Relation:
    a: str
    b: str
    pattern: str  # temporal | spatial | semantic
    kind: str  # cochange, same_dir, parent, sibling, import, similar
    weight: float
    count: int = 1


def describe(kind: str, weight: float, count: int) -> str:
    """The words for a relation of `kind` (e.g. "changed together in 12 commits (40% of its changes)"),
    for people: the reason a related file or a graph edge shows."""
    return {
        "cochange": f"changed together in {count} commit{'s' if count != 1 else ''} ({weight:.0%} of its changes)",
        "import": "imports or is imported by it",
        "sibling": "name twin in another folder",
        "parent": "head file of its package",
        "same_dir": "in the same folder",
        "similar": f"similar content (cosine {weight:.2f})",
    }.get(kind, kind)
