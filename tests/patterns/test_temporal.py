"""temporal: co-change statistics and lineage (renames followed) over commits.

The statistics over commits read from real repositories are in tests/harvest/test_history.py.
"""

from __future__ import annotations

from vjepa_core.harvest.history import Commit
from vjepa_core.patterns.temporal import change_counts, cochange

T0 = 1_700_000_000


def _c(i: int, *changes: tuple[str, str], renames: tuple[tuple[str, str], ...] = ()) -> Commit:
    return Commit(f"{i:040x}", T0 + i, tuple(changes), renames)


def _m(*paths: str) -> tuple[tuple[str, str], ...]:
    return tuple(("M", p) for p in paths)


def test_cochange_sorted_and_alive_filter() -> None:
    commits = [_c(0, *_m("a", "b", "c")), _c(1, *_m("a", "c"))]
    out = cochange(commits)
    assert [(p.a, p.b, p.count) for p in out][:2] == [("a", "c", 2), ("a", "b", 1)]
    alive = cochange(commits, alive={"a", "c"})
    assert {(p.a, p.b) for p in alive} == {("a", "c"), ("c", "a")}
    # Confidence counts every commit touching a, whatever is alive now.
    assert [p.confidence for p in alive] == [1.0, 1.0]


def test_rename_chain_swap_and_reused_path() -> None:
    commits = [
        _c(0, *_m("a", "k")),
        _c(1, ("D", "a"), ("A", "b"), renames=(("a", "b"),)),
        _c(2, *_m("a", "k")),  # a new file at the old path: its own history, not b's
        _c(3, ("D", "b"), ("A", "c"), renames=(("b", "c"),)),
        _c(4, ("D", "p"), ("A", "q"), ("D", "q"), ("A", "p"), renames=(("p", "q"), ("q", "p"))),
    ]
    counts = {(p.a, p.b): p.count for p in cochange(commits)}
    assert counts[("c", "k")] == 1 and counts[("a", "k")] == 1
    assert change_counts(commits) == {"a": 1, "c": 3, "k": 2, "p": 1, "q": 1}


def test_bulk_commits_are_ignored() -> None:
    bulk = _m(*(f"f{i}" for i in range(31)))
    commits = [_c(0, *bulk), _c(1, *_m("f0", "f1"))]
    assert {(p.a, p.b, p.count) for p in cochange(commits)} == {("f0", "f1", 1), ("f1", "f0", 1)}
    assert change_counts(commits) == {"f0": 1, "f1": 1}
    # At exactly max_files the commit still counts.
    assert len(cochange([_c(0, *bulk[:30])])) == 30 * 29
    assert cochange(commits, max_files=31)[0].count == 2
