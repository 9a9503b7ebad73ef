"""Training batches from token arrays: units of one length bucket, their target spans, and (doc view,
body) pairs for the cross-view term. The caller's seeded Generator makes every draw reproducible."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from vjepa_core.model.encoder.masks import sample_masks

if TYPE_CHECKING:
    from vjepa_core.model.train import TrainConfig

# ids, keep (context), target spans, doc ids, body ids, doc weight (0: a stand-in pair, no doc views)
Batch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def bucket_len(n: int, buckets: Sequence[int], max_len: int) -> int:
    """The padded length for a unit of n tokens: the smallest bucket that holds it, else max_len."""
    return next((b for b in sorted(buckets) if n <= b < max_len), max_len)


class BatchSampler:
    """Draws batches from `arrays` ("ids", "doc_ids", "body_ids", as views.encode_views makes them).

    A batch's units share a length bucket (fewer pad tokens, few compiled shapes), picked with
    probability proportional to its number of units."""

    def __init__(self, arrays: dict[str, np.ndarray], cfg: TrainConfig, max_len: int,
                 newline_ids: np.ndarray) -> None:
        self.cfg, self.max_len, self.newline_ids = cfg, max_len, newline_ids
        self.ids, self.doc_ids, self.body_ids = arrays["ids"], arrays["doc_ids"], arrays["body_ids"]
        lengths = (self.ids != 0).sum(axis=1)
        bucket_of = np.array([bucket_len(int(n), cfg.length_buckets, max_len) for n in lengths])
        self.buckets = {b: np.flatnonzero(bucket_of == b) for b in sorted(set(bucket_of.tolist()))}
        self.keys = list(self.buckets)
        p = np.array([len(self.buckets[b]) for b in self.keys], dtype=np.float64)
        self.p = p / p.sum()

    def draw(self, rng: np.random.Generator, batch: int, cross_batch: int) -> Batch:
        cfg = self.cfg
        b = self.keys[int(rng.choice(len(self.keys), p=self.p))]
        pool = self.buckets[b]
        idx = rng.choice(pool, size=batch, replace=len(pool) < batch)
        ids = self.ids[idx, :b]
        keep, tmask = sample_masks(ids, rng, cfg.mask, self.newline_ids)
        n_pairs = len(self.doc_ids)
        if n_pairs:
            pidx = rng.choice(n_pairs, size=cross_batch, replace=n_pairs < cross_batch)
            doc_ids, body_ids = self.doc_ids[pidx], self.body_ids[pidx]
            doc_weight = np.ones(cross_batch, dtype=np.float32)
        else:
            doc_ids = np.zeros((cross_batch, cfg.doc_max_len), dtype=np.int32)
            body_ids = np.zeros((cross_batch, self.max_len), dtype=np.int32)
            doc_weight = np.zeros(cross_batch, dtype=np.float32)
        return ids, keep, tmask, doc_ids, body_ids, doc_weight
