"""The temporal predictor (MLX): a small causal transformer, and its frozen, scoring form.

It reads the last K touched files (oldest first, with time-gap and commits-ago embeddings) and
the query's co-change neighbours, followed by the query file's frame, and predicts the frame of a
file changed together with the query. Retrieval is by cosine over the files alive before the query.
"""

from __future__ import annotations

from collections.abc import Iterable

import mlx.core as mx
import numpy as np
from mlx import nn

from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.frames import FrameFeaturizer


class TemporalPredictor(nn.Module):
    """Causal transformer over [context frames..., query frame] -> predicted co-changed frame."""

    def __init__(self, cfg: NextFileConfig, n_ids: int, vec_dims: int) -> None:
        super().__init__()
        d = cfg.dims
        self.tok = nn.Embedding(cfg.buckets, d)
        self.ids = nn.Embedding(n_ids + 1, d)
        self.vec = nn.Linear(max(vec_dims, 1), d, bias=False)
        self.gap = nn.Embedding(cfg.gap_buckets, d)
        # Slot embedding: commits ago (0..K-1) for recent files, K for the query, then
        # K+1+confidence decile for co-change neighbours.
        self.age = nn.Embedding(cfg.context + 12, d)
        self.query_slot = cfg.context
        self.use_ids = float(cfg.file_ids)
        self.blocks = [nn.TransformerEncoderLayer(d, cfg.heads, 2 * d) for _ in range(cfg.layers)]
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, d)
        self.frame_norm = nn.LayerNorm(d, affine=False)

    def frames(self, f: dict[str, mx.array]) -> mx.array:
        m = f["tok_mask"][..., None]
        bag = (self.tok(f["tok"]) * m).sum(1) / mx.maximum(m.sum(1), 1.0)
        x = bag + self.vec(f["vecs"]) * f["vec_mask"]
        if self.use_ids:  # a prior (one id row, any history) never looks ids up
            has_id = (f["ids"] > 0).astype(mx.float32)[:, None]
            x = x + self.ids(f["ids"]) * has_id
        return self.frame_norm(x)

    def __call__(self, table: mx.array, q: mx.array, ctx: mx.array, gap: mx.array, age: mx.array,
                 ctx_mask: mx.array) -> mx.array:
        """table: (V+1, d) frames (last row zeros: padding); q: (B,); ctx/gap/age/mask: (B, K)."""
        b, k = ctx.shape
        x = table[ctx] + self.gap(gap) + self.age(age)
        qx = table[q][:, None, :] + self.age(mx.full((b, 1), self.query_slot, mx.int32))
        seq = mx.concatenate([x, qx], axis=1)  # (B, K+1, d), oldest first, query last
        causal = nn.MultiHeadAttention.create_additive_causal_mask(k + 1)
        pad = mx.concatenate([ctx_mask, mx.ones((b, 1))], axis=1)
        mask = causal[None, None] + ((1.0 - pad) * -1e9)[:, None, None, :]
        for blk in self.blocks:
            seq = blk(seq, mask)
        return self.head(self.norm(seq[:, -1]))


def unit_norm(x: mx.array) -> mx.array:
    return x / mx.maximum(mx.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


# Files framed at a time: MLX's temporaries ([files, path tokens, dims] floats) for 5,000 files at
# once were ~35 MB at a process's first learned ranking; a frame reads its own file's inputs only.
FRAME_CHUNK = 512


class TrainedPredictor:
    """A frozen temporal predictor with its featurizer: scores files for a query and context."""

    def __init__(self, model: TemporalPredictor, feat: FrameFeaturizer, cfg: NextFileConfig,
                 examples: int, seconds: float, train_shas: frozenset[str]) -> None:
        self.model, self.feat, self.cfg = model, feat, cfg
        self.examples, self.seconds, self.train_shas = examples, seconds, train_shas
        self._index: dict[str, int] = {}
        self._table = np.zeros((0, cfg.dims), np.float32)  # unit-norm frames, one row per path
        self._full: mx.array | None = None  # the table plus a zero padding row, for the model

    def _rows(self, paths: Iterable[str]) -> np.ndarray:
        new = [p for p in dict.fromkeys(paths) if p not in self._index]  # a path may repeat
        if new:
            fr = np.concatenate([np.array(unit_norm(self.model.frames(
                {k: mx.array(v) for k, v in self.feat.encode(new[i:i + FRAME_CHUNK]).items()})))
                for i in range(0, len(new), FRAME_CHUNK)])
            for p in new:
                self._index[p] = len(self._index)
            self._table = np.concatenate([self._table, fr]) if len(self._table) else fr
            self._full = None
        return self._table

    def predict(self, query: str, seq: list[tuple[str, int, int]]) -> np.ndarray:
        """The predicted frame after `seq` (from model_context) and the query."""
        k = self.cfg.context + self.cfg.neighbors
        table = self._rows([query, *(w[0] for w in seq)])
        ctx_rows = [self._index[w[0]] for w in seq]
        pad = k - len(ctx_rows)
        zero = len(table)
        if self._full is None:
            self._full = mx.array(np.concatenate([table, np.zeros((1, table.shape[1]), np.float32)]))
        full = self._full
        ctx = mx.array([[zero] * pad + ctx_rows], mx.int32)
        gap = mx.array([[0] * pad + [w[1] for w in seq]], mx.int32)
        age = mx.array([[0] * pad + [w[2] for w in seq]], mx.int32)
        mask = mx.array([[0.0] * pad + [1.0] * len(ctx_rows)])
        q = mx.array([self._index[query]], mx.int32)
        return np.array(unit_norm(self.model(full, q, ctx, gap, age, mask)))[0]

    def scores(self, query: str, seq: list[tuple[str, int, int]], files: list[str]) -> np.ndarray:
        """Cosine between the predicted frame and each file's frame."""
        pred = self.predict(query, seq)
        table = self._rows(files)
        return table[[self._index[p] for p in files]] @ pred
