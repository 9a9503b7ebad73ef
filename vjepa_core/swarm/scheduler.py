"""Idle-time retraining for the language server.

The server calls `touch()` on every edit. When the user has been idle for `idle_seconds`, the system
load is under `max_load` (1-minute load average per CPU) and the machine is not on battery (where
psutil can tell), a background thread starts `vjepa train --resume` in its own process group at low
priority (`nice`). `touch()` stops a running training at once: SIGTERM to the group, SIGKILL after
`stop_grace` seconds, so it is gone within 2 s; the run resumes from its last checkpoint at the next
idle period. A promoted model (the subprocess promotes and re-embeds by itself) is announced through
`on_promoted(model_dir)`, called from the scheduler's thread.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil

from vjepa_core.model.encoder.locations import FINE_TUNE_RECORD, LOCAL_MODEL
from vjepa_core.swarm.coordinator import run_folder, swarm_dir
from vjepa_core.swarm.runfolder import read_json

# The scheduler's pid, given to the training it starts: a run in its own session outlives a server
# killed with SIGKILL, so it watches for that and stops itself (its checkpoint stays resumable).
PARENT_ENV = "VJEPA_PARENT_PID"


def stop_when_parent_dies(poll_s: float = 1.0) -> threading.Thread | None:
    """In a run started by the scheduler: a daemon thread that, once the scheduler's process is gone,
    sends SIGTERM to this run's process group: the same stop as `IdleScheduler.touch()`."""
    try:
        parent = int(os.environ.get(PARENT_ENV, ""))
    except ValueError:
        return None

    def alive() -> bool:
        try:
            return psutil.Process(parent).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def watch() -> None:
        while alive():
            time.sleep(poll_s)
        os.killpg(os.getpgrp(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="vjepa-parent-watch", daemon=True)
    thread.start()
    return thread


def on_battery() -> bool:
    """True only when psutil reports a battery that is not charging; False when it cannot tell."""
    try:
        battery = psutil.sensors_battery()
    except (AttributeError, NotImplementedError, OSError):
        return False
    return battery is not None and battery.power_plugged is False


def load_per_cpu() -> float:
    return os.getloadavg()[0] / (os.cpu_count() or 1)


class IdleScheduler:
    def __init__(self, root: str | os.PathLike[str], index_dir: str | os.PathLike[str], *,
                 idle_seconds: float = 120.0, max_load: float | None = 0.6, nice: int = 10,
                 train_args: Sequence[str] = (), stop_grace: float = 1.5, poll: float = 0.25,
                 on_promoted: Callable[[Path], None] | None = None,
                 on_state: Callable[[str], None] | None = None) -> None:
        self.root, self.index_dir = Path(root), Path(index_dir)
        self.idle_seconds, self.max_load, self.nice = idle_seconds, max_load, nice
        self.train_args, self.stop_grace, self.poll = list(train_args), stop_grace, poll
        self.on_promoted, self.on_state = on_promoted, on_state
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._last_edit = time.monotonic()
        run = run_folder(self.index_dir)
        status = run.status() if run.exists() else None
        self._pending = bool(status and status.get("state") != "done")  # an interrupted run to finish
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping_since: float | None = None
        self._state = "waiting"
        self.runs = 0
        self.last_exit: int | None = None
        self.last_reason = ""
        self._started_at = 0.0
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="vjepa-idle-training", daemon=True)
        self._thread.start()

    # --- the server's side ---
    def touch(self) -> None:
        """The user did something: restart the idle clock and stop a running training now."""
        with self._lock:
            self._last_edit = time.monotonic()
            self._pending = True
            if self._proc is not None and self._proc.poll() is None and self._stopping_since is None:
                self._signal(signal.SIGTERM)
                self._stopping_since = time.monotonic()
                self._set_state("stopping")
        self._wake.set()

    @property
    def state(self) -> str:
        """waiting | training | stopping | closed."""
        return self._state

    def status(self) -> dict[str, Any]:
        """For `vjepa/status`: the scheduler's state and the swarm run's status JSON."""
        from vjepa_core.swarm.dashboard import read_status

        return {"state": self._state, "idle_for_s": round(time.monotonic() - self._last_edit, 1),
                "runs": self.runs, "last_exit": self.last_exit, "reason": self.last_reason,
                "swarm": read_status(self.index_dir), "fine_tune": read_json(self.index_dir / FINE_TUNE_RECORD)}

    def close(self) -> None:
        """Stop any training and the thread."""
        with self._lock:
            self._closed = True
        self._wake.set()
        self._thread.join(timeout=self.stop_grace + 5)
        with self._lock:
            if self._proc is not None:
                self._signal(signal.SIGKILL)
                self._proc.wait()
                self._proc = None
            self._set_state("closed")

    # --- the thread ---
    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            if self.on_state is not None:
                self.on_state(state)

    def _signal(self, sig: int) -> None:
        assert self._proc is not None
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _why_not(self) -> str:
        """Why training should not start now ('' when it may)."""
        if not self._pending:
            return "nothing new to learn"
        if time.monotonic() - self._last_edit < self.idle_seconds:
            return "the user is active"
        if self.max_load is not None and load_per_cpu() > self.max_load:
            return "the machine is busy"
        if on_battery():
            return "on battery"
        return ""

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "vjepa_core.cli", "train", str(self.root), "--index-dir", str(self.index_dir),
               "--resume", "-q", *self.train_args]
        nice = shutil.which("nice")
        return [nice, "-n", str(self.nice), *cmd] if nice and self.nice else cmd

    def _start(self) -> None:
        with open(swarm_dir(self.index_dir) / "idle.log", "ab") as log:
            self._proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True,
                                          env={**os.environ, PARENT_ENV: str(os.getpid())})
        self.runs += 1
        self._started_at = time.time()
        self._set_state("training")

    def _finished(self, rc: int, stopped: bool) -> None:
        self._proc, self._stopping_since = None, None
        self.last_exit = rc
        if stopped:
            self.last_reason = "stopped: the user came back"
        elif rc == 0:
            self._pending = False
            self.last_reason = "finished"
            promotion = self._decision()
            if promotion.get("promote") and self.on_promoted is not None:
                self.on_promoted(self.index_dir / LOCAL_MODEL)
        else:
            self._pending = False  # do not retry a failing run in a loop; the next edit re-arms it
            self.last_reason = f"failed with exit code {rc} (see {swarm_dir(self.index_dir) / 'idle.log'})"
        self._set_state("waiting")

    def _decision(self) -> dict[str, Any]:
        """What the run that just ended decided: a swarm run's promotion, or the static encoder's
        fine-tune record (`vjepa train` on a workspace it serves), whichever this run wrote."""
        for path in (run_folder(self.index_dir).promotion_path, self.index_dir / FINE_TUNE_RECORD):
            try:
                fresh = path.stat().st_mtime >= self._started_at - 1
            except OSError:
                continue
            if fresh:
                return read_json(path) or {}
        return {}

    def _loop(self) -> None:
        swarm_dir(self.index_dir).mkdir(parents=True, exist_ok=True)
        while True:
            self._wake.wait(self.poll)
            self._wake.clear()
            with self._lock:
                if self._closed:
                    if self._proc is not None and self._proc.poll() is None:
                        self._signal(signal.SIGTERM)
                        try:
                            self._proc.wait(timeout=self.stop_grace)
                        except subprocess.TimeoutExpired:
                            self._signal(signal.SIGKILL)
                            self._proc.wait()
                    self._proc = None
                    return
                proc = self._proc
                if proc is not None:
                    rc = proc.poll()
                    if rc is None:
                        if self._stopping_since is not None and \
                                time.monotonic() - self._stopping_since > self.stop_grace:
                            self._signal(signal.SIGKILL)
                        continue
                    if self._stopping_since is not None:
                        self._signal(signal.SIGKILL)  # leave nothing of the group behind
                    self._finished(rc, self._stopping_since is not None)
                    continue
                why = self._why_not()
                if not why:
                    self._start()
