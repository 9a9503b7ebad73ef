"""Unit and query vectors from a checkpoint: the inference side of the encoder.

Unit vectors are the L2-normalised mean of the target encoder's outputs over non-pad tokens; query
vectors pass the query through the same encoder and then the cross-view head, into the same space.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mlx.core as mx
import numpy as np

from vjepa_core.model.blas import blas_threads
from vjepa_core.model.encoder.checkpoint import Checkpoint
from vjepa_core.model.encoder.network import CrossViewHead, Encoder

# Units per forward pass. On 2 CPU cores 16 beat 64 by about 40% (the activations stay in cache):
# `vjepa bench embed`, docs/BENCHMARKS.md.
EMBED_BATCH = 16
EMBED_CACHE_BYTES = 8 * 2**20  # MLX's buffer cache while embedding


def _embed(ckpt: Checkpoint, texts: Sequence[str], batch_size: int, head: CrossViewHead | None) -> np.ndarray:
    cfg = ckpt.encoder_config
    encoder = ckpt.encoder
    ids = ckpt.tokenizer.encode_batch(list(texts), cfg.max_len)
    lengths = (ids != 0).sum(axis=1)
    order = np.argsort(-lengths, kind="stable")  # similar lengths together: little padding
    out = np.zeros((len(texts), cfg.dim), dtype=np.float32)
    limit = mx.set_cache_limit(EMBED_CACHE_BYTES)  # the buffers it would keep: ~60 MB of peak RSS
    try:
        with blas_threads():
            _embed_batches(encoder, ids, lengths, order, batch_size, head, out)
    finally:
        mx.set_cache_limit(limit)
    return out


def _embed_batches(encoder: Encoder, ids: np.ndarray, lengths: np.ndarray, order: np.ndarray, batch_size: int,
                   head: CrossViewHead | None, out: np.ndarray) -> None:
    max_len = ids.shape[1]
    for start in range(0, len(ids), batch_size):
        rows = order[start : start + batch_size]
        L = max(8, int(math.ceil(max(int(lengths[rows].max()), 1) / 8) * 8))  # SIMD-friendly, little padding
        vec = encoder.pool(mx.array(ids[rows, : min(L, max_len)]), inference=True)
        if head is not None:
            vec = head(vec)
        vec = vec / mx.maximum(mx.linalg.norm(vec, axis=-1, keepdims=True), 1e-12)
        out[rows] = np.array(vec)


def embed_texts(ckpt: Checkpoint, texts: Sequence[str], batch_size: int = EMBED_BATCH) -> np.ndarray:
    """Unit vectors: L2-normalised pooled target-encoder outputs, float32 [N, D]."""
    return _embed(ckpt, texts, batch_size, None)


def embed_queries(ckpt: Checkpoint, texts: Sequence[str], batch_size: int = EMBED_BATCH) -> np.ndarray:
    """Query vectors in the unit-vector space: the encoder, then the cross-view head when present."""
    head = None
    if ckpt.has("cross_head"):
        head = CrossViewHead(ckpt.encoder_config)
        head.load_weights(ckpt.module_weights("cross_head"), strict=True)
    return _embed(ckpt, texts, batch_size, head)
