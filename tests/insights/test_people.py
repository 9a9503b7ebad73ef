"""Insights speak about the people in the history as they are: one author is "you"; several are the
project, with whose work shows each habit; bots are nobody's habits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from tests.insights.fixtures import FEATURES, build_habits, build_team_habits, indexed_workspace
from vjepa_core.cli import main as cli_main
from vjepa_core.insights.people import is_bot, read_people
from vjepa_core.insights.report import compute


def _sentences(result: dict) -> list[str]:
    return [p["sentence"] for p in result["patterns"]]


def test_one_author_is_you(git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ws = indexed_workspace(build_habits(git_repo), tmp_path)
    result = compute(ws)
    assert result["people"] == {"solo": True, "authors": 1, "bot_commits": 0,
                                "top": [{"name": "Test", "commits": 3 * len(FEATURES)}]}
    assert result["patterns"] and all(s.startswith("You usually") for s in _sentences(result))
    assert cli_main(["insights", str(git_repo.path), "--index-dir", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    assert "How you work" in out and "In this project" not in out and "seen in the work of" not in out


def test_many_authors_are_the_project(git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ws = indexed_workspace(build_team_habits(git_repo), tmp_path)
    result = compute(ws)
    people = result["people"]
    assert people["solo"] is False and people["authors"] == 2 and people["bot_commits"] == len(FEATURES)
    assert [a["name"] for a in people["top"]] == ["Ana Lima", "Ben Okafor"]
    sentences = _sentences(result)
    assert sentences and not [s for s in sentences if "you" in s.lower().split()], sentences
    after = next(p for p in result["patterns"] if p["kind"] == "test_after_module")
    assert after["sentence"].startswith("In this project, tests usually come after the modules they test: 6 of 6")
    assert after["authors"] == [{"name": "Ana Lima", "support": 3}, {"name": "Ben Okafor", "support": 3}]
    swift = next(p for p in result["patterns"] if p["facet"] == "language")
    assert swift["sentence"].startswith("In this project, work on Swift usually comes first, then Python")
    assert {a["name"] for a in swift["authors"]} == {"Ana Lima", "Ben Okafor"}
    # The bot's requirements.txt commits are in no session: no habit about configuration.
    assert not [p for p in result["patterns"] if "config" in (p["first"], p["then"])]
    assert cli_main(["insights", str(git_repo.path), "--index-dir", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    assert "How work goes in this project (2 people, 24 commits)" in out and "How you work" not in out
    assert "seen in the work of Ana Lima (3), Ben Okafor (3)" in out
    json.dumps(result)


def test_people_of_a_folder_without_git(tmp_path: Path) -> None:
    people = read_people(tmp_path)
    assert people.solo and people.authors == [] and people.by_sha == {}


def test_bots_by_name() -> None:
    assert is_bot("dependabot[bot]") and is_bot("pre-commit-ci[bot]") and is_bot("github-actions")
    assert is_bot("Renovate Bot", "renovate-bot@example.com")
    assert not is_bot("Abbot Smith", "abbot@example.com") and not is_bot("Tom Christie", "tom@example.com")
