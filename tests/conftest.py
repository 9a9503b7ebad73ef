"""Shared fixtures: real git repositories in temp dirs, and an audit hook that records opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import GitRepo, OpenRecorder


@pytest.fixture
def record_opens() -> OpenRecorder:
    return OpenRecorder()


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of our own, so deny rules about ~ are tested without touching the real one."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    return home


@pytest.fixture(autouse=True)
def _lens_fit_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lenses' fit runs inline (VJEPA_LENS_FIT=now) unless a test is about the background fit
    (it deletes the variable): a test about what the fitted ranker says does not race the fit."""
    monkeypatch.setenv("VJEPA_LENS_FIT", "now")
