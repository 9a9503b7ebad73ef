"""One writer per index: a crawl, an embedding or an editor's save takes the index's writer lock
first; a second writer waits for it (and is told who it waits for), so nothing is done twice and
no two processes write the same tables at once.

The lock is `fcntl.flock` on `<index>/writer.lock`: the operating system drops it when its
process ends, however it ends (kill -9 included), so a lock is never stale; the note inside
(pid, job, start time) only says who holds it. In one process the lock is re-entrant (a crawl
that embeds holds it once), and threads take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

LOCK_FILE = "writer.lock"


@dataclass(frozen=True)
class Holder:
    """Who holds an index's writer lock, as its note says (pid 0: the note was unreadable)."""

    pid: int
    job: str
    since: str


@dataclass
class _Held:
    fd: int
    depth: int
    guard: threading.RLock


_HELD: dict[str, _Held] = {}  # index folder -> this process' hold on its lock
_REGISTRY = threading.Lock()


def holder(index_dir: Path) -> Holder | None:
    """The note of whoever holds (or last held) the lock, without taking it."""
    try:
        note = json.loads((Path(index_dir) / LOCK_FILE).read_text(encoding="utf-8") or "{}")
        return Holder(int(note["pid"]), str(note["job"]), str(note["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _guard(key: str) -> threading.RLock:
    with _REGISTRY:
        held = _HELD.get(key)
        if held is None:
            held = _HELD[key] = _Held(-1, 0, threading.RLock())
        return held.guard


@contextlib.contextmanager
def writer_lock(index_dir: str | os.PathLike[str], job: str,
                on_wait: Callable[[Holder | None], None] | None = None) -> Iterator[None]:
    """Hold the index's writer lock for the block. When another process holds it, `on_wait` is
    called once with its note (None if unreadable), then the block waits for the lock."""
    folder = Path(index_dir)
    key = str(folder.resolve())
    guard = _guard(key)
    if not guard.acquire(blocking=False):  # another thread of this process writes: take turns
        if on_wait is not None:
            on_wait(Holder(os.getpid(), "another job in this process", ""))
        guard.acquire()
    held = _HELD[key]
    try:
        if held.depth == 0:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if on_wait is not None:
                        on_wait(holder(folder))
                    fcntl.flock(fd, fcntl.LOCK_EX)
                note = {"pid": os.getpid(), "job": job, "since": time.strftime("%H:%M:%S")}
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(note).encode(), 0)
            except BaseException:
                os.close(fd)  # closing drops the lock, if it was taken
                raise
            held.fd = fd
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0:
                fd, held.fd = held.fd, -1
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)  # no note: nobody holds it
                os.close(fd)  # drops the lock
    finally:
        guard.release()


def holds_writer_lock(job: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A method of an object with an `index_dir` that writes that index: it runs holding the lock."""
    def wrap(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def locked(self: Any, *args: Any, **kwargs: Any) -> T:
            with writer_lock(self.index_dir, job):
                return method(self, *args, **kwargs)
        return locked
    return wrap
