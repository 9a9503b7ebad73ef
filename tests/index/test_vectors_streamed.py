"""Unit vectors are written as they are encoded (`vectors.write_streamed`, `embed_index`): one write
per job whose batches are made on the caller's thread; a failure while making them lands nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tests.fixtures import GitRepo
from vjepa_core.index.store import FILE_VECTORS, UNIT_VECTORS, Store
from vjepa_core.index.vectors import PATH_WEIGHT, file_vectors, path_text, write_streamed
from vjepa_core.model.encoder.encode import embed_units
from vjepa_core.workspace import Workspace

SCHEMA = pa.schema([("hash", pa.string()), ("model", pa.string()), ("vector", pa.list_(pa.float32(), 4))])


def _batch(keys: list[str]) -> pa.RecordBatch:
    values = pa.array(np.arange(4 * len(keys), dtype=np.float32))
    return pa.RecordBatch.from_arrays([pa.array(keys), pa.array(["m"] * len(keys)),
                                       pa.FixedSizeListArray.from_arrays(values, 4)], schema=SCHEMA)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    root = tmp_path / "root"
    root.mkdir()
    return Store.open(tmp_path / "idx", root)


def test_every_batch_lands_in_one_write(store: Store) -> None:
    batches = [_batch([f"h{i}-{j}" for j in range(3)]) for i in range(5)]
    write_streamed(lambda rows: store.db.create_table(UNIT_VECTORS, data=rows, mode="overwrite"), SCHEMA, iter(batches))
    table = store.table(UNIT_VECTORS)
    assert sorted(table.to_arrow()["hash"].to_pylist()) == sorted(k for b in batches for k in b.column(0).to_pylist())
    assert len(table.list_versions()) == 1


def test_a_failure_while_making_batches_lands_nothing(store: Store) -> None:
    write_streamed(lambda rows: store.db.create_table(UNIT_VECTORS, data=rows, mode="overwrite"), SCHEMA,
                   iter([_batch(["kept"])]))
    table = store.table(UNIT_VECTORS)

    def failing() -> Iterator[pa.RecordBatch]:
        yield _batch(["a", "b"])
        yield _batch(["c"])
        raise MemoryError("the encoder ran out")

    with pytest.raises(MemoryError, match="the encoder ran out"):
        write_streamed(lambda rows: table.add(rows), SCHEMA, failing())
    assert store.table(UNIT_VECTORS).to_arrow()["hash"].to_pylist() == ["kept"]


def test_a_failing_write_is_raised_here(store: Store) -> None:
    wrong = pa.schema([("other", pa.int64())])
    write_streamed(lambda rows: store.db.create_table(UNIT_VECTORS, data=rows, mode="overwrite"), SCHEMA,
                   iter([_batch(["x"])]))
    made = []

    def many() -> Iterator[pa.RecordBatch]:
        for i in range(50):
            made.append(i)
            yield pa.RecordBatch.from_arrays([pa.array([i])], schema=wrong)

    with pytest.raises(Exception):  # noqa: B017 - LanceDB's own error for a schema it refuses
        write_streamed(lambda rows: store.table(UNIT_VECTORS).add(rows), wrong, many())
    assert len(made) < 50  # the producer stopped once the writer was gone
    assert store.table(UNIT_VECTORS).to_arrow()["hash"].to_pylist() == ["x"]


def test_frames_are_the_mean_of_each_files_units_plus_its_path(git_repo: GitRepo, tmp_path: Path) -> None:
    """The frames summed as vectors stream by equal the definition, a text held twice counted twice."""
    twice = 'def same():\n    return 1\n'
    git_repo.commit("start", {"a/one.py": twice + "\n\n" + twice + "\n\ndef other(x):\n    return x * 2\n",
                              "a/two.py": 'def two():\n    """Two."""\n    return 2\n', "b/three.py": "X = 3\n"})
    ws = Workspace(git_repo.path, tmp_path / "idx")
    ws.index()
    units = ws.store.visible_units(["path", "hash", "text"])
    one = [h for p, h in zip(units["path"].to_pylist(), units["hash"].to_pylist()) if p == "a/one.py"]
    assert len(one) == 3 and len(set(one)) == 2  # one text twice, and another
    model = ws.checkpoint()
    frames = file_vectors(ws.store)
    assert set(frames) == {"a/one.py", "a/two.py", "b/three.py"}
    for path, got in frames.items():
        texts = [t for p, t in zip(units["path"].to_pylist(), units["text"].to_pylist()) if p == path]
        mean = embed_units(model, texts).mean(axis=0) if texts else np.zeros(len(got), np.float32)
        v = mean + PATH_WEIGHT * embed_units(model, [path_text(path)])[0]
        np.testing.assert_allclose(got, v / np.linalg.norm(v), atol=1e-5)
    assert ws.store.read(FILE_VECTORS).num_rows == 3
