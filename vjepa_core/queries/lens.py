"""The ranker behind both lenses, kept across calls, and its fit off the critical path.

`LensRanker.get` gives the next-file predictor for a history: this process's fit, else one saved
in the index folder for the same past (caught up with newer commits: its statistics learn them
online), else, when a fit is wanted, one of two things:
- `fit="now"`: fit here and save (the benchmark, tests, `vjepa train`);
- `fit="background"`: start the fit in a low-priority child process (`python -m
  vjepa_core.queries.lens_fit`) and answer at once from the statistics alone (co-change with the
  editor's sessions, then recency: `NextFilePredictor.rank` before a fit); the next call after the
  child saved its fit picks it up. At most one fit runs per index (a lock the child holds).

A fit is redone when the history was rewritten or has grown by a quarter since.
`VJEPA_LENS_FIT=now` in the environment makes every background fit an inline one (scripts that
want the fitted answer, and tests that are not about the wait).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from vjepa_core.model.encoder.locations import NEXT_PREDICTOR_FILE
from vjepa_core.model.nextfile.runtime import NextFilePredictor
from vjepa_core.queries.next import editor_sessions, session_commits
from vjepa_core.queries.related import content_links

if TYPE_CHECKING:
    from collections.abc import Callable

    from vjepa_core.harvest.history import Commit
    from vjepa_core.index.store import Store
    from vjepa_core.model.nextfile.features import Links

FIT_LOCK = "nextfile.fit.lock"  # held by the child process while it fits
FIT_LOG = "nextfile.fit.log"  # what the child said, for `vjepa status` and bug reports
FIT_SESSIONS = "nextfile.sessions.json"  # the editor's sessions, handed to the child for its fit
Fit = Literal["now", "background", "never"]
ENV_FIT = "VJEPA_LENS_FIT"


def fit_running(index_dir: Path) -> bool:
    """Whether a background fit holds this index's fit lock now."""
    path = Path(index_dir) / FIT_LOCK
    if not path.exists():
        return False
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


class LensRanker:
    """One workspace's next-file predictor, kept in memory across calls."""

    def __init__(self, root: Path, index_dir: Path) -> None:
        self.root, self.index_dir = Path(root), Path(index_dir)
        self.predictor: NextFilePredictor | None = None
        self.seen: list[Commit] = []  # the commits it has seen
        self.fitted_on = 0
        self.job: subprocess.Popen[bytes] | None = None  # this process's background fit, if any
        self.pending = False  # the last answer came from statistics while a fit was still to come
        self.failed = False  # a background fit of this process's failed (see the fit log): not retried
        # One caller at a time: the MCP server answers tools on worker threads, and an answer moves
        # the statistics on and may start the fit (two at once raced on the sessions file).
        self._lock = threading.RLock()

    @property
    def saved(self) -> Path:
        return self.index_dir / NEXT_PREDICTOR_FILE

    def forget(self) -> None:
        """Drop the fit in memory: the next call loads what is saved (after a background fit)."""
        self.predictor, self.seen, self.fitted_on = None, [], 0

    def fitting(self) -> bool:
        """Whether a background fit for this index is still running."""
        if self.job is not None and self.job.poll() is None:
            return True
        if self.job is not None and self.job.returncode != 0:
            self.failed = True
        self.job = None
        return fit_running(self.index_dir)

    def get(self, commits: list[Commit], store: Store | None, *, fit: Fit) -> NextFilePredictor | None:
        """The predictor for `commits` (None without history, or with `fit="never"` and no fit at
        hand), reading the index's imports and similarity and the editor's sessions from `store`
        (None: no index yet)."""
        links = content_links(store) if store is not None else {}
        with self._lock:
            predictor = self._get(commits, links, fit, (lambda: session_commits(store)) if store is not None else None)
            if predictor is not None:
                predictor.sessions, predictor.session_time = editor_sessions(store) if store is not None else ({}, {})
            return predictor

    def fit_now(self, commits: list[Commit], links: Links) -> NextFilePredictor | None:
        """Fit here on `commits` with these `links` (the background fit's child, which reads them
        from the links file), with the sessions its parent handed over, and save the fit."""
        with self._lock:
            return self._get(commits, links, "now")

    def _get(self, commits: list[Commit], links: Links, fit: Fit,
             sessions: Callable[[], list[Commit]] | None = None) -> NextFilePredictor | None:
        """As `get`, with the links at hand; `sessions` gives the editor's sessions as commits for a
        fit (None: those the parent left for a background fit, if any)."""
        self.pending = False
        if fit == "background" and os.environ.get(ENV_FIT) == "now":
            fit = "now"
        if not commits:
            self.forget()
            return None
        if self.predictor is None or (self.predictor.fitted is None and not self.fitting()):
            loaded = NextFilePredictor.load(self.saved, commits)  # a fit kept by an earlier process
            if loaded is not None:
                self.predictor, self.fitted_on, self.seen = loaded, loaded.fitted_count, commits
        seen = self.seen
        fitted = self.predictor is not None and self.predictor.fitted is not None
        same_past = self.predictor is not None and len(seen) <= len(commits) and \
            all(a.sha == b.sha for a, b in zip(seen[-50:], commits[len(seen) - len(seen[-50:]):len(seen)]))
        refit = not fitted or not same_past or len(commits) - self.fitted_on > max(25, self.fitted_on // 4)
        if refit and fit == "now":
            self.predictor = NextFilePredictor().fit(commits, links=links,
                                                     sessions=sessions() if sessions else self._handed_sessions())
            self.fitted_on, self.seen = len(commits), commits
            try:
                self.predictor.save(self.saved)
            except OSError:
                pass  # the fit still serves this process; the next one fits again
            self.predictor.links = links
            return self.predictor
        if refit and fit == "background" and not self.fitting() and not self.failed:
            self._start_fit(sessions() if sessions else [])
        if fit == "never" and not (fitted and same_past):
            return None
        if not same_past:  # nothing for this past yet: the statistics answer meanwhile
            self.predictor, self.seen, self.fitted_on = NextFilePredictor.statistics(commits), commits, 0
        else:
            assert self.predictor is not None
            for c in commits[len(seen):]:  # online: the statistics learn each new commit
                self.predictor.state.apply(c)
                self.predictor.aux.apply(c)
            self.seen = commits
        self.pending = refit and fit == "background" and not self.failed
        self.predictor.links = links
        return self.predictor

    def _handed_sessions(self) -> list[Commit]:
        """The sessions `_start_fit` left for this fit (none when absent or unreadable)."""
        import json

        from vjepa_core.harvest.history import Commit

        try:
            rows = json.loads((self.index_dir / FIT_SESSIONS).read_text())
            return [Commit(f"editor-session-{int(t)}", int(t), tuple(("M", str(p)) for p in files), ())
                    for t, files in rows]
        except (OSError, ValueError, TypeError):
            return []

    def last_fit_seconds(self) -> float | None:
        """How long this index's last fit took (from the saved fit's header), to tell the time left."""
        import json

        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(self.saved), framework="numpy") as fh:
                return float(json.loads((fh.metadata() or {})["pipeline"])["seconds"]) or None
        except (OSError, SafetensorError, ValueError, KeyError, TypeError):
            return None

    def stop(self) -> None:
        """End this process's background fit, if one runs (the server at shutdown: a fit is not
        left running once the editor has closed; the next start fits again)."""
        import signal

        if self.job is not None and self.job.poll() is None:
            try:
                os.killpg(self.job.pid, signal.SIGTERM)
                self.job.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.job.kill()
        self.job = None

    def _start_fit(self, sessions: list[Commit]) -> None:
        """The fit in a child process at low priority; what it says goes to the fit log. The
        editor's sessions go to it in a file (it does not open the index's tables)."""
        import json

        self.index_dir.mkdir(parents=True, exist_ok=True)
        path = self.index_dir / FIT_SESSIONS
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps([[c.time, [p for _, p in c.changes]] for c in sessions]))
        os.replace(tmp, path)
        with open(self.index_dir / FIT_LOG, "ab") as log:
            self.job = subprocess.Popen(
                [sys.executable, "-m", "vjepa_core.queries.lens_fit", str(self.root), str(self.index_dir)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
