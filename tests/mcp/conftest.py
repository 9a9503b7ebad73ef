"""Fixtures for the MCP tests (helpers that are not fixtures: tests/mcp/agents.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import GitRepo

CALC = ('def add(a, b):\n    """Add two numbers."""\n    return a + b\n\n\n'
        'def multiply_numbers(a, b):\n    return a * b\n')


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    """calc.py, util.py, notes.md and a planted .env, then three commits in which calc.py and its test
    change together."""
    git_repo.commit("init", {"calc.py": CALC, "util.py": "def helper():\n    return 1\n",
                             "notes.md": "# Notes\n\nAbout the project.\n"})
    for i in range(3):
        git_repo.commit(f"change {i}", {
            "calc.py": CALC + f"\nVERSION = {i}\n",
            "tests/test_calc.py": f"from calc import add\n\n\ndef test_add():\n    assert add(1, {i}) == {1 + i}\n"})
    git_repo.write(".env", "PASSWORD=hunter2\n")
    return git_repo


@pytest.fixture
def other(tmp_path: Path) -> GitRepo:
    """A second project that nobody has allowed."""
    other = GitRepo(tmp_path / "other")
    other.commit("init", {"secret_plans.py": "def plan():\n    return 'world domination'\n"})
    return other


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The user data dir for the server: its consent file and indexes."""
    return tmp_path / "data"
