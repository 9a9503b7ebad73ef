"""Which BLAS MLX runs on: `vjepa status` always says, and on the slow path the first command that
needs it says so once, kindly, with the command that fixes it. The machine without a system
OpenBLAS is made by pointing the search list at a folder that has none."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vjepa_core.cli import main
from vjepa_core.model import blas

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "w"
    root.mkdir()
    (root / "a.py").write_text("def a():\n    return 1\n")
    return root


@pytest.fixture
def no_openblas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """This process sees no system OpenBLAS; the 'said once' mark goes to the test's folder."""
    monkeypatch.setattr(blas, "OPENBLAS_CANDIDATES", (str(tmp_path / "none" / "libblas.so.3"),))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv(blas.ENV_CHOICE, raising=False)
    return "sudo apt-get install -y libopenblas0-pthread" if shutil.which("apt-get") else "OpenBLAS"


def _status_blas(project: Path, tmp_path: Path, **env: str) -> str:
    """`vjepa status --json`'s blas line, from the real command line (which takes the fast path)."""
    run = subprocess.run([sys.executable, "-m", "vjepa_core.cli", "status", str(project), "--index-dir",
                          str(tmp_path / "idx"), "--json"], capture_output=True, text=True, cwd=str(ROOT),
                         env={**os.environ, "PYTHONPATH": str(ROOT), **env}, check=True)
    return str(json.loads(run.stdout)["blas"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the BLAS choice is Linux's")
def test_status_says_which_path_is_active(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crawl", str(project), "--index-dir", str(tmp_path / "idx"), "--quiet", "--no-embed"]) == 0
    capsys.readouterr()
    said = _status_blas(project, tmp_path)
    if blas.openblas_library():
        assert said.startswith("fast path: system OpenBLAS") and blas.openblas_library() in said
    else:
        assert said.startswith("slow path") and "about 15x faster" in said
    assert "VJEPA_BLAS=reference" in _status_blas(project, tmp_path, VJEPA_BLAS="reference")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the BLAS choice is Linux's")
def test_the_slow_path_is_named_once_with_its_fix(project: Path, tmp_path: Path, no_openblas: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    idx = str(tmp_path / "idx")
    assert main(["crawl", str(project), "--index-dir", idx, "--no-embed", "--quiet"]) == 0
    assert "A tip" not in capsys.readouterr().err  # --quiet: not said, so still to say
    assert main(["crawl", str(project), "--index-dir", idx, "--no-embed"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "A tip, said once: MLX is running on its slow bundled BLAS" in err and no_openblas in err
    for argv in (["crawl", str(project), "--index-dir", idx, "--no-embed"], ["next", str(project), "--index-dir", idx]):
        main(argv)
        assert "A tip" not in capsys.readouterr().err  # once

    assert main(["status", str(project), "--index-dir", idx, "--json"]) == 0
    said = json.loads(capsys.readouterr().out)["blas"]
    assert said.startswith("slow path: the reference BLAS bundled with mlx") and no_openblas in said
