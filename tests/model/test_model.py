"""Encoder, predictor and head: shapes, and that pad / hidden tokens do not leak into outputs."""

from __future__ import annotations

import mlx.core as mx
import numpy as np
import pytest

from vjepa_core.model.encoder.network import CrossViewHead, Encoder, EncoderConfig, Predictor

CFG = EncoderConfig(vocab_size=100, dim=32, depth=2, heads=4, max_len=24, predictor_dim=16, predictor_depth=1)


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    mx.random.seed(0)
    enc = Encoder(CFG)
    mx.eval(enc.parameters())
    return enc


def _ids(rows: list[list[int]], length: int) -> mx.array:
    out = np.zeros((len(rows), length), dtype=np.int32)
    for r, row in enumerate(rows):
        out[r, : len(row)] = row
    return mx.array(out)


def test_shapes(encoder: Encoder) -> None:
    ids = _ids([[5, 6, 7], [8, 9]], 10)
    assert encoder(ids).shape == (2, 10, 32)
    assert encoder.pool(ids).shape == (2, 32)
    pred = Predictor(CFG)
    keep = ids != 0
    target = mx.zeros_like(keep)
    assert pred(encoder(ids, keep), keep, target).shape == (2, 10, 32)
    assert CrossViewHead(CFG)(encoder.pool(ids)).shape == (2, 32)


def test_padding_does_not_change_pooled_output(encoder: Encoder) -> None:
    short = encoder.pool(_ids([[5, 6, 7, 8]], 4))
    long = encoder.pool(_ids([[5, 6, 7, 8]], 20))
    batched = encoder.pool(_ids([[5, 6, 7, 8], list(range(10, 30))], 20))
    np.testing.assert_allclose(np.array(short), np.array(long), atol=1e-5)
    np.testing.assert_allclose(np.array(short)[0], np.array(batched)[0], atol=1e-5)


def test_hidden_tokens_do_not_leak(encoder: Encoder) -> None:
    a = _ids([[5, 6, 7, 8, 9]], 5)
    b = _ids([[5, 6, 50, 8, 9]], 5)  # differs only at position 2
    keep = mx.array([[True, True, False, True, True]])
    out_a, out_b = np.array(encoder(a, keep)), np.array(encoder(b, keep))
    visible = [0, 1, 3, 4]
    np.testing.assert_allclose(out_a[0, visible], out_b[0, visible], atol=1e-5)
    assert not np.allclose(np.array(encoder(a))[0, visible], np.array(encoder(b))[0, visible], atol=1e-5)


def test_empty_row_is_finite(encoder: Encoder) -> None:
    assert np.isfinite(np.array(encoder.pool(_ids([[]], 8)))).all()


def test_fast_cpu_attention_matches_the_reference_path() -> None:
    from vjepa_core.model.encoder.network import fast_exp

    x = mx.array(np.linspace(-80.0, 0.0, 4001, dtype=np.float32))
    np.testing.assert_allclose(np.array(fast_exp(x)), np.exp(np.array(x, dtype=np.float64)), rtol=1e-5, atol=1e-37)
    assert float(fast_exp(mx.array([-1e9]))[0]) < 1e-37  # the padding bias: zero weight, not garbage
    mx.random.seed(3)
    enc = Encoder(EncoderConfig(vocab_size=64, dim=32, depth=2, heads=4, max_len=32))
    ids = np.random.default_rng(0).integers(5, 64, size=(6, 32)).astype(np.int32)
    ids[1, 10:] = 0  # padded rows: the masked keys must not leak in either path
    ids[4, 3:] = 0
    fast = np.array(enc.pool(mx.array(ids), inference=True))
    ref = np.array(enc.pool(mx.array(ids)))
    np.testing.assert_allclose(fast, ref, rtol=1e-4, atol=1e-5)
