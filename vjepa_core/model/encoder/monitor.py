"""Collapse monitors: is the encoder still telling units apart?"""

from __future__ import annotations

import math

import numpy as np


def collapse_stats(embeddings: np.ndarray) -> dict[str, float]:
    """Collapse monitors of [N, D] embeddings, computed on their L2-normalised rows.

    std: mean over dimensions of the std across samples; 0 means every sample is the same vector,
      1/sqrt(D) is what isotropic unit vectors give (std_ratio = std * sqrt(D) makes that 1).
    rank: RankMe effective rank, exp of the entropy of the normalised singular values (1..min(N, D)).
    cos: mean pairwise cosine between different samples; near 1 means collapse.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    n, d = x.shape
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    std = float(x.std(axis=0).mean())
    s = np.linalg.svd(x, compute_uv=False)
    p = s / max(s.sum(), 1e-12) + 1e-12
    rank = float(np.exp(-(p * np.log(p)).sum()))
    total = x.sum(axis=0)
    cos = float((total @ total - n) / max(n * (n - 1), 1))
    return {"std": std, "std_ratio": std * math.sqrt(d), "rank": rank, "cos": cos}
