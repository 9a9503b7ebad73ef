"""`vjepa bench embed`: units/s per BLAS in fresh processes, and the geometry of the vectors."""

from __future__ import annotations

from pathlib import Path

from vjepa_core.bench.embed import bench_embed
from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR


def test_bench_embed_reports_speed_and_geometry(tmp_path: Path) -> None:
    root = tmp_path / "src"
    root.mkdir()
    for i in range(12):
        (root / f"m{i}.py").write_text(
            f"def load_{i}(path):\n    with open(path) as fh:\n        return fh.read()\n\n\n"
            f"class Thing{i}:\n    def run(self, n):\n        return [x * {i} for x in range(n)]\n")
    result = bench_embed(DEFAULT_MODEL_DIR, root, limit=100)
    assert result["units"] == 36  # a function, a class and its method per file
    run = result["models"]["model"]["reference"]  # MLX's bundled BLAS: what a fresh install gets
    assert run["units"] == 36 and run["units_per_s"] > 0 and run["warm_units_per_s"] > 0 and run["startup_s"] > 0
    geometry = result["models"]["model"]["geometry"]
    assert geometry["files"] == 12 and geometry["dim"] == 256
    assert -1.0 <= geometry["unit_pairs_mean_cos"] < 0.9 and 1 <= geometry["effective_rank"] <= 36
