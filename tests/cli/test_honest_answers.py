"""Bad input gets a sentence saying what is wrong and what to do, and a non-zero exit; never an
empty table. The checks live in Workspace, so the API raises the same VjepaError. Through
`vjepa_core.cli.main` on a real git repository and a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import FAKE_AWS, GitRepo
from vjepa_core.api import open_workspace
from vjepa_core.cli import main
from vjepa_core.messages import VjepaError
from vjepa_core.workspace import Workspace

CORE = 'def parse_config(text):\n    """Parse the config."""\n    return dict(line.split("=") for line in text)\n'
TEST = "from app.core import parse_config\n\n\ndef test_parse():\n    assert parse_config([]) == {}\n"
SECRET = f'def login():\n    return "{FAKE_AWS}"\n'


@pytest.fixture
def indexed(git_repo: GitRepo, tmp_path: Path) -> tuple[GitRepo, str]:
    """A repository with history, a file skipped as a secret, a binary, an ignored file and a
    denied name; crawled (no vectors: the questions here do not need them)."""
    git_repo.commit("start", {"app/core.py": CORE, "app/util.py": "def helper():\n    return 1\n",
                              ".gitignore": "build/\n"})
    for i in range(3):
        git_repo.commit(f"work {i}", {"app/core.py": CORE + f"\nVERSION = {i}\n",
                                      "tests/test_core.py": TEST + f"\n# {i}\n"})
    git_repo.commit("gone", {"app/old.py": "OLD = 1\n"})
    git_repo.commit("remove", {"app/old.py": None})
    git_repo.write("app/settings.py", SECRET)
    git_repo.write("assets/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    git_repo.write("build/out.py", "generated = True\n")
    git_repo.write(".env", "TOKEN=abc\n")
    idx = str(tmp_path / "idx")
    assert main(["crawl", str(git_repo.path), "--index-dir", idx, "--no-embed", "--quiet", "--json"]) == 0
    return git_repo, idx


def _fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Runs a command that must fail: exit 2, nothing on stdout, the sentence on stderr."""
    assert main(list(argv)) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no table, not even its header
    assert err.startswith("Sorry: ")
    return err


@pytest.mark.parametrize(("path", "words"), [
    ("nonexistent.py", ["There is no file nonexistent.py", "Check the spelling"]),
    ("app", ["app is a folder", "for example app/core.py"]),
    ("app/settings.py", ["holds a secret (AWS", ".vjepaallow", "vjepa crawl"]),
    ("assets/logo.png", ["was not indexed: binary"]),
    ("build/out.py", [".gitignore", "not indexed"]),
    (".env", ["privacy deny list"]),
])
def test_related_on_what_the_index_does_not_hold(indexed: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch, path: str, words: list[str]) -> None:
    repo, idx = indexed
    monkeypatch.chdir(repo.path)
    err = _fails(capsys, "related", path, "--index-dir", idx)
    for w in words:
        assert w in err, err
    with pytest.raises(VjepaError) as raised:  # the API and the server get the same error
        open_workspace(repo.path, index_dir=idx).related(path)
    assert str(raised.value) in err


def test_a_file_newer_than_the_index_says_to_crawl(indexed: tuple[GitRepo, str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    repo, idx = indexed
    repo.write("app/fresh.py", "def fresh():\n    return 2\n")
    err = _fails(capsys, "related", str(repo.path / "app/fresh.py"), str(repo.path), "--index-dir", idx)
    assert "newer than the index" in err and "vjepa crawl" in err


def test_related_answers_for_an_indexed_file(indexed: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, idx = indexed
    assert main(["related", "app/core.py", str(repo.path), "--index-dir", idx, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["path"] == "tests/test_core.py"


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_an_empty_query_is_refused_before_anything_runs(indexed: tuple[GitRepo, str],
                                                        capsys: pytest.CaptureFixture[str], query: str) -> None:
    repo, idx = indexed
    err = _fails(capsys, "search", query, str(repo.path), "--index-dir", idx)
    assert "The search query is empty" in err
    ws = Workspace(repo.path, idx)
    with pytest.raises(VjepaError, match="query is empty"):
        ws.search(query)
    assert ws._ckpt is None  # refused before the model was loaded


def test_next_after_an_unknown_file(indexed: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, idx = indexed
    err = _fails(capsys, "next", "--after", "nonexistent.py", str(repo.path), "--index-dir", idx)
    assert "There is no file nonexistent.py" in err
    err = _fails(capsys, "next", "--after", "app", str(repo.path), "--index-dir", idx)
    assert "app is a folder" in err
    # A file deleted since is in the history, but no longer in the workspace: no answer from it.
    err = _fails(capsys, "next", "--after", "app/old.py", str(repo.path), "--index-dir", idx)
    assert "There is no file app/old.py" in err
    assert main(["next", "--after", "app/core.py", str(repo.path), "--index-dir", idx, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == "tests/test_core.py"


def test_a_folder_without_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "plain"
    (root / "lib").mkdir(parents=True)
    (root / "lib/a.py").write_text("def a():\n    return 1\n")
    (root / "lib/b.py").write_text("def b():\n    return 2\n")
    idx = str(tmp_path / "idx")
    assert main(["crawl", str(root), "--index-dir", idx, "--no-embed"]) == 0
    out, err = capsys.readouterr()
    for said in (err, out):  # said while crawling, and kept in the summary
        assert "has no git history" in said and "search work without it" in " ".join(said.split())
    assert main(["crawl", str(root), "--index-dir", idx, "--no-embed", "--json", "--quiet"]) == 0
    assert any("no git history" in w for w in json.loads(capsys.readouterr().out)["warnings"])

    for argv in (["next"], ["next", "--after", "lib/a.py"]):
        err = _fails(capsys, *argv, str(root), "--index-dir", idx)
        assert "has no git history, so I can't predict the next file" in err and "vjepa related" in err
    # What works without history still works.
    assert main(["related", "lib/a.py", str(root), "--index-dir", idx, "--json"]) == 0
    assert [h["path"] for h in json.loads(capsys.readouterr().out)] == ["lib/b.py"]


def test_nothing_found_is_a_sentence_not_an_empty_table(git_repo: GitRepo, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.commit("one", {"solo/only.py": "def only():\n    return 1\n"})
    idx = str(tmp_path / "idx")
    assert main(["crawl", str(git_repo.path), "--index-dir", idx, "--no-embed", "--quiet", "--json"]) == 0
    capsys.readouterr()
    assert main(["related", "solo/only.py", str(git_repo.path), "--index-dir", idx]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "No related files for solo/only.py yet" in err
    assert main(["search", "zebrafruit", str(git_repo.path), "--index-dir", idx]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "Nothing matched 'zebrafruit'" in err
    assert main(["search", "zebrafruit", str(git_repo.path), "--index-dir", idx, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # JSON stays JSON
