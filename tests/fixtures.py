"""Helpers the tests share: real git repositories in temp dirs, an audit hook that records
opens, and planted secrets. (The pytest fixtures that hand them out are in conftest.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typing_extensions import Self

# A fake AWS access key id (split so that scanners of this repository do not flag it).
FAKE_AWS = "AKIA" + "QX7ZT3LM5VN2WB4P"


# --- audit hook --------------------------------------------------------------------------
# sys.addaudithook cannot be removed, so one hook is installed for the whole session and
# records into whichever list a test has switched on.
_RECORDING: list[list[tuple[str, str]]] = []
_WATCHED = {"open", "os.scandir", "os.listdir", "os.walk", "glob.glob", "pathlib.Path.iterdir"}


def _hook(event: str, args: tuple) -> None:
    if _RECORDING and event in _WATCHED and args:
        target = args[0]
        if isinstance(target, (str, bytes, os.PathLike)):
            path = os.fsdecode(target)
            if path:
                _RECORDING[-1].append((event, os.path.abspath(path)))


sys.addaudithook(_hook)


class OpenRecorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def __enter__(self) -> Self:
        _RECORDING.append(self.events)
        return self

    def __exit__(self, *exc: object) -> None:
        _RECORDING.remove(self.events)

    def touching(self, folder: Path | str) -> list[tuple[str, str]]:
        """Events on `folder` or anything under it."""
        f = os.path.abspath(folder)
        return [(e, p) for e, p in self.events if p == f or p.startswith(f + os.sep)]


# --- git repositories --------------------------------------------------------------------
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull,
}


class GitRepo:
    """A real git repository that tests write files into and commit, with fixed dates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._t = 1_700_000_000
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": f"@{self._t} +0000",
               "GIT_COMMITTER_DATE": f"@{self._t} +0000"}
        return subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True,
                              text=True, env=env).stdout

    def write(self, rel: str, content: str | bytes) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        return p

    def commit(self, message: str, files: dict[str, str | bytes | None] | None = None, *,
               author: str | None = None) -> None:
        """Write (None: remove) `files` and commit them, an hour after the last commit; `author`
        ("Name <email>") for someone else's commit."""
        for rel, content in (files or {}).items():
            if content is None:
                self.git("rm", "-q", "--", rel)
            else:
                self.write(rel, content)
                self.git("add", "--", rel)
        self._t += 3600
        self.git("commit", "-q", "--allow-empty", *([f"--author={author}"] if author else []), "-m", message)


def mapped_ranges(path: Path) -> list[tuple[int, int]]:
    """The address ranges this process maps from the file `path` (/proc/self/maps): what a test
    checks a buffer's address against to tell it is the file's pages, not a copy."""
    ranges = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5] == str(path):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            ranges.append((start, end))
    return ranges
