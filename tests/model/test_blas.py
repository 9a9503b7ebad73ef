"""The fast BLAS path is the default where OpenBLAS is installed, and can be turned off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vjepa_core.model.blas import openblas_library

needs_openblas = pytest.mark.skipif(openblas_library() is None and not os.environ.get("CI"),
                                    reason="libopenblas0-pthread not installed (CI installs it)")


def _status(tmp_path: Path, **env: str) -> str:
    """`vjepa status` on a folder with no index yet: the "empty" line and the BLAS line."""
    return subprocess.run([sys.executable, "-m", "vjepa_core.cli", "status", str(tmp_path)], capture_output=True,
                          text=True, check=True, env={**os.environ, **env}).stdout


@needs_openblas
def test_command_line_runs_on_openblas_by_default(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "VJEPA_BLAS", "VJEPA_BLAS_REEXEC")}
    out = subprocess.run([sys.executable, "-m", "vjepa_core.cli", "status", str(tmp_path)], capture_output=True,
                         text=True, check=True, env=env).stdout
    assert "fast path: system OpenBLAS" in out


def test_reference_blas_can_be_chosen(tmp_path: Path) -> None:
    out = _status(tmp_path, VJEPA_BLAS="reference")
    assert "reference BLAS bundled with mlx (VJEPA_BLAS=reference)" in out


@needs_openblas
def test_mlx_matmul_is_correct_under_openblas() -> None:
    code = (
        "import numpy as np, mlx.core as mx; from vjepa_core.model.blas import active_blas;"
        "a = np.random.default_rng(0).standard_normal((300, 200)).astype('float32');"
        "b = np.array(mx.array(a) @ mx.array(a.T));"
        "print(active_blas()['path'], float(np.abs(b - a @ a.T).max()))"
    )
    env = {**os.environ, "LD_PRELOAD": openblas_library() or ""}
    path, err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                               env=env).stdout.split()
    assert path == "openblas" and float(err) < 1e-3


def test_blas_threads_sets_and_restores_the_openblas_thread_count() -> None:
    # In a child with the fast path (OpenBLAS preloaded, one thread as the default).
    lib = openblas_library()
    if lib is None:
        pytest.skip("no system OpenBLAS here") if not os.environ.get("CI") else pytest.fail("CI installs OpenBLAS")
    code = ("from vjepa_core.model.blas import blas_threads\n"
            "with blas_threads(2) as b:\n    inside = b.current()\n"
            "print(inside, blas_threads(1).__enter__().before)\n")
    env = {**os.environ, "LD_PRELOAD": lib, "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "1"]
