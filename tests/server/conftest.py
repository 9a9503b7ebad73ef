"""Fixtures for the server tests (helpers that are not fixtures: tests/server/lsp.py)."""

from __future__ import annotations

import pytest

from tests.fixtures import GitRepo
from tests.server.lsp import CALC


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    """calc.py, notes.md and util.py, then three commits in which calc.py and its test change together."""
    git_repo.commit("init", {"calc.py": CALC, "notes.md": "# Notes\n\nAbout the project.\n",
                             "util.py": "def helper():\n    return 1\n"})
    for i in range(3):  # calc.py and its test change together, again and again
        git_repo.commit(f"change {i}", {
            "calc.py": CALC + f"\nVERSION = {i}\n",
            "tests/test_calc.py": f"from calc import add\n\n\ndef test_add():\n    assert add(1, {i}) == {1 + i}\n"})
    return git_repo
