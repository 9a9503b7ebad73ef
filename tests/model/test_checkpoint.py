"""Checkpoints: round trip, atomic replacement, and clear errors for broken or foreign files."""

from __future__ import annotations

import json
from pathlib import Path

import mlx.core as mx
import numpy as np
import pytest
from mlx.utils import tree_flatten

from vjepa_core.model.encoder import checkpoint as ckpt_mod
from vjepa_core.model.encoder.checkpoint import Checkpoint, CheckpointError, load, modules_for, save
from vjepa_core.model.encoder.embedding import embed_queries, embed_texts
from vjepa_core.model.encoder.network import EncoderConfig
from vjepa_core.model.encoder.tokenizer import CodeTokenizer

TEXTS = ["def add(a, b):\n    return a + b", "class Point:\n    x: int\n    y: int", "import os", ""]


def _checkpoint(seed: int = 0, dim: int = 32) -> Checkpoint:
    tok = CodeTokenizer.train(TEXTS * 3, vocab_size=300)
    cfg = EncoderConfig(vocab_size=300, dim=dim, depth=1, heads=2, max_len=32, predictor_dim=16, predictor_depth=1)
    mx.random.seed(seed)
    weights = {f"{p}.{k}": v for p, m in modules_for(cfg).items() for k, v in tree_flatten(m.parameters())}
    return Checkpoint(cfg, tok.to_json(), weights, {"steps": 0}, {"note": f"seed {seed}"})


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Checkpoint, Path]:
    ck = _checkpoint()
    save(ck, tmp_path / "ck")
    return ck, tmp_path / "ck"


def _weights_file(d: Path) -> Path:
    return d / json.loads((d / "config.json").read_text())["weights_file"]


def test_round_trip_gives_identical_embeddings(saved: tuple[Checkpoint, Path]) -> None:
    ck, d = saved
    again = load(d)
    assert again.encoder_config == ck.encoder_config
    assert again.metadata == ck.metadata and again.train_config == ck.train_config
    np.testing.assert_array_equal(embed_texts(ck, TEXTS), embed_texts(again, TEXTS))
    np.testing.assert_array_equal(embed_queries(ck, TEXTS), embed_queries(again, TEXTS))
    config = json.loads((d / "config.json").read_text())
    assert config["format_version"] == 1
    assert sorted(p.name for p in d.iterdir()) == sorted(["config.json", _weights_file(d).name])


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="config.json is missing.*vjepa train"):
        load(tmp_path)


def test_corrupt_weights(saved: tuple[Checkpoint, Path]) -> None:
    _, d = saved
    w = _weights_file(d)
    data = bytearray(w.read_bytes())
    data[len(data) // 2] ^= 0xFF
    w.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt.*checksum.*retrain"):
        load(d)


def test_corrupt_config(saved: tuple[Checkpoint, Path]) -> None:
    _, d = saved
    (d / "config.json").write_text((d / "config.json").read_text()[:100])
    with pytest.raises(CheckpointError, match="config.json is corrupt"):
        load(d)


def test_wrong_format_version(saved: tuple[Checkpoint, Path]) -> None:
    _, d = saved
    config = json.loads((d / "config.json").read_text())
    config["format_version"] = 2
    (d / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="written by format 2; this VJEPA reads format 1.*vjepa train"):
        load(d)


def test_missing_key(saved: tuple[Checkpoint, Path]) -> None:
    _, d = saved
    config = json.loads((d / "config.json").read_text())
    del config["tokenizer"]
    (d / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="lacks tokenizer"):
        load(d)


def test_mismatched_shapes(saved: tuple[Checkpoint, Path]) -> None:
    _, d = saved
    config = json.loads((d / "config.json").read_text())
    config["encoder_config"]["dim"] = 48
    (d / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"do not match config.json \(encoder\..* has shape"):
        load(d)


def test_interrupted_save_keeps_previous(saved: tuple[Checkpoint, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    old, d = saved
    real_replace = ckpt_mod.os.replace

    def failing_replace(src: str, dst: str | Path) -> None:
        if Path(dst).name == "config.json":  # the new weights are already in place: die at the commit
            raise KeyboardInterrupt("killed mid-save")
        real_replace(src, dst)

    monkeypatch.setattr(ckpt_mod.os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        save(_checkpoint(seed=1), d)
    monkeypatch.setattr(ckpt_mod.os, "replace", real_replace)
    back = load(d)
    assert back.metadata == {"note": "seed 0"}
    np.testing.assert_array_equal(embed_texts(back, TEXTS), embed_texts(old, TEXTS))
    # The next save commits and cleans up the orphaned weights and temp files.
    save(_checkpoint(seed=1), d)
    assert load(d).metadata == {"note": "seed 1"}
    assert len(list(d.iterdir())) == 2


def test_missing_weights_file(saved: tuple[Checkpoint, Path]) -> None:
    _, d = saved
    _weights_file(d).unlink()
    with pytest.raises(CheckpointError, match="weights file model-.* is missing"):
        load(d)


def test_fine_tune_needs_the_same_tokenizer(saved: tuple[Checkpoint, Path]) -> None:
    from vjepa_core.model.train import TrainConfig, train_encoder

    ck, _ = saved
    other = CodeTokenizer.train(["something else entirely"] * 3, vocab_size=300)
    with pytest.raises(ValueError, match="tokenizer"):
        train_encoder(TEXTS, other, ck.encoder_config, TrainConfig(steps=1), init=ck)


def test_cli_says_what_is_wrong_with_a_bad_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vjepa_core.cli import main

    bad = tmp_path / "model"
    bad.mkdir()
    (bad / "config.json").write_text("{", encoding="utf-8")
    assert main(["bench", "embed", "--model", str(bad), "--root", str(tmp_path), "--limit", "1"]) == 2
    said = capsys.readouterr().err
    assert said.startswith(f"Sorry: model at {bad}: config.json is corrupt") and "vjepa train" in said
