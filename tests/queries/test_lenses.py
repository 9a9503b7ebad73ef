"""The lenses' ranker (issue 16): editor sessions teach it, it answers at once before a fit, and
Related finds a module's test and back. Real git repositories, a real crawl, the real fit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from vjepa_core.index.crawl import crawl
from vjepa_core.queries.lens import LensRanker, fit_running
from vjepa_core.queries.next import session_commits
from vjepa_core.workspace import EditorEvent, Workspace

HOUR_MS = 3600 * 1000


def _history(repo: GitRepo, rounds: int = 10) -> None:
    """a.py changes with c.py, b.py with d.py, each pair in its own commits; a.py and b.py never together."""
    for i in range(rounds):
        repo.commit(f"a {i}", {"pkg/a.py": f"A = {i}\n", "pkg/c.py": f"C = {i}\n"})
        repo.commit(f"b {i}", {"lib/b.py": f"B = {i}\n", "lib/d.py": f"D = {i}\n"})
        repo.commit(f"e {i}", {"pkg/e.py": f"E = {i}\n", "lib/f.py": f"F = {i}\n"})


def _fresh_index(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """_history's three rounds crawled, no fit yet, and fits in the background (not inline)."""
    monkeypatch.delenv("VJEPA_LENS_FIT")
    _history(repo, rounds=3)
    crawl(repo.path, tmp_path / "idx", history=True)
    return Workspace(repo.path, tmp_path / "idx")


def _sessions(ws: Workspace, n: int, start_ms: int) -> None:
    """n editor sessions, hours apart: a.py opened and edited, then b.py opened and edited."""
    events = []
    for s in range(n):
        t = start_ms + s * 3 * HOUR_MS
        for j, (path, kind) in enumerate([("pkg/a.py", "open"), ("pkg/a.py", "change"), ("pkg/a.py", "save"),
                                          ("lib/b.py", "open"), ("lib/b.py", "change"), ("lib/b.py", "save")]):
            events.append(EditorEvent(t + j * 60_000, path, kind, "test"))
    ws.log_events(events)


def test_a_habit_only_in_editor_sessions_shows_in_the_next_lens(git_repo: GitRepo, tmp_path: Path) -> None:
    _history(git_repo)
    crawl(git_repo.path, tmp_path / "idx", history=True)
    ws = Workspace(git_repo.path, tmp_path / "idx")
    # what the Next lens shows: the top file (the server fills its cache with k=1)
    before = ws.predict_next_many(["pkg/a.py"], k=1)["pkg/a.py"]
    assert [h.path for h in before] == ["pkg/c.py"]
    _sessions(ws, 12, int(time.time() * 1000))
    after = ws.predict_next_many(["pkg/a.py"], k=1)["pkg/a.py"]
    assert [h.path for h in after] == ["lib/b.py"], after
    assert "12 editor sessions" in after[0].detail
    # never committed together: the history alone still says nothing of the pair
    predictor, _ = ws.next_predictor()
    assert predictor is not None and predictor.state.co["pkg/a.py"]["lib/b.py"] == 0


def test_a_glance_is_not_work(git_repo: GitRepo, tmp_path: Path) -> None:
    # Sessions that only open b.py (never edit it) teach nothing.
    from vjepa_core.queries.next import editor_sessions

    _history(git_repo, rounds=2)
    crawl(git_repo.path, tmp_path / "idx", history=True)
    ws = Workspace(git_repo.path, tmp_path / "idx")
    now = int(time.time() * 1000)
    ws.log_events([EditorEvent(now + s * 3 * HOUR_MS + j, p, k, "test") for s in range(5)
                   for j, (p, k) in enumerate([("pkg/a.py", "save"), ("lib/b.py", "open")])])
    assert editor_sessions(ws.store) == ({}, {})


def test_related_finds_a_module_s_test_and_back(git_repo: GitRepo, tmp_path: Path) -> None:
    # A planted module/test pair among other files: each is in the other's top 3.
    for i in range(6):
        git_repo.commit(f"parse {i}", {"src/app/parser.py": f"def parse():\n    return {i}\n",
                                       "tests/test_parser.py": f"def test_parse():\n    assert {i}\n"})
        git_repo.commit(f"other {i}", {"src/app/render.py": f"def render():\n    return {i}\n",
                                       "src/app/cache.py": f"def cache():\n    return {i}\n",
                                       "docs/notes.md": f"# notes {i}\n"})
    crawl(git_repo.path, tmp_path / "idx", history=True)
    ws = Workspace(git_repo.path, tmp_path / "idx")
    ws.next_predictor(fit="now")
    assert "tests/test_parser.py" in [h.path for h in ws.related("src/app/parser.py", k=3)]
    back = ws.related("tests/test_parser.py", k=3)
    assert "src/app/parser.py" in [h.path for h in back]
    assert all(h.detail and h.reason in ("temporal", "spatial", "semantic") for h in back)


def test_the_first_answers_come_while_the_fit_runs(git_repo: GitRepo, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh index: `vjepa next` answers within 5 s of indexing, from the statistics, while the fit
    # runs in a child process; once it has landed, the answers come from the fitted ranker.
    monkeypatch.delenv("VJEPA_LENS_FIT")
    _history(git_repo, rounds=15)
    crawl(git_repo.path, tmp_path / "idx", history=True)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "vjepa_core.cli", "next", "--after", "pkg/a.py",
                          str(git_repo.path), "--index-dir", str(tmp_path / "idx"), "--json"],
                         check=False, capture_output=True, text=True, timeout=60)
    took = time.perf_counter() - t0
    assert out.returncode == 0, out.stderr
    assert '"pkg/c.py"' in out.stdout.split("\n", 3)[2]  # the first hit, from co-change
    assert took < 5.0, took
    assert "Learning from this history in the background" in out.stderr  # it says where the answer comes from
    ws = Workspace(git_repo.path, tmp_path / "idx")
    first = ws.predict_next(["pkg/a.py"], k=3)
    assert first[0].path == "pkg/c.py"
    deadline = time.time() + 240
    while (fit_running(tmp_path / "idx") or ws.lens.fitting()) and time.time() < deadline:
        time.sleep(0.5)
    assert (tmp_path / "idx" / "nextfile.safetensors").exists(), (tmp_path / "idx" / "nextfile.fit.log").read_text()
    predictor, _ = ws.next_predictor()
    assert predictor is not None and predictor.fitted is not None  # the fit landed and is used
    assert ws.predict_next(["pkg/a.py"], k=3)[0].path == "pkg/c.py"


def test_the_background_fit_gets_the_editor_sessions(git_repo: GitRepo, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # The fit's child process does not open the index's tables: the sessions, training examples
    # for its temporal predictor, are handed to it in a file beside the index.
    ws = _fresh_index(git_repo, tmp_path, monkeypatch)
    _sessions(ws, 3, int(time.time() * 1000))
    ws.next_predictor()  # no fit yet: the statistics answer and the fit starts in the background
    handed = LensRanker(git_repo.path, tmp_path / "idx")._handed_sessions()
    assert [[p for _, p in c.changes] for c in handed] == [["pkg/a.py", "lib/b.py"]] * 3
    assert handed == session_commits(ws.store)
    assert ws.lens.job is not None  # this process started the fit's child: wait for it to end
    ws.lens.job.wait(timeout=240)
    assert (tmp_path / "idx" / "nextfile.safetensors").exists(), (tmp_path / "idx" / "nextfile.fit.log").read_text()


def test_a_signal_that_does_not_help_steps_aside() -> None:
    # Synthetic fit queries: the positives differ from the rest only where `informative` says.
    import numpy as np

    from vjepa_core.model.nextfile.config import NextFileConfig
    from vjepa_core.model.nextfile.features import FEATURES
    from vjepa_core.model.nextfile.fit import choose_signals

    def data(informative: str | None) -> list[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(0)
        out = []
        for _ in range(200):
            rows = rng.normal(size=(20, len(FEATURES))).astype(np.float32)
            rows[:, FEATURES.index("imports")] = 0.0
            rows[:, FEATURES.index("similar")] = 0.0
            rows[:, FEATURES.index("model_cos")] = -1.0  # the model scored nothing
            y = np.zeros(20, np.float32)
            y[rng.integers(20)] = 1.0
            if informative:
                rows[y > 0, FEATURES.index(informative)] = 1.0
            out.append((rows, y))
        return out

    cfg = NextFileConfig(ranker_steps=150)
    assert choose_signals(cfg, data(None), 0, lambda _: None) == ("content", "model")
    assert "content" not in choose_signals(cfg, data("imports"), 0, lambda _: None)


def test_answers_asked_at_once_from_many_threads_start_one_fit(git_repo: GitRepo, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The MCP server answers tools on worker threads: answers asked at once of one workspace all
    # come back, and one background fit starts (two at once once raced on the sessions file).
    ws = _fresh_index(git_repo, tmp_path, monkeypatch)
    ws.store  # noqa: B018 - opened here: the threads race on the lens, not on opening the index
    start = threading.Barrier(8)

    def ask(_: int) -> str:
        start.wait()
        return ws.predict_next(["pkg/a.py"], k=3)[0].path

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(ask, range(8))) == ["pkg/c.py"] * 8
    assert ws.lens.job is not None
    ws.lens.job.wait(timeout=240)
    assert (tmp_path / "idx" / "nextfile.safetensors").exists(), (tmp_path / "idx" / "nextfile.fit.log").read_text()
    assert not list((tmp_path / "idx").glob(".nextfile.sessions.json.*"))  # no half-written hand-over left
