"""A job in a child process that exits, for a long-lived process's big jobs (the language server's
full index): whatever the job imports, compiles and leaves in the heap goes with the child, and the
parent reads what it wrote from disk.

`run_in_child(module, job, progress)` starts `python -m MODULE`, hands it `job` (pickled, on its
stdin) and returns what the child's `serve` answered; the child's progress calls reach `progress`
in the parent, in order, on the calling thread. A VjepaError in the child is raised again in the
parent with the same words; any other failure, or a child that ends without an answer (killed),
raises `ChildFailed` saying so. The child speaks on its own copy of stdout: anything else it
prints goes to stderr (the parent's, which is the server's log), never into the answers. It ends
with its parent (Linux), so a killed server leaves no indexer behind; the index's writer lock and
the crawl's commit points keep the index consistent if it is killed midway.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vjepa_core.messages import VjepaError

Progress = Callable[..., None]
PR_SET_PDEATHSIG = 1


class ChildFailed(RuntimeError):
    """The child process failed other than with a VjepaError: the message says how."""


def run_in_child(module: str, job: dict[str, Any], progress: Progress | None = None) -> Any:
    """Run `job` in `python -m module` (whose main calls `serve`) and return its answer."""
    answer: tuple[Any, ...] | None = None
    with subprocess.Popen([sys.executable, "-m", module, str(os.getpid())], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            pickle.dump(job, child.stdin)
            child.stdin.close()
        except BrokenPipeError:  # it ended at once: its exit code says how, below
            pass
        try:
            while answer is None:
                try:
                    message = pickle.load(child.stdout)
                except (EOFError, pickle.UnpicklingError):
                    break
                if message[0] != "progress":
                    answer = message
                elif progress is not None:
                    progress(*message[1:])
        except BaseException:  # the caller's progress failed, or this thread is interrupted: the job ends too
            child.kill()
            raise
        code = child.wait()
    if answer is None:
        raise ChildFailed(f"the {module} process ended (exit code {code}) before it answered")
    if answer[0] == "error":
        raise VjepaError(answer[1], **answer[2])
    if answer[0] == "failed":
        raise ChildFailed(answer[1])
    return pickle.loads(answer[1])  # only now: its classes' modules load once the child has ended


def serve(work: Callable[[dict[str, Any], Progress], Any]) -> int:
    """The child's side: read the job, run `work(job, progress)`, send its answer; the exit code."""
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() and libraries' output go to stderr from here, never into the answers
    _end_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    job = pickle.load(sys.stdin.buffer)

    def send(*message: Any) -> None:
        pickle.dump(message, channel)
        channel.flush()

    try:
        # The answer goes as bytes in the message: the parent reads it without importing what its
        # classes need (the crawl's and the embedding's modules, ~50 MB) while this process still holds its own.
        send("done", pickle.dumps(work(job, lambda *args: send("progress", *args))))
    except VjepaError as exc:
        try:
            send("error", exc.key, exc.fields)
        except (pickle.PicklingError, TypeError, AttributeError):
            send("failed", str(exc))
        return 1
    except Exception as exc:  # noqa: BLE001 -- said to the parent in one line, the traceback in the log
        traceback.print_exc()
        send("failed", f"{type(exc).__name__}: {exc}")
        return 1
    return 0


def _end_with_parent(parent: int | None) -> None:
    """Ask Linux to end this process when its parent ends; end now if the parent is gone already."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:
        raise SystemExit(1)


def worth_a_child(root: Path, allow_home: bool, min_files: int) -> bool:
    """Whether a full index of `root` should run in a child process: when it lists more than
    `min_files` files (the crawl's own walk, which reads no file's content and skips denied
    folders). A small workspace's index peaks low, and its first lenses come sooner in place."""
    if min_files <= 0:
        return True
    from vjepa_core.harvest.safety import check_root
    from vjepa_core.harvest.walk import walk

    return len(walk(check_root(root, allow_home=allow_home)).files) > min_files
