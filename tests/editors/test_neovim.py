"""Neovim end to end: headless Neovim (Debian's 0.7.2 in CI) runs editors/neovim against the real
`vjepa-lsp` on a real git workspace. editors/neovim/tests/e2e.lua drives the editor and writes what
each feature showed to a JSON file; this test asserts on it."""

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
DRIVER = ROOT / "editors" / "neovim" / "tests" / "e2e.lua"
CALC = "def add(a, b):\n    return a + b\n\n\ndef multiply_numbers(a, b):\n    return a * b\n"

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None and os.environ.get("CI") != "true",
                                reason="nvim is not installed (apt-get install neovim); CI always runs this")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    git_repo = GitRepo(tmp_path_factory.mktemp("nvim") / "repo")
    git_repo.commit("init", {"calc.py": CALC, "notes.md": "# Notes\n\nAbout the project.\n",
                             "util.py": "def helper():\n    return 1\n"})
    for i in range(3):  # calc.py and its test change together
        git_repo.commit(f"change {i}", {
            "calc.py": CALC + f"\nVERSION = {i}\n",
            "tests/test_calc.py": f"from calc import add\n\n\ndef test_add():\n    assert add(1, {i}) == {1 + i}\n"})
    return git_repo


@pytest.fixture(scope="module")
def report(repo: GitRepo) -> dict[str, Any]:
    """One Neovim session for the whole module (each start indexes the workspace again)."""
    tmp_path = repo.path.parent
    assert NVIM, "nvim is required under CI (apt-get install neovim)"
    outside = tmp_path / "outside" / "scratch.py"
    outside.parent.mkdir()
    outside.write_text("x = 1\n")
    out = tmp_path / "nvim.json"
    env = {**os.environ, "VJEPA_REPO": str(repo.path), "VJEPA_OUT": str(out),
           "VJEPA_INDEX": str(tmp_path / "index"), "VJEPA_OUTSIDE": str(outside),
           "VJEPA_CMD": json.dumps([sys.executable, "-m", "server.main"]), "PYTHONPATH": str(ROOT),
           # Neovim's and the server's own files (logs, consent) stay in the test's folder.
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    proc = subprocess.run([NVIM, "--headless", "--clean", "-u", str(DRIVER)], env=env, cwd=str(repo.path),
                          capture_output=True, text=True, timeout=180, check=False)
    assert out.exists(), f"nvim wrote no report (rc {proc.returncode}): {proc.stdout}{proc.stderr}"
    report = json.loads(out.read_text())
    assert "error" not in report, report["error"]
    return report


def test_lenses_related_and_search(report: dict[str, Any], repo: GitRepo) -> None:
    assert report["root_dir"] == str(repo.path)
    assert report["status"]["folders"][0]["indexed"] is True

    # Lenses at the top of calc.py, the co-changed test first.
    titles = [lens["title"] for lens in report["lenses"]]
    assert titles[0] == "Related: tests/test_calc.py", titles
    assert all(lens["line"] == 0 for lens in report["lenses"])
    # Running the lens opens the file in this Neovim (0.7 has no window/showDocument).
    lens = report["steps"]["lens"]
    assert lens["pick"]["items"][0] == "Related: tests/test_calc.py"
    assert lens["opened"]["file"] == str(repo.path / "tests/test_calc.py")

    # :VjepaRelated lists vjepa.relatedFiles with reasons; the choice is opened.
    related = report["steps"]["related"]
    assert related["pick"]["prompt"] == "Related files"
    assert related["pick"]["items"][0].startswith("tests/test_calc.py  temporal: ")
    assert "3 commits" in related["pick"]["items"][0]
    assert related["opened"]["file"] == str(repo.path / "tests/test_calc.py")

    # :VjepaSearch jumps to the unit.
    search = report["steps"]["search"]
    assert search["pick"]["items"][0].startswith("calc.py:5 multiply_numbers"), search["pick"]["items"]
    assert search["opened"] == {"file": str(repo.path / "calc.py"), "line": 5}

    assert report["outside_clients"] == 0


def test_next_and_status(report: dict[str, Any], repo: GitRepo) -> None:
    # :VjepaNext offers the predicted next files (the co-changed test is among them).
    nxt = report["steps"]["next"]
    assert "pick" in nxt, nxt.get("note")
    assert nxt["pick"]["prompt"] == "Next file"
    assert any(item.startswith("tests/test_calc.py") for item in nxt["pick"]["items"]), nxt["pick"]

    # :VjepaStatus and the statusline (fed by vjepa/status) say the server is idle.
    assert report["steps"]["status"]["note"]["msg"].startswith("VJEPA idle · 4 files")
    assert report["statusline"].startswith("VJEPA idle")


def test_train_sentence(report: dict[str, Any]) -> None:
    assert report["training"] == "VJEPA: trained repo: 2 steps in 1.2 s, model abcdef01."
