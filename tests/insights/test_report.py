"""The whole insights report through the CLI, and on a folder without git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from tests.insights.fixtures import build_habits
from vjepa_core.cli import main as cli_main
from vjepa_core.index.crawl import crawl
from vjepa_core.insights.report import compute
from vjepa_core.workspace import Workspace


def test_cli_insights_json_and_text(git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    build_habits(git_repo)
    index = tmp_path / "index"
    crawl(git_repo.path, index)
    assert cli_main(["insights", str(git_repo.path), "--index-dir", str(index), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {p["kind"] for p in data["patterns"]} >= {"test_after_module", "order"}
    assert cli_main(["insights", str(git_repo.path), "--index-dir", str(index)]) == 0
    out = capsys.readouterr().out
    assert "You usually create tests after the modules" in out and "This project is about" in out
    assert "Everything looks at home" in out


def test_cli_insights_without_index_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "proj").mkdir()
    code = cli_main(["insights", str(tmp_path / "proj"), "--index-dir", str(tmp_path / "none")])
    assert code == 2
    assert "Run `vjepa crawl" in capsys.readouterr().err


def test_folder_without_git_or_habits(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def start_engine(speed):\n    return speed * 2\n", encoding="utf-8")
    crawl(root, tmp_path / "index")
    result = compute(Workspace(root, tmp_path / "index"))
    assert result["counts"]["commits"] == 0 and result["patterns"] == [] and result["suggestions"] == []
    assert result["summary"]["languages"] == {"Python": 1}
