"""The static encoder's tensors are mapped from the weights file, not read (model/encoder/static.py
`_mapped`): a long-lived process keeps only the table rows its texts use. Real shipped model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from tests.fixtures import mapped_ranges
from vjepa_core.model.encoder import static
from vjepa_core.model.encoder.encode import load_model
from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR


def _weights(d: Path) -> Path:
    return next(d.glob("static-*.safetensors"))


def test_the_table_is_the_files_pages_with_the_files_values(tmp_path: Path) -> None:
    d = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, d)
    weights = _weights(d)
    before = weights.read_bytes()
    model = load_model(d)
    assert isinstance(model, static.StaticEncoder) and model.embeddings.dtype == np.float16
    address = model.embeddings.__array_interface__["data"][0]
    assert any(start <= address < end for start, end in mapped_ranges(weights.resolve()))
    read = load_file(str(weights))
    assert np.array_equal(model.embeddings, read["embeddings"]) and np.array_equal(model.mean, read["mean"])
    model.embeddings[0] = 1.0  # copy on write: this process's page only
    assert weights.read_bytes() == before
    assert np.array_equal(load_model(d).embeddings[0], read["embeddings"][0])


def test_a_tensor_of_another_dtype_is_read_as_before(tmp_path: Path) -> None:
    weights = _weights(DEFAULT_MODEL_DIR)
    arrays = load_file(str(weights))
    odd = tmp_path / "odd.safetensors"
    save_file({**arrays, "extra": np.arange(4, dtype=np.int64)}, str(odd))
    assert static._mapped(odd) is None  # the caller reads the file then
    mapped = static._mapped(weights)
    assert mapped is not None and set(mapped) == set(arrays)
    assert all(np.array_equal(mapped[k], arrays[k]) for k in arrays)
