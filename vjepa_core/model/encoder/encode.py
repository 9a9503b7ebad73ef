"""One way to load a model folder and get vectors from it, whatever its kind.

Two kinds of unit encoder share the folder layout (config.json names a content-addressed
safetensors file): format 2, the static encoder (`static.py`, numpy only: the shipped default and
what `vjepa train` fine-tunes), and format 1, the small transformer (`checkpoint.py`, MLX), which
the swarm still trains. MLX is imported only for the transformer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from vjepa_core.model.encoder import static

if TYPE_CHECKING:
    from vjepa_core.model.encoder.checkpoint import Checkpoint

UnitModel = Union["static.StaticEncoder", "Checkpoint"]  # no MLX import for the name


def load_model(directory: str | os.PathLike[str]) -> UnitModel:
    """The model in `directory` (static or transformer); CheckpointError says what is wrong."""
    d = Path(directory)
    config = static.read_config(d)
    if config.get("kind") == static.KIND or config.get("format_version") == static.FORMAT_VERSION:
        if config.get("format_version") != static.FORMAT_VERSION:
            from vjepa_core.messages import CheckpointError

            raise CheckpointError(
                f"model at {d} was written by format {config.get('format_version')}; this VJEPA reads "
                f"static models of format {static.FORMAT_VERSION}: retrain with `vjepa train` or upgrade VJEPA")
        return static.load(d, config)
    from vjepa_core.model.encoder.checkpoint import load

    return load(d)


def is_static(model: object) -> bool:
    return isinstance(model, static.StaticEncoder)


def model_dim(model: UnitModel) -> int:
    return model.dim if isinstance(model, static.StaticEncoder) else model.encoder_config.dim


def embed_units(model: UnitModel, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
    """Unit vectors, L2-normalised float32 [N, D]."""
    if isinstance(model, static.StaticEncoder):
        return model.embed(texts)
    from vjepa_core.model.encoder.embedding import EMBED_BATCH, embed_texts

    return embed_texts(model, texts, batch_size=batch_size or EMBED_BATCH)


def embed_queries(model: UnitModel, texts: Sequence[str]) -> np.ndarray:
    """Query vectors in the unit vectors' space."""
    if isinstance(model, static.StaticEncoder):
        return model.embed_queries(texts)
    from vjepa_core.model.encoder.embedding import embed_queries as transformer_queries

    return transformer_queries(model, texts)
