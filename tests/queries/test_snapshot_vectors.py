"""The search snapshot keeps unit vectors as int8 rows with a scale each (a quarter of float32's
memory and bytes read per query): cosines agree with float32's, quantizing again changes nothing,
and a snapshot written with float32 vectors still loads and searches the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.fixtures import GitRepo
from vjepa_core.queries import snapshot
from vjepa_core.queries.snapshot import Snapshot, quantize
from vjepa_core.workspace import Workspace


def _unit_rows(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_int8_cosines_agree_with_float32_and_keep_the_order_at_the_top() -> None:
    rows = _unit_rows(3000, 256)
    vectors, scales = quantize(rows)
    assert vectors.dtype == np.int8 and scales.dtype == np.float32
    snap = Snapshot("k", None, None, vectors, None, "m", scales)  # type: ignore[arg-type]
    for seed in range(5):
        q = _unit_rows(1, 256, seed + 1)[0]
        exact, approx = rows @ q, snap.cosines(q)
        assert np.abs(exact - approx).max() < 0.01
        top_exact = set(np.argsort(-exact)[:10].tolist())
        assert len(top_exact & set(np.argsort(-approx)[:10].tolist())) >= 9


def test_quantizing_the_rows_again_gives_them_back() -> None:
    vectors, scales = quantize(_unit_rows(500, 64))
    again, scales_again = quantize(vectors.astype(np.float32) * scales[:, None])
    assert (again == vectors).all()
    assert np.allclose(scales_again, scales)
    zero, _ = quantize(np.zeros((2, 8), np.float32))  # a unit without a vector stays at cosine 0
    assert not zero.any()


def test_a_float32_snapshot_on_disk_still_loads(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit("start", {"app/settings.py": 'def parse_settings(text):\n    """Parse the settings."""\n'
                                                 "    return dict(l.split('=') for l in text.splitlines())\n",
                              "app/render.py": "def render(page):\n    return page.upper()\n"})
    ws = Workspace(git_repo.path, tmp_path / "idx")
    ws.index()
    snap = snapshot.on_disk(ws.index_dir)
    assert snap is not None and snap.vectors is not None and snap.vectors.dtype == np.int8
    want = [h.path for h in ws.search("parse the settings", 2)]
    folder = ws.index_dir / snapshot.FOLDER / snap.key
    np.save(folder / "vectors.npy", snap.vectors.astype(np.float32) * snap.scales[:, None])  # as an earlier version wrote it
    (folder / "scales.npy").unlink()
    snapshot._CACHE.clear()
    old = snapshot.on_disk(ws.index_dir)
    assert old is not None and old.vectors is not None and old.vectors.dtype == np.int8
    assert [h.path for h in Workspace(git_repo.path, tmp_path / "idx").search("parse the settings", 2)] == want
    assert want[0] == "app/settings.py"


def test_quantizing_in_row_blocks_is_quantizing_at_once() -> None:
    rows = _unit_rows(9000, 32)  # over two of quantize's blocks of rows
    vectors, scales = quantize(rows)
    want = np.abs(rows).max(axis=1) / 127.0
    assert np.array_equal(scales, want.astype(np.float32))
    assert np.array_equal(vectors, np.rint(rows / scales[:, None]).astype(np.int8))


CLASSES = "class Alpha:\n    def run(self):\n        return 1\n\n\nclass Beta:\n    def run(self):\n        return 1\n"


def test_a_rebuild_after_a_save_equals_a_build_from_nothing(git_repo: GitRepo, tmp_path: Path) -> None:
    """The rebuild after a save reuses the last snapshot's terms and int8 vectors; what it writes is
    what a build from nothing writes, units of one text under two names included (their terms hold
    their own names' words)."""
    git_repo.commit("start", {"app/jobs.py": CLASSES, "app/render.py": "def render(page):\n    return page.upper()\n"})
    ws = Workspace(git_repo.path, tmp_path / "idx")
    ws.index()
    (git_repo.path / "app/render.py").write_text("def render(page):\n    return page.lower()\n")
    assert ws.update_files(["app/render.py"]) is not None
    rebuilt = snapshot.get(ws.store)  # stale after the save: rebuilt from the last one
    names = rebuilt.rows["name"].to_pylist()
    terms = dict(zip(names, rebuilt.rows["terms"].to_pylist()))
    assert "beta" in terms["Beta.run"] and "alpha" not in terms["Beta.run"]
    assert "alpha" in terms["Alpha.run"] and "beta" not in terms["Alpha.run"]
    snapshot._CACHE.clear()
    original = snapshot._previous
    try:
        snapshot._previous = lambda store, model: ({}, {})  # as a first index builds it
        fresh = snapshot.refresh(ws.store)
    finally:
        snapshot._previous = original
    assert fresh.rows.equals(rebuilt.rows)
    assert rebuilt.vectors is not None and fresh.vectors is not None
    assert np.array_equal(fresh.vectors, rebuilt.vectors) and np.array_equal(fresh.scales, rebuilt.scales)
