"""One writer per index: two crawls at once take turns (the second waits, says for whom, and
finds nothing left to do), and a lock left by a crawl killed with kill -9 is taken over at once.
Real `vjepa crawl` processes on a real git repository and real LanceDB indexes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from vjepa_core.cli import main
from vjepa_core.index.lock import LOCK_FILE, Holder, holder, writer_lock
from vjepa_core.index.store import Store

ROOT = Path(__file__).resolve().parents[2]
WAITING = "is writing this index. Waiting for it to finish"


def _project(repo: GitRepo, files: int) -> GitRepo:
    repo.commit("start", {f"pkg{i % 7}/mod_{i:04d}.py":
                          f'def work_{i}(x):\n    """Step {i} of the pipeline."""\n    return x + {i}\n\n\n'
                          f"class Part{i}:\n    size = {i}\n" for i in range(files)})
    return repo


def _crawl_process(root: Path, idx: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "vjepa_core.cli", "crawl", str(root), "--index-dir", str(idx),
                             "--json", "--no-embed"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=str(ROOT), env={**os.environ, "PYTHONPATH": str(ROOT)})


def _until(test: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not test():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class _Stderr:
    """Collects a process' stderr on a thread, so the test can wait for a line while it runs."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.text += line

    def join(self) -> str:
        self._thread.join(timeout=30)
        return self.text


def _index_rows(idx: Path, root: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str, int]]]:
    """(files as (path, hash), units as (path, hash, start line)), sorted: duplicates stay visible."""
    store = Store.open(idx, root, create=False)
    files = store.read("files", ["path", "hash"])
    units = store.read("units", ["path", "hash", "start_line"])
    return (sorted(zip(files["path"].to_pylist(), files["hash"].to_pylist())),
            sorted(zip(units["path"].to_pylist(), units["hash"].to_pylist(), units["start_line"].to_pylist())))


def test_two_crawls_at_once_take_turns(git_repo: GitRepo, tmp_path: Path) -> None:
    repo = _project(git_repo, 40)
    idx = tmp_path / "idx"
    with writer_lock(idx, "test"):  # a first writer holds the index while two crawls start
        procs = [_crawl_process(repo.path, idx) for _ in range(2)]
        errs = [_Stderr(p) for p in procs]
        _until(lambda: all(WAITING in e.text for e in errs), 120, "both crawls to say they wait")
        assert all(p.poll() is None for p in procs)  # both still waiting: nothing written meanwhile
        assert not (idx / "files.lance").exists()
        assert f"Another test (process {os.getpid()}" in errs[0].text
    reports = []
    for proc, err in zip(procs, errs):
        assert proc.stdout is not None
        out = proc.stdout.read()  # not communicate(): it would close stderr under the reading thread
        proc.wait(timeout=300)
        assert proc.returncode == 0, err.join()
        err.join()
        reports.append(json.loads(out))
    # One did the work; the other waited for it and found nothing left to do.
    done = sorted((r["new"], r["changed"], r["unchanged"], r["deleted"]) for r in reports)
    assert done == [(0, 0, 40, 0), (40, 0, 0, 0)]
    assert reports[0]["files_indexed"] == reports[1]["files_indexed"] == 40
    # The index is the one a single crawl writes: no file or unit twice.
    alone = tmp_path / "alone"
    assert main(["crawl", str(repo.path), "--index-dir", str(alone), "--no-embed", "--quiet", "--json"]) == 0
    files, units = _index_rows(idx, repo.path)
    assert (files, units) == _index_rows(alone, repo.path)
    assert len(set(units)) == len(units) == 80
    assert holder(idx) is None  # released: no note left


def test_a_lock_left_by_kill_9_is_taken_over(git_repo: GitRepo, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    repo = _project(git_repo, 1500)
    idx = tmp_path / "idx"
    proc = _crawl_process(repo.path, idx)
    _until(lambda: (holder(idx) or Holder(0, "", "")).pid == proc.pid, 120, "the crawl to take the lock")
    os.kill(proc.pid, signal.SIGKILL)  # at once: reading 1,500 files takes it seconds
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL  # killed mid-crawl, not finished
    stale = holder(idx)
    assert stale is not None and stale.pid == proc.pid and stale.job == "crawl"  # its note stays behind

    started = time.monotonic()
    assert main(["crawl", str(repo.path), "--index-dir", str(idx), "--no-embed", "--json"]) == 0
    out, err = capsys.readouterr()
    assert WAITING not in err  # the dead process' lock was gone with it: no wait
    assert json.loads(out)["files_indexed"] == 1500
    assert time.monotonic() - started < 300
    alone = tmp_path / "alone"
    assert main(["crawl", str(repo.path), "--index-dir", str(alone), "--no-embed", "--quiet", "--json"]) == 0
    capsys.readouterr()
    assert _index_rows(idx, repo.path) == _index_rows(alone, repo.path)  # whatever it left was repaired
    assert holder(idx) is None


def test_threads_take_turns_and_one_thread_may_nest(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    waited: list[Holder | None] = []
    order: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def first() -> None:
        with writer_lock(idx, "first"), writer_lock(idx, "nested"):  # re-entrant in one thread
            order.append("first in")
            inside.set()
            release.wait(30)
            order.append("first out")

    def second() -> None:
        with writer_lock(idx, "second", waited.append):
            order.append("second in")

    a = threading.Thread(target=first)
    a.start()
    assert inside.wait(30)
    b = threading.Thread(target=second)
    b.start()
    _until(lambda: waited, 30, "the second thread to wait")
    assert order == ["first in"]
    release.set()
    a.join(30)
    b.join(30)
    assert order == ["first in", "first out", "second in"]


def test_rebuild_keeps_the_lock_it_holds(git_repo: GitRepo, tmp_path: Path) -> None:
    repo = _project(git_repo, 3)
    idx = tmp_path / "idx"
    assert main(["crawl", str(repo.path), "--index-dir", str(idx), "--no-embed", "--quiet", "--json"]) == 0
    lock_inode = (idx / LOCK_FILE).stat().st_ino
    with writer_lock(idx, "rebuild"):
        assert main(["crawl", str(repo.path), "--index-dir", str(idx), "--no-embed", "--quiet", "--json",
                     "--rebuild"]) == 0
        # The rebuild emptied the folder but the lock file: another process still finds the held lock.
        assert (idx / LOCK_FILE).stat().st_ino == lock_inode
        probe = subprocess.run([sys.executable, "-c", (
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "try: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError: print('held')"),
            str(idx / LOCK_FILE)], capture_output=True, text=True, check=True)
        assert probe.stdout.strip() == "held"
