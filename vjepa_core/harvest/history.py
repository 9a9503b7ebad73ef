"""Reading git history: commits, the files each one changed, and its renames.

History is read only through the git CLI, in one `git log` process, never from `.git` files.
What the history says about which files belong together is patterns/temporal.py's job.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# `-z` keeps paths verbatim (spaces, tabs, newlines, unicode); the options after it make the output
# immune to user config that would otherwise add colour or signature text to it.
_LOG = ("log", "--no-merges", "--reverse", "-M", "--name-status", "-z", "--relative",
        "--no-color", "--no-show-signature", "--format=@@%H %ct")


class GitError(RuntimeError):
    """git failed on a repository that exists: the message carries git's own stderr."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    time: int  # committer unix time
    # (status letter, path); a rename is ("D", old) + ("A", new), a copy ("A", new).
    changes: tuple[tuple[str, str], ...]
    renames: tuple[tuple[str, str], ...]  # (old, new), so callers can follow files across renames

    @property
    def files(self) -> frozenset[str]:
        """Paths that exist after this commit and were touched by it."""
        return frozenset(p for s, p in self.changes if s != "D")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-c", "core.quotePath=false", "-C", str(root), *args],
                              check=False, capture_output=True, stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise GitError("git is not installed (or not on PATH)") from exc


def is_git_work_tree(root: Path) -> bool:
    """True if `root` is a folder inside a git work tree (not a bare repository, not `.git`)."""
    if not Path(root).is_dir():
        return False
    try:
        proc = _git(root, "rev-parse", "--is-inside-work-tree")
    except GitError:
        return False
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


def head_sha(root: Path) -> str:
    """The commit HEAD points at ('' outside a git work tree or before the first commit)."""
    try:
        proc = _git(root, "rev-parse", "-q", "--verify", "HEAD")
    except GitError:
        return ""
    return proc.stdout.decode().strip() if proc.returncode == 0 else ""


def read_commits(root: Path, *, max_commits: int | None = None) -> list[Commit]:
    """Non-merge commits, oldest first, with only the changes under `root`, relative to it.

    Commits that changed nothing under `root` are kept, with no changes, so that a root that is a
    whole repository reads exactly like `git log` (the benchmark split counts every commit).

    Returns [] when `root` is not in a git work tree or the repository has no commits yet.
    With `max_commits`, only the newest that many commits are read (still oldest first).
    """
    if not is_git_work_tree(root):
        return []
    args = [*_LOG, f"-n{max_commits}"] if max_commits is not None else list(_LOG)
    proc = _git(root, *args)
    if proc.returncode != 0:
        if _git(root, "rev-parse", "-q", "--verify", "HEAD").returncode != 0:
            return []  # an unborn branch: no history yet, not a failure
        raise GitError(f"git log failed in {root}: {proc.stderr.decode(errors='replace').strip()}")
    # surrogateescape: a path that is not UTF-8 gets the same str that os.listdir gives it.
    return list(_parse_log(proc.stdout.decode("utf-8", errors="surrogateescape")))


def _parse_log(out: str) -> Iterator[Commit]:
    """Parse `git log -z --name-status --format=@@%H %ct`.

    Tokens are NUL-separated; each entry is a status token then one path (two for R and C), so
    paths are consumed by count and a path that looks like a header is never mistaken for one.
    """
    tokens = iter(out.split("\0"))
    sha, time = "", 0
    changes: list[tuple[str, str]] = []
    renames: list[tuple[str, str]] = []
    for tok in tokens:
        tok = tok.lstrip("\n")  # git puts a newline between the header and the first status
        if not tok:
            continue
        if tok.startswith("@@"):
            if sha:
                yield Commit(sha, time, tuple(changes), tuple(renames))
            sha, t = tok[2:].split()
            time, changes, renames = int(t), [], []
        elif tok[0] in "RC":
            old, new = next(tokens), next(tokens)
            if tok[0] == "R":
                changes.append(("D", old))
                renames.append((old, new))
            changes.append(("A", new))
        else:
            changes.append((tok[0], next(tokens)))
    if sha:
        yield Commit(sha, time, tuple(changes), tuple(renames))
