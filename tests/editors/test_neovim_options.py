"""The Neovim plugin sends its empty default options as a JSON object ({}), not a list ([]): the real
`vjepa-lsp`, started by headless Neovim (editors/neovim/tests/options.lua), logs no complaint about
them; a bad value still gets its complaint, so the log is really read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import GitRepo

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "editors" / "neovim" / "tests" / "options.lua"
NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None and os.environ.get("CI") != "true",
                                reason="nvim is not installed (apt-get install neovim); CI always runs this")


def _start(repo: GitRepo, tmp_path: Path, options: dict[str, Any] | None) -> dict[str, Any]:
    assert NVIM, "nvim is required under CI (apt-get install neovim)"
    out = tmp_path / "nvim.json"
    env = {**os.environ, "VJEPA_REPO": str(repo.path), "VJEPA_OUT": str(out),
           "VJEPA_CMD": json.dumps([sys.executable, "-m", "server.main"]), "PYTHONPATH": str(ROOT),
           "VJEPA_OPTIONS": "" if options is None else json.dumps(options),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    proc = subprocess.run([NVIM, "--headless", "--clean", "-u", str(DRIVER)], env=env, cwd=str(repo.path),
                          capture_output=True, text=True, timeout=120, check=False)
    assert out.exists(), f"nvim wrote no report (rc {proc.returncode}): {proc.stdout}{proc.stderr}"
    report: dict[str, Any] = json.loads(out.read_text())
    assert "error" not in report, report["error"]
    assert str(report["asked"]).startswith("May I learn from")  # the server got past reading its options
    return report


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.commit("init", {"calc.py": "def add(a, b):\n    return a + b\n"})
    return git_repo


def test_default_options_go_as_an_object(repo: GitRepo, tmp_path: Path) -> None:
    logs = _start(repo, tmp_path / "default", None)["logs"]
    assert not [m for m in logs if "initializationOptions" in m], logs


def test_a_bad_option_is_still_reported(repo: GitRepo, tmp_path: Path) -> None:
    logs = _start(repo, tmp_path / "bad", {"trustWorkspace": "yes"})["logs"]
    assert any("trustWorkspace should be true or false" in m for m in logs), logs
