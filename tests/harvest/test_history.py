"""history: reading git log through the CLI (and the co-change statistics of what it read)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from vjepa_core.harvest.history import GitError, is_git_work_tree, read_commits
from vjepa_core.patterns.temporal import CoChange, change_counts, cochange, last_touched

T0 = 1_700_000_000


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The developer's own git config (renames off, colour always, signatures) must not leak in.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


class Repo:
    """A real repository in a temp dir, with one fixed clock so shas and times are reproducible."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tick = 0
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test")
        self.git("config", "user.email", "test@example.com")

    def git(self, *args: str) -> str:
        date = f"@{T0 + self.tick * 60} +0000"
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        return subprocess.run(["git", "-C", str(self.root), *args], env=env, check=True,
                              capture_output=True, text=True).stdout

    def write(self, path: str, text: str = "") -> None:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text or f"{path} v{self.tick}\n", encoding="utf-8")

    def commit(self, *paths: str, message: str = "change") -> None:
        """Write (or rewrite) `paths` and commit everything staged with them."""
        for p in paths:
            self.write(p)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        self.tick += 1


def test_read_commits_statuses_renames_and_odd_names(tmp_path: Path) -> None:
    r = Repo(tmp_path / "repo")
    r.commit("a.py", "pkg/b.py", "old name.txt", "café/ünï.py")
    r.commit("a.py", "with\ttab.py")
    (r.root / "pkg" / "b.py").unlink()
    r.commit("a.py")
    (r.root / "docs").mkdir()
    r.git("mv", "old name.txt", "docs/new name.txt")
    r.commit()
    commits = read_commits(r.root)
    assert [c.time for c in commits] == [T0, T0 + 60, T0 + 120, T0 + 180]
    assert all(len(c.sha) == 40 for c in commits)
    assert sorted(commits[0].changes) == [("A", "a.py"), ("A", "café/ünï.py"), ("A", "old name.txt"),
                                          ("A", "pkg/b.py")]
    assert sorted(commits[1].changes) == [("A", "with\ttab.py"), ("M", "a.py")]
    assert sorted(commits[2].changes) == [("D", "pkg/b.py"), ("M", "a.py")]
    assert commits[3].changes == (("D", "old name.txt"), ("A", "docs/new name.txt"))
    assert commits[3].renames == (("old name.txt", "docs/new name.txt"),)
    assert commits[3].files == frozenset({"docs/new name.txt"})


def test_read_commits_max_commits_keeps_the_newest(tmp_path: Path) -> None:
    r = Repo(tmp_path / "repo")
    for i in range(5):
        r.commit(f"f{i}.py")
    commits = read_commits(r.root, max_commits=2)
    assert [c.changes for c in commits] == [(("A", "f3.py"),), (("A", "f4.py"),)]


def test_merge_commits_are_excluded(tmp_path: Path) -> None:
    r = Repo(tmp_path / "repo")
    r.commit("base.py")
    r.git("checkout", "-q", "-b", "side")
    r.commit("side.py")
    r.git("checkout", "-q", "main")
    r.commit("main.py")
    r.git("merge", "-q", "--no-ff", "-m", "merge", "side")
    commits = read_commits(r.root)
    assert len(commits) == 3
    assert sorted(p for c in commits for _, p in c.changes) == ["base.py", "main.py", "side.py"]
    assert len(r.git("rev-list", "HEAD").split()) == 4  # the merge is there, just not read


def test_subfolder_root_is_relative_and_excludes_outside(tmp_path: Path) -> None:
    r = Repo(tmp_path / "repo")
    r.commit("top.py", "sub/a.py", "sub/deep/b.py")
    r.commit("top.py")
    r.commit("sub/a.py", "other/c.py")
    commits = read_commits(r.root / "sub")
    paths = [sorted(p for _, p in c.changes) for c in commits]
    # A commit that touched nothing under the root reads as empty, not as another folder's files.
    assert [p for p in paths if p] == [["a.py", "deep/b.py"], ["a.py"]]


def test_not_a_repo_and_empty_repo_give_no_commits(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert not is_git_work_tree(plain)
    assert read_commits(plain) == []
    assert read_commits(tmp_path / "missing") == []
    empty = Repo(tmp_path / "empty")
    assert is_git_work_tree(empty.root)
    assert read_commits(empty.root) == []
    assert not is_git_work_tree(empty.root / ".git")


def test_real_failure_raises_git_error_with_stderr(tmp_path: Path) -> None:
    r = Repo(tmp_path / "repo")
    r.commit("a.py")
    # A HEAD pointing at a missing object: the repository exists but its history cannot be read.
    (r.root / ".git" / "refs" / "heads" / "main").write_text("1" * 40 + "\n")
    with pytest.raises(GitError, match="git log failed"):
        read_commits(r.root)


def test_cochange_counts_and_confidence(tmp_path: Path) -> None:
    r = Repo(tmp_path / "repo")
    r.commit("a.py", "b.py", "c.py")
    r.commit("a.py", "b.py")
    r.commit("a.py")
    r.commit("b.py", "c.py")
    pairs = {(p.a, p.b): p for p in cochange(read_commits(r.root))}
    assert pairs[("a.py", "b.py")] == CoChange("a.py", "b.py", 2, 2 / 3)
    assert pairs[("b.py", "a.py")] == CoChange("b.py", "a.py", 2, 2 / 3)
    assert pairs[("a.py", "c.py")] == CoChange("a.py", "c.py", 1, 1 / 3)
    assert pairs[("c.py", "b.py")] == CoChange("c.py", "b.py", 2, 1.0)
    assert len(pairs) == 6
    assert change_counts(read_commits(r.root)) == {"a.py": 3, "b.py": 3, "c.py": 2}


def test_rename_following_attributes_history_to_the_final_name(tmp_path: Path) -> None:
    r = Repo(tmp_path / "repo")
    r.write("lib/x.py", "".join(f"line {i}\n" for i in range(50)))  # enough text for -M to pair it
    r.commit("y.py")
    r.commit("y.py", "lib/x.py")
    r.git("mv", "lib/x.py", "lib/mid.py")
    r.commit()
    r.git("mv", "lib/mid.py", "lib/final.py")
    r.commit("y.py")
    commits = read_commits(r.root)
    followed = {(p.a, p.b): p.count for p in cochange(commits)}
    assert followed == {("lib/final.py", "y.py"): 3, ("y.py", "lib/final.py"): 3}
    assert change_counts(commits)["lib/final.py"] == 4
    unfollowed = {(p.a, p.b): p.count for p in cochange(commits, follow_renames=False)}
    assert unfollowed[("lib/x.py", "y.py")] == 2 and unfollowed[("lib/final.py", "y.py")] == 1
    assert last_touched(commits)["lib/final.py"] == T0 + 180
    assert "lib/x.py" not in last_touched(commits)
