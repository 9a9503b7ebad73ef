"""The frozen temporal predictor frames a workspace's files a chunk at a time (`FRAME_CHUNK`, so a
server's 5,000 files do not make MLX temporaries for all of them at once): every file gets the
frame it would get framed alone, in its own row, whatever the order of asking."""

from __future__ import annotations

import mlx.core as mx
import numpy as np

from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.frames import FrameFeaturizer
from vjepa_core.model.nextfile.predictor import FRAME_CHUNK, TemporalPredictor, TrainedPredictor, unit_norm


def test_frames_come_a_chunk_at_a_time_each_in_its_own_row() -> None:
    cfg = NextFileConfig()
    paths = [f"pkg_{i % 37}/mod_{i}.py" if i % 5 else f"tests/test_mod_{i}.py" for i in range(2 * FRAME_CHUNK + 77)]
    rng = np.random.default_rng(0)
    vectors = {p: rng.normal(size=8).astype(np.float32) for p in paths[::3]}
    feat = FrameFeaturizer(paths[:100], cfg, vectors)
    mx.random.seed(0)
    model = TemporalPredictor(cfg, len(feat.seen_paths), feat.vec_dims)
    trained = TrainedPredictor(model, feat, cfg, 0, 0.0, frozenset())
    trained._rows(paths[:3])  # some first, then the rest (the first ones again among them)
    table = trained._rows(paths[::-1])
    assert table.shape == (len(paths), cfg.dims)
    for p in (paths[0], paths[1], paths[FRAME_CHUNK], paths[-1], paths[2 * FRAME_CHUNK + 5]):
        alone = np.array(unit_norm(model.frames({k: mx.array(v) for k, v in feat.encode([p]).items()})))[0]
        np.testing.assert_allclose(table[trained._index[p]], alone, atol=1e-5)
    assert len({tuple(np.round(r, 4)) for r in table}) > len(paths) - 5  # distinct files, distinct frames
