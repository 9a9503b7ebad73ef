"""Work habits: ordered patterns over file roles, languages and folders ("tests after modules",
"Swift first, then Python"), each with its support, a sign test against the reverse order and
the commits or editor sessions that show it."""

from __future__ import annotations

import math
import posixpath
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from vjepa_core.harvest.history import Commit
from vjepa_core.harvest.languages import language_for
from vjepa_core.insights.roles import ROLE_LABEL, ROLE_MODULE, ROLE_OTHER, ROLE_TEST, file_role, language_name
from vjepa_core.messages import text
from vjepa_core.paths import subject_stem

if TYPE_CHECKING:
    from vjepa_core.index.store import Store

SESSION_GAP_S = 3 * 3600  # a pause longer than this starts a new work session
EVENT_KINDS = ("open", "save", "change")  # editor events that count as touching a file
MIN_SUPPORT = 4  # sessions (or module/test pairs) before something is called a habit
ALPHA = 0.05  # sign-test level, Bonferroni-corrected over the pairs tried per facet
HABIT_SHARE = 0.6  # share of module/test pairs that must follow the habit
TEST_LAG_COMMITS = 20  # a test added this many commits after its module still counts as "after"
TEST_LAG_S = 14 * 86400  # ... or within this many seconds
EVIDENCE = 3  # examples kept per insight


def humanize_seconds(seconds: float) -> str:
    if seconds < 90:
        return "a minute"
    if seconds < 3600:
        return f"{round(seconds / 60)} minutes"
    if seconds < 1.5 * 3600:
        return "an hour"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} hours"
    if seconds < 1.5 * 86400:
        return "a day"
    return f"{round(seconds / 86400)} days"


def sign_test(wins: int, losses: int) -> float:
    """One-sided p-value of seeing at least `wins` of wins+losses under a fair coin."""
    n = wins + losses
    if n == 0:
        return 1.0
    return sum(math.comb(n, i) for i in range(wins, n + 1)) / 2 ** n


@dataclass
class WorkPattern:
    kind: str  # "test_after_module" | "test_before_module" | "order"
    facet: str  # "role" | "language" | "directory"
    first: str
    then: str
    support: int  # sessions (or module/test pairs) that follow the pattern
    against: int  # ... that go the other way round (or, for tests, come together or the other way)
    p_value: float
    typical_gap_s: float  # median time from the first to the then
    sentence: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Step:
    time: float
    ref: str  # a commit sha, or "editor" for editor events
    paths: tuple[str, ...]


def _sessions(commits: Sequence[Commit], events: Sequence[tuple[float, str]]) -> list[tuple[str, list[_Step]]]:
    """Work sessions, from git (one step per commit) and from editor events (one step per event)."""
    out: list[tuple[str, list[_Step]]] = []
    git_steps = [_Step(c.time, c.sha, tuple(sorted(c.files))) for c in commits if c.files]
    ev_steps = [_Step(t, "editor", (p,)) for t, p in sorted(events)]
    for source, steps in (("git", git_steps), ("editor", ev_steps)):
        current: list[_Step] = []
        for step in steps:
            if current and step.time - current[-1].time > SESSION_GAP_S:
                out.append((source, current))
                current = []
            current.append(step)
        if current:
            out.append((source, current))
    return out


def _facet_values(path: str, facet: str) -> str | None:
    if facet == "language":
        lang = language_for(path)
        return None if lang in (None, "markdown") else lang
    if facet == "directory":
        return path.split("/", 1)[0] + "/" if "/" in path else None
    role = file_role(path)
    return None if role == ROLE_OTHER else role


def _label(facet: str, value: str) -> str:
    if facet == "language":
        return language_name(value)
    if facet == "role":
        return ROLE_LABEL.get(value, value)
    return value


def order_patterns(sessions: list[tuple[str, list[_Step]]]) -> list[WorkPattern]:
    """For each facet, pairs (x, y) where x is first touched before y in significantly more sessions."""
    found: list[WorkPattern] = []
    for facet in ("language", "directory", "role"):
        wins: Counter[tuple[str, str]] = Counter()
        gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
        examples: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for source, steps in sessions:
            first: dict[str, tuple[int, _Step]] = {}
            for i, step in enumerate(steps):
                for p in step.paths:
                    v = _facet_values(p, facet)
                    if v is not None and v not in first:
                        first[v] = (i, step)
            for x, (ix, sx) in first.items():
                for y, (iy, sy) in first.items():
                    if ix < iy:
                        wins[(x, y)] += 1
                        gaps[(x, y)].append(sy.time - sx.time)
                        if len(examples[(x, y)]) < EVIDENCE:
                            examples[(x, y)].append({"source": source, "first": sx.ref, "then": sy.ref,
                                                     "first_files": list(sx.paths[:3]),
                                                     "then_files": list(sy.paths[:3]),
                                                     "gap_s": sy.time - sx.time})
        pairs = {tuple(sorted(k)) for k in wins}
        tried = max(1, sum(1 for a, b in pairs if wins[(a, b)] + wins[(b, a)] >= MIN_SUPPORT))
        for (x, y), w in sorted(wins.items()):
            against = wins[(y, x)]
            p = min(1.0, sign_test(w, against) * tried)
            if w >= MIN_SUPPORT and p <= ALPHA:
                gap = float(np.median(gaps[(x, y)]))
                sentence = text("insights.pattern.order", first=_label(facet, x), then=_label(facet, y),
                                support=w, total=w + against, gap=humanize_seconds(gap))
                found.append(WorkPattern("order", facet, x, y, w, against, p, gap, sentence, examples[(x, y)]))
    return found


def test_habits(commits: Sequence[Commit]) -> list[WorkPattern]:
    """Whether tests are added after, with, or before the modules they test (name twins)."""
    added_at: dict[str, int] = {}  # path -> index of the commit that added it (renames follow)
    for i, c in enumerate(commits):
        for old, new in c.renames:
            if old in added_at:
                added_at[new] = added_at.pop(old)
        for status, path in c.changes:
            if status == "A" and path not in added_at:
                added_at[path] = i
    modules: dict[str, list[str]] = defaultdict(list)
    tests: list[str] = []
    for path in added_at:
        role = file_role(path)
        if role == ROLE_MODULE:
            modules[subject_stem(path)].append(path)
        elif role == ROLE_TEST:
            tests.append(path)
    after, before, together = [], [], 0
    for t in tests:
        candidates = [m for m in modules.get(subject_stem(t), [])
                      if posixpath.splitext(m)[1] == posixpath.splitext(t)[1]]
        if len(candidates) != 1:
            continue  # no twin, or ambiguous
        m = candidates[0]
        im, it = added_at[m], added_at[t]
        lag_s = commits[it].time - commits[im].time
        pair = {"module": m, "test": t, "module_commit": commits[im].sha, "test_commit": commits[it].sha,
                "commits_between": abs(it - im), "gap_s": abs(lag_s)}
        if it == im:
            together += 1
        elif it > im and (it - im <= TEST_LAG_COMMITS or lag_s <= TEST_LAG_S):
            after.append(pair)
        elif it < im:
            before.append(pair)
    total = len(after) + len(before) + together
    found = []
    for kind, hits, first, then in (("test_after_module", after, ROLE_MODULE, ROLE_TEST),
                                    ("test_before_module", before, ROLE_TEST, ROLE_MODULE)):
        if len(hits) >= MIN_SUPPORT and len(hits) >= HABIT_SHARE * total:
            gap = float(np.median([h["gap_s"] for h in hits]))
            n = int(np.median([h["commits_between"] for h in hits]))
            commits_between = f"{n} commit{'s' if n != 1 else ''}"
            key = "insights.pattern.test_after" if kind == "test_after_module" else "insights.pattern.test_first"
            sentence = text(key, support=len(hits), total=total, gap=humanize_seconds(gap),
                            commits=commits_between)
            p = sign_test(len(hits), total - len(hits))
            found.append(WorkPattern(kind, "role", first, then, len(hits), total - len(hits), p, gap, sentence,
                                     hits[:EVIDENCE]))
    return found


def work_patterns(commits: Sequence[Commit], events: Sequence[tuple[float, str]] = ()) -> list[WorkPattern]:
    """All work patterns, strongest first. `events` are (unix seconds, path) editor events."""
    patterns = test_habits(commits) + order_patterns(_sessions(commits, events))
    return sorted(patterns, key=lambda p: (p.p_value, -p.support, p.facet, p.first, p.then))


def editor_events(store: Store) -> list[tuple[float, str]]:
    """(unix seconds, path) of the editor events that touch a file."""
    ev = store.read("events", ["time_ms", "path", "kind"]).to_pylist()
    return [(e["time_ms"] / 1000.0, e["path"]) for e in ev if e["kind"] in EVENT_KINDS and e["path"]]
