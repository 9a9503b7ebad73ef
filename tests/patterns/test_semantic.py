"""semantic: each file's nearest neighbours by cosine, and which rows a changed frame can move."""

from __future__ import annotations

import numpy as np

from vjepa_core.patterns.semantic import SEMANTIC_NEIGHBOURS, rows_to_recompute, semantic, top_neighbours


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _frames(rng: np.random.Generator, n: int) -> np.ndarray:
    # A shared direction plus noise: most cosines pass SEMANTIC_MIN_COSINE, so rows are full.
    return _unit(1.0 + 0.6 * rng.standard_normal((n, 8)))


def _rows(paths: list[str], frames: np.ndarray) -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    for r in semantic(paths, frames, np.arange(len(paths))):
        out.setdefault(r.a, []).append((r.b, r.weight))
    return out


def test_neighbours_best_first_above_the_floor_ties_by_index() -> None:
    angle = np.radians(10)
    frames = _unit(np.array([[1, 0], [np.cos(angle), np.sin(angle)], [0, 1], [-1, 0], [1, 0]], np.float32))
    top = top_neighbours(frames, np.array([0, 2, 3]))
    # Row 0: its twin (row 4) first, then row 1; rows 2 and 3 are under the floor (cosine 0.17, 0, -1).
    assert [(a, b) for a, b, _ in top if a == 0] == [(0, 4), (0, 1)]
    assert not [t for t in top if t[0] in (2, 3)]
    # Ties between equal neighbours go to the lower index.
    assert [b for a, b, _ in top_neighbours(frames, np.array([1])) if a == 1][:2] == [0, 4]
    assert top_neighbours(frames[:1], np.array([0])) == []  # no other file: no neighbour


def test_rows_to_recompute_holds_every_row_that_changes() -> None:
    rng = np.random.default_rng(7)
    paths = [f"f{i}.py" for i in range(40)]
    frames = _frames(rng, len(paths))
    before = _rows(paths, frames)
    assert all(len(row) == SEMANTIC_NEIGHBOURS for row in before.values())
    for trial in range(5):
        changed = {paths[i]: v for i, v in zip(rng.choice(len(paths), 2, replace=False), _frames(rng, 2))}
        after_frames = frames.copy()
        index = {p: i for i, p in enumerate(paths)}
        for p, v in changed.items():
            after_frames[index[p]] = v
        redo = rows_to_recompute(after_frames, index, before, changed)
        after = _rows(paths, after_frames)
        moved = {p for p in paths if before.get(p) != after.get(p)}
        assert moved <= redo, trial
        assert set(changed) <= redo
        frames, before = after_frames, after
