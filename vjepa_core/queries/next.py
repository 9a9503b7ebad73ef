"""Next-file predictions as hits: the fitted predictor's ranking of the indexed files after the
recent ones, each hit saying which file it follows."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from vjepa_core.queries.hits import Hit

if TYPE_CHECKING:
    from vjepa_core.harvest.history import Commit
    from vjepa_core.index.store import Store
    from vjepa_core.model.nextfile.runtime import NextFilePredictor


def alive_files(store: Store) -> set[str]:
    """The indexed files that were read ("ok"): the only candidates a prediction may name."""
    files = store.read("files", ["path", "status"])
    return {p for p, s in zip(files["path"].to_pylist(), files["status"].to_pylist()) if s == "ok"}


def next_after(predictor: NextFilePredictor, alive: set[str], recent: list[str], k: int = 10) -> list[Hit]:
    """The `k` files most likely touched after `recent` (oldest first, not empty); the latest of
    them is never its own successor."""
    ranked = predictor.rank(recent, recent[-1], alive - set(recent[-1:]), k)
    return [Hit(p, score, pattern, f"{words} (after {recent[-1]})") for p, score, pattern, words in ranked]


def next_after_each(predictor: NextFilePredictor, alive: set[str], paths: list[str],
                    k: int = 10) -> dict[str, list[Hit]]:
    """`next_after([p])` for each path, against the same predictor and file list."""
    return {p: next_after(predictor, alive, [p], k) for p in paths}


SESSION_GAP_MS = 30 * 60 * 1000  # a pause this long ends an editor session
SESSION_MAX_FILES = 30  # a bigger session is a sweep (a search and replace), like a bulk commit
SESSION_KINDS = ("open", "change", "save")


def editor_work(store: Store) -> list[tuple[int, list[str]]]:
    """The editor's sessions, oldest first: (when it ended, unix ms; the files worked on in it, in
    the order first touched). A session is a run of events with no pause over half an hour; it
    counts only the files it edited (changed or saved): a file merely glanced at is not work."""
    t = store.read("events", ["time_ms", "path", "kind"])
    rows = sorted(zip(t["time_ms"].to_pylist(), t["path"].to_pylist(), t["kind"].to_pylist()))
    out: list[tuple[int, list[str]]] = []
    session: dict[str, bool] = {}  # file -> edited in this session
    last = None

    def close() -> None:
        worked = [p for p, edited in session.items() if edited]
        if 2 <= len(worked) <= SESSION_MAX_FILES and last is not None:
            out.append((last, worked))
        session.clear()

    for t_ms, path, kind in rows:
        if not path or kind not in SESSION_KINDS:
            continue
        if last is not None and t_ms - last > SESSION_GAP_MS:
            close()
        last = t_ms
        session[path] = session.get(path, False) or kind != "open"
    close()
    return out


def editor_sessions(store: Store) -> tuple[dict[str, Counter[str]], dict[str, dict[str, int]]]:
    """The editor's own history as co-change (`editor_work`): for each file, the other files worked
    on in the same sessions, and in how many sessions; and when (unix seconds) each pair's last
    shared session ended."""
    out: defaultdict[str, Counter[str]] = defaultdict(Counter)
    when: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for end, worked in editor_work(store):
        for a in worked:
            out[a].update(b for b in worked if b != a)
            when[a].update((b, end // 1000) for b in worked if b != a)
    return dict(out), dict(when)


def session_commits(store: Store) -> list[Commit]:
    """The editor's sessions as commits (each worked-on file modified), oldest first: training
    examples for the temporal predictor beside the history's commits."""
    from vjepa_core.harvest.history import Commit

    return [Commit(f"editor-session-{end // 1000}", end // 1000, tuple(("M", p) for p in worked), ())
            for end, worked in editor_work(store)]
