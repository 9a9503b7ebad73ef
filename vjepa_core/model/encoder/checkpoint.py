"""Checkpoints: safetensors weights + a JSON config, written atomically, checked on load.

Layout of a checkpoint folder:
    config.json                      format_version, encoder config, tokenizer, training config,
                                     metadata, and the name + sha256 of the weights file
    model-<sha256[:16]>.safetensors  "encoder.*" (the EMA target encoder: the unit vectors),
                                     "predictor.*" and "cross_head.*" when training kept them

Atomicity: the weights file is content-addressed, so a new save never overwrites the file the
current config names. `save` writes the weights to a temp file, fsyncs it and renames it to its
final name, then writes config.json the same way (temp, fsync, os.replace): replacing config.json is
the single commit point. A save interrupted at any moment leaves either the old pair or the new
pair; stale weights and temp files are removed only after the commit, and by the next save.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlx.core as mx
from mlx import nn
from mlx.utils import tree_flatten

from vjepa_core.messages import CheckpointError  # raised here; importers take it from here too
from vjepa_core.model.encoder.atomic import (
    fsync_dir,
    remove_stale,
    sha256_file,
    write_json,
    write_safetensors,
)
from vjepa_core.model.encoder.network import CrossViewHead, Encoder, EncoderConfig, Predictor
from vjepa_core.model.encoder.static import read_config
from vjepa_core.model.encoder.tokenizer import CodeTokenizer

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
_REQUIRED = ("format_version", "encoder_config", "tokenizer", "weights_file", "weights_sha256")
_RETRAIN = "retrain with `vjepa train`"


@dataclass
class Checkpoint:
    encoder_config: EncoderConfig
    tokenizer_json: str
    weights: dict[str, mx.array]  # flat names with a module prefix: "encoder.", "predictor.", ...
    train_config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    _tokenizer: CodeTokenizer | None = field(default=None, init=False, repr=False, compare=False)
    _encoder: Encoder | None = field(default=None, init=False, repr=False, compare=False)

    def module_weights(self, prefix: str) -> list[tuple[str, mx.array]]:
        p = prefix + "."
        return [(k[len(p):], v) for k, v in self.weights.items() if k.startswith(p)]

    def has(self, prefix: str) -> bool:
        return any(k.startswith(prefix + ".") for k in self.weights)

    @property
    def tokenizer(self) -> CodeTokenizer:
        if self._tokenizer is None:
            self._tokenizer = CodeTokenizer.from_json(self.tokenizer_json)
        return self._tokenizer

    @property
    def encoder(self) -> Encoder:
        """The target encoder, built once and cached."""
        if self._encoder is None:
            enc = Encoder(self.encoder_config)
            enc.load_weights(self.module_weights("encoder"), strict=True)
            enc.eval()
            mx.eval(enc.parameters())
            self._encoder = enc
        return self._encoder


def modules_for(cfg: EncoderConfig) -> dict[str, nn.Module]:
    """Fresh modules of every kind a checkpoint may hold, keyed by weight-name prefix."""
    return {"encoder": Encoder(cfg), "predictor": Predictor(cfg), "cross_head": CrossViewHead(cfg)}


def save(ckpt: Checkpoint, directory: str | os.PathLike[str]) -> Path:
    """Write `ckpt` into `directory` atomically (see the module docstring); returns the config path."""
    d = Path(directory)
    weights_name, digest = write_safetensors(d, dict(ckpt.weights), "model")
    config = {
        "format_version": FORMAT_VERSION,
        "encoder_config": ckpt.encoder_config.to_dict(),
        "weights_file": weights_name,
        "weights_sha256": digest,
        "train_config": ckpt.train_config,
        "metadata": ckpt.metadata,
        "tokenizer": json.loads(ckpt.tokenizer_json),
    }
    write_json(d / CONFIG_NAME, config)  # the commit point
    fsync_dir(d)
    remove_stale(d, "model", weights_name)
    return d / CONFIG_NAME


def load(directory: str | os.PathLike[str]) -> Checkpoint:
    """Read and check a checkpoint; raises CheckpointError saying what is wrong and what to do."""
    d = Path(directory)
    for attempt in range(2):  # a concurrent save may remove the weights between our two reads
        config = _read_config(d)
        name = str(config["weights_file"])
        if Path(name).name != name or not name.endswith(".safetensors"):
            raise CheckpointError(f"checkpoint at {d}: bad weights_file {name!r} in config.json; {_RETRAIN}")
        weights_path = d / name
        if weights_path.exists() or attempt:
            break
    if not weights_path.exists():
        raise CheckpointError(f"checkpoint at {d}: weights file {weights_path.name} is missing; {_RETRAIN}")
    if sha256_file(weights_path) != config["weights_sha256"]:
        raise CheckpointError(
            f"checkpoint at {d}: {weights_path.name} is corrupt (its checksum does not match config.json); "
            f"{_RETRAIN}"
        )
    try:
        cfg = EncoderConfig(**config["encoder_config"])
    except TypeError as exc:
        raise CheckpointError(f"checkpoint at {d}: bad encoder_config in config.json ({exc}); {_RETRAIN}") from exc
    try:
        tokenizer_json = json.dumps(config["tokenizer"])
        tokenizer = CodeTokenizer.from_json(tokenizer_json)
    except ValueError as exc:
        raise CheckpointError(f"checkpoint at {d}: the tokenizer in config.json is unusable ({exc}); {_RETRAIN}") from exc
    if tokenizer.vocab_size > cfg.vocab_size:
        raise CheckpointError(
            f"checkpoint at {d}: tokenizer has {tokenizer.vocab_size} tokens but the encoder only "
            f"{cfg.vocab_size}; {_RETRAIN}"
        )
    try:
        weights = mx.load(str(weights_path))
    except Exception as exc:  # mlx raises RuntimeError/ValueError for unreadable files
        raise CheckpointError(f"checkpoint at {d}: cannot read {weights_path.name} ({exc}); {_RETRAIN}") from exc
    assert isinstance(weights, dict)
    _check_shapes(d, cfg, weights)
    ckpt = Checkpoint(cfg, tokenizer_json, weights, config.get("train_config") or {}, config.get("metadata") or {})
    ckpt._tokenizer = tokenizer
    return ckpt


def _read_config(d: Path) -> dict[str, Any]:
    config = read_config(d)  # present, JSON, with a format_version: shared with the static encoder
    version = config["format_version"]
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint at {d} was written by format {version}; this VJEPA reads format {FORMAT_VERSION}: "
            f"{_RETRAIN} or upgrade VJEPA"
        )
    missing = [k for k in _REQUIRED if k not in config]
    if missing:
        raise CheckpointError(f"checkpoint at {d}: {CONFIG_NAME} lacks {', '.join(missing)}; {_RETRAIN}")
    return config


def _check_shapes(d: Path, cfg: EncoderConfig, weights: dict[str, mx.array]) -> None:
    modules = modules_for(cfg)
    problems: list[str] = []
    for prefix, module in modules.items():
        expected = {f"{prefix}.{k}": tuple(v.shape) for k, v in tree_flatten(module.parameters())}
        present = [k for k in weights if k.startswith(prefix + ".")]
        if not present and prefix != "encoder":
            continue  # optional heads
        for name, shape in expected.items():
            if name not in weights:
                problems.append(f"{name} missing")
            elif tuple(weights[name].shape) != shape:
                problems.append(f"{name} has shape {tuple(weights[name].shape)}, config says {shape}")
        problems += [f"{k} unexpected" for k in present if k not in expected]
    problems += [f"{k} unexpected" for k in weights if k.split(".", 1)[0] not in modules]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise CheckpointError(
            f"checkpoint at {d}: weights do not match config.json ({shown}); {_RETRAIN}"
        )
