"""The temporal pattern: what the git history says about which files change together.

History is read only through the git CLI, in one `git log` process, never from `.git` files.
Statistics are ROSE-style (Zimmermann et al., TSE 2005): support is the number of commits two
files shared, confidence a->b is that support over the commits that touched a.
"""

from __future__ import annotations

import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Commits touching more files than this are bulk changes (formatting, vendoring, licence headers):
# they say nothing about which files belong together.
MAX_FILES = 30

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


@dataclass(frozen=True, slots=True)
class CoChange:
    a: str
    b: str
    count: int  # commits of at most max_files files in which both changed
    confidence: float  # count / commits of at most max_files files touching a (directional a -> b)


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


def _resolved(commits: list[Commit], follow_renames: bool) -> list[list[tuple[str, str]]]:
    """Each commit's changes with every path under the name its file has at the end of history.

    Walks newest to oldest so chains (A -> B -> C) end at C, and a path reused after its file was
    renamed away keeps its own history.
    """
    if not follow_renames:
        return [list(c.changes) for c in commits]
    later: dict[str, str] = {}  # path as named after this commit -> the final name of its file
    out: list[list[tuple[str, str]]] = []
    for c in reversed(commits):
        # Read before writing so a swap (a -> b, b -> a) in one commit resolves correctly.
        moved = {old: later.get(new, new) for old, new in c.renames}
        out.append([(s, moved.get(p, p) if s == "D" else later.get(p, p)) for s, p in c.changes])
        # Before an add or a delete the path named another file (or none): it keeps its own name.
        for s, p in c.changes:
            if s in "AD":
                later.pop(p, None)
        later.update(moved)
    out.reverse()
    return out


def _touched(commits: list[Commit], max_files: int, follow_renames: bool) -> Iterator[set[str]]:
    """Per commit of at most `max_files` files, the (resolved) files it left in the tree."""
    for changes in _resolved(commits, follow_renames):
        files = {p for s, p in changes if s != "D"}
        if len(files) <= max_files:
            yield files


def change_counts(commits: list[Commit], *, max_files: int = MAX_FILES,
                  follow_renames: bool = True) -> dict[str, int]:
    """Number of non-bulk commits that touched each file."""
    counts: Counter[str] = Counter()
    for files in _touched(commits, max_files, follow_renames):
        counts.update(files)
    return dict(counts)


def cochange(commits: list[Commit], *, alive: set[str] | None = None, max_files: int = MAX_FILES,
             follow_renames: bool = True) -> list[CoChange]:
    """Directional co-change pairs (both a->b and b->a), sorted by a, then count (high first), then b.

    With `alive`, only pairs whose both ends are in it are returned; confidence still counts every
    commit that touched a, so it does not depend on what is alive today.
    """
    freq: Counter[str] = Counter()
    pairs: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for files in _touched(commits, max_files, follow_renames):
        freq.update(files)
        if len(files) < 2:
            continue
        for a in files:
            pairs[a].update(files - {a})
    out = []
    for a in sorted(pairs):
        if alive is not None and a not in alive:
            continue
        for b, n in sorted(pairs[a].items(), key=lambda kv: (-kv[1], kv[0])):
            if alive is None or b in alive:
                out.append(CoChange(a, b, n, n / freq[a]))
    return out


def last_touched(commits: list[Commit], *, follow_renames: bool = True) -> dict[str, int]:
    """Committer time of each path's latest change (any status, bulk commits included)."""
    seen: dict[str, int] = {}
    for c, changes in zip(commits, _resolved(commits, follow_renames), strict=True):
        for _, p in changes:
            # max, not last: rebases and cherry-picks leave committer times out of order.
            if c.time > seen.get(p, -1):
                seen[p] = c.time
    return seen
