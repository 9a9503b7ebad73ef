"""A full index in a child process that exits (index/child.py, vjepa_core/index_job.py), as the
language server runs it: the same index as in-process, its progress and its errors reach the caller.
Real git, real tree-sitter, real LanceDB, the shipped model, a real child process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from vjepa_core.index.child import ChildFailed, run_in_child
from vjepa_core.index.links import load_links
from vjepa_core.messages import VjepaError
from vjepa_core.workspace import Workspace

MODULES = {
    "app/__init__.py": '"""The app."""\n',
    "app/http.py": 'import json\n\n\ndef get(url):\n    """Fetch a url."""\n    return json.loads(url)\n',
    "app/store.py": 'from app import http\n\n\nclass Store:\n    def load(self, url):\n        return http.get(url)\n',
    "app/cli.py": 'from app import store\n\n\ndef main():\n    return store.Store().load("x")\n',
    "config/secrets.py": 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLF"\nAWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ"\n',
}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.commit("start", MODULES)
    return git_repo


def _summary(ws: Workspace) -> tuple[object, ...]:
    files = ws.indexed_files()
    rows = load_links(ws.index_dir)
    links = sorted(zip(*(rows[c] for c in ("a", "b", "kind")))) if rows is not None else None
    return sorted(files.paths), files.units, ws.secret_skips(), links, [h.path for h in ws.search("fetch a url", 3)]


def test_the_child_writes_the_index_the_process_would(repo: GitRepo, tmp_path: Path) -> None:
    here = Workspace(repo.path, tmp_path / "here")
    there = Workspace(repo.path, tmp_path / "there")
    there.index_in_child = True
    seen: list[tuple[int, int, str]] = []
    report = there.index(progress=lambda done, total, path: seen.append((done, total, path)))
    expected = here.index()
    assert (report.crawl.files_indexed, report.crawl.units, report.crawl.secret_skips) == \
        (expected.crawl.files_indexed, expected.crawl.units, expected.crawl.secret_skips)
    assert report.embedded == expected.embedded
    assert _summary(there) == _summary(here)
    assert [done for done, _, _ in seen] == list(range(1, len(seen) + 1)) and seen[-1][0] == seen[-1][1]


def test_an_incremental_index_in_the_child_sees_the_change(repo: GitRepo, tmp_path: Path) -> None:
    ws = Workspace(repo.path, tmp_path / "idx")
    ws.index_in_child = True
    ws.index()
    before = ws.indexed_files().units  # the parent has the store open from here on
    (repo.path / "app/extra.py").write_text("def extra():\n    return 1\n")
    report = ws.index()
    assert report.crawl.new == 1
    assert ws.indexed_files().units == before + 1
    assert "app/extra.py" in [h.path for h in ws.search("extra", 3)]


def test_an_error_in_the_child_keeps_its_words(repo: GitRepo, tmp_path: Path) -> None:
    Workspace(repo.path, tmp_path / "idx").index()
    other = tmp_path / "other"
    other.mkdir()
    ws = Workspace(other, tmp_path / "idx")  # an index that belongs to another folder
    ws.index_in_child = True
    with pytest.raises(VjepaError) as caught:
        ws.index()
    assert caught.value.key == "index.other_root"
    assert str(repo.path) in str(caught.value)


def test_a_child_that_ends_without_answering_is_said_to(tmp_path: Path) -> None:
    with pytest.raises(ChildFailed, match="ended .exit code 1. before it answered"):
        run_in_child("vjepa_core.no_such_module", {})


def test_a_small_workspace_is_indexed_in_place_a_big_one_in_the_child(repo: GitRepo) -> None:
    """The server's choice (`child_min_files`): the child's start costs more than a small index's
    peak; counted with the crawl's own walk (5 files here, the secret file among them)."""
    from vjepa_core.index.child import worth_a_child

    assert worth_a_child(repo.path, True, 0)
    assert worth_a_child(repo.path, True, 4)
    assert not worth_a_child(repo.path, True, 5)
    with pytest.raises(VjepaError):
        worth_a_child(Path.home(), False, 1500)  # refused before anything is listed, as the crawl refuses it
