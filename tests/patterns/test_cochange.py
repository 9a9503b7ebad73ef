"""cochange: the protocol's queries see only the past, and the history state follows adds and deletes."""

from __future__ import annotations

from vjepa_core.harvest.history import Commit
from vjepa_core.patterns.cochange import HistoryState, iter_queries

T0 = 1_700_000_000


def _c(i: int, *paths: str, deleted: tuple[str, ...] = ()) -> Commit:
    changes = tuple(("D", p) for p in deleted) + tuple(("M", p) for p in paths)
    return Commit(f"{i:040x}", T0 + i, changes, ())


def test_queries_see_only_the_past() -> None:
    # 10 commits: split at 8, so commits 8 and 9 are the test set.
    commits = [_c(0, "a", "b", "d/x"), _c(1, "a", "c"), _c(2, "a", "b"), _c(3, "d/y"), _c(4, "gone"),
               _c(5, "a", "b"), _c(6, "z", deleted=("gone",)), _c(7, "d/x"),
               _c(8, "a", "c", "new"), _c(9, "a")]
    seen = []
    for q, state in iter_queries(commits):
        # `c` has co-changed with `a` once before commit 8; commit 8 itself must not count yet.
        seen.append((q.commit_index, q.file, q.truth))
        assert q.alive == frozenset({"a", "b", "c", "d/x", "d/y", "z"})
        if q.file == "a":
            assert state.rank_cochange("a") == ["b", "d/x", "c"]  # c and d/x tie on 1: d/x changed more
            assert state.co["a"]["c"] == 1
            assert state.rank_recency("a") == ["d/x", "z", "b", "d/y", "c"]
            assert state.rank_cochange_recency("a") == ["b", "d/x", "c", "z", "d/y"]
            assert state.rank_same_dir("a") == ["b", "c", "z"]
        else:
            assert state.rank_same_dir("d/x") == ["d/y"]
    # "new" did not exist before commit 8: it is truth, never a query; commit 9 has one file.
    assert seen == [(8, "a", frozenset({"c", "new"})), (8, "c", frozenset({"a", "new"}))]


def test_same_dir_index_follows_adds_and_deletes() -> None:
    s = HistoryState()
    s.apply(_c(0, "d/a", "d/b", "d/c", "e/a"))
    s.apply(_c(1, "d/c", deleted=("d/b",)))
    assert s.rank_same_dir("d/a") == ["d/c"]
    assert s.rank_same_dir("e/a") == []
    snap = s.alive_snapshot()
    s.apply(_c(2, "d/a"))
    assert s.alive_snapshot() is snap  # unchanged alive set: no new frozenset per query
