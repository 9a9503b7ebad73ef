"""Target spans for JEPA on code: a few contiguous spans of a unit's tokens, snapped to line starts.

I-JEPA hides 4 blocks of 15-20% of an image; for code a block is a run of tokens, and a run that
starts at a line start is a statement-shaped target. Spans may overlap (as I-JEPA's blocks do), so
the union usually covers 35-60% of a unit. Everything is numpy with the caller's seeded Generator,
and shapes are fixed by the batch ([B, L]), so the compiled train step never retraces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MaskConfig:
    num_targets: int = 4
    min_span: float = 0.10  # fraction of the unit's non-pad tokens
    max_span: float = 0.20
    min_context: int = 1  # tokens the context encoder always sees


def sample_masks(
    ids: np.ndarray,
    rng: np.random.Generator,
    cfg: MaskConfig = MaskConfig(),
    newline_ids: np.ndarray | None = None,
    pad_id: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """ids [B, L] -> (context_keep, target), both bool [B, L] and disjoint; pads are in neither.

    Tokens are right-padded, so a row's non-pad tokens are its first `n`. With `newline_ids`, a
    span start moves back to the token after the nearest newline when that is within half a span.
    """
    B, L = ids.shape
    valid = ids != pad_id
    lengths = valid.sum(axis=1)
    line_start = np.zeros((B, L), dtype=bool)
    if newline_ids is not None and len(newline_ids):
        line_start[:, 1:] = np.isin(ids[:, :-1], newline_ids)
    target = np.zeros((B, L), dtype=bool)
    for b in range(B):
        n = int(lengths[b])
        if n <= cfg.min_context:
            continue
        starts = np.flatnonzero(line_start[b, :n])
        for _ in range(cfg.num_targets):
            span = max(1, round(rng.uniform(cfg.min_span, cfg.max_span) * n))
            start = int(rng.integers(0, n - span + 1))
            if len(starts):
                i = np.searchsorted(starts, start, side="right") - 1
                if i >= 0 and start - starts[i] <= span // 2:
                    start = int(starts[i])
            target[b, start : start + span] = True
        # The context must keep something to predict from: free the last targets if needed.
        over = cfg.min_context - int((valid[b] & ~target[b]).sum())
        if over > 0:
            hidden = np.flatnonzero(target[b, :n])
            target[b, hidden[-over:]] = False
    target &= valid
    return valid & ~target, target
