"""The semantic pattern: files whose frame vectors (index/vectors.py) point the same way.

Each file's neighbours are its SEMANTIC_NEIGHBOURS most similar other files by cosine, at
SEMANTIC_MIN_COSINE or more. Frames are unit-normalised, so a dot product is the cosine.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from vjepa_core.patterns.relation import Relation

SEMANTIC_NEIGHBOURS = 3  # semantic relations per file: a few strong ones, never a flood in the lenses
# Calibrated on the shipped static encoder's file vectors (docs/BENCHMARKS.md, "Semantic relations"):
# about 5% of random pairs of files reach it, and a file's strongest neighbours mostly do.
SEMANTIC_MIN_COSINE = 0.55


def top_neighbours(frames: np.ndarray, rows: np.ndarray) -> list[tuple[int, int, float]]:
    """(row, neighbour, cosine) for each of `rows`: its SEMANTIC_NEIGHBOURS most similar other files
    at SEMANTIC_MIN_COSINE or more, best first (ties: lower index first)."""
    out: list[tuple[int, int, float]] = []
    k = min(SEMANTIC_NEIGHBOURS, len(frames) - 1)
    if k <= 0:
        return out
    for start in range(0, len(rows), 128):  # 128 rows at a time: on 5,000 files ~10 MB of scratch, not ~40
        chunk = rows[start:start + 128]
        sims = frames[chunk] @ frames.T
        sims[np.arange(len(chunk)), chunk] = -1.0
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for i, a in enumerate(chunk):
            cand = sorted(top[i].tolist(), key=lambda b: (-sims[i, b], b))
            out.extend((int(a), b, float(sims[i, b])) for b in cand if sims[i, b] >= SEMANTIC_MIN_COSINE)
    return out


def semantic(paths: Sequence[str], frames: np.ndarray, rows: np.ndarray) -> list[Relation]:
    """The semantic relations of the files at `rows` (indices into `paths` and `frames`)."""
    return [Relation(paths[a], paths[b], "semantic", "similar", w) for a, b, w in top_neighbours(frames, rows)]


def rows_to_recompute(frames: np.ndarray, index: Mapping[str, int],
                      neighbours: Mapping[str, list[tuple[str, float]]], changed: Collection[str]) -> set[str]:
    """The files whose neighbour row may differ once the files `changed` have new frames.

    `frames`: every file's frame (the changed ones' new), `index`: path -> its row in `frames`,
    `neighbours`: path -> its current (neighbour, cosine) row. Exact, not approximate: a row is
    redone when a changed file was among its neighbours or now beats its weakest one."""
    present = [p for p in changed if p in index]
    redo = set(present)
    if not present:
        return redo
    cols = np.array([index[p] for p in present])
    sims = frames[cols] @ frames.T  # [changed, all]
    sims[np.arange(len(cols)), cols] = -np.inf  # a file is not its own neighbour
    best = sims.max(axis=0)
    for x, i in index.items():
        row = neighbours.get(x, [])
        if any(b in changed for b, _ in row):
            redo.add(x)  # a changed file was its neighbour: its weight moved
            continue
        full = len(row) >= min(SEMANTIC_NEIGHBOURS, len(index) - 1)
        if best[i] >= (min(w for _, w in row) if full and row else SEMANTIC_MIN_COSINE):
            redo.add(x)  # a changed file now enters its neighbours
    return redo
