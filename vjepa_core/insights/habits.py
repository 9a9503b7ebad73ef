"""Work habits: ordered patterns over file roles, languages and folders ("tests after modules",
"Swift first, then Python"), each with its support, a sign test against the reverse order and
the commits or editor sessions that show it.

Sessions are per author: one person's commits close in time (interleaved commits of two people are
no one's habit). With one author the sentences speak to "you"; with several they speak about the
project and each habit says whose sessions show it. Examples quote only files that exist now,
by the name they have now (renames followed).
"""

from __future__ import annotations

import math
import posixpath
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from vjepa_core.harvest.history import Commit
from vjepa_core.harvest.languages import language_for
from vjepa_core.insights.people import People
from vjepa_core.insights.renames import current_names
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
EVIDENCE = 3  # examples kept per insight (the most recent ones)
EDITOR = "you (editor)"  # the author of editor events: whoever uses this editor


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
    authors: list[dict[str, Any]] = field(default_factory=list)  # whose sessions show it, most first


@dataclass
class _Step:
    time: float
    ref: str  # a commit sha, or "editor" for editor events
    paths: tuple[str, ...]  # the files it touched that exist now, by their names now
    gone: tuple[str, ...] = ()  # ... and those deleted since (their language and role still count)


@dataclass
class _Session:
    source: str  # "git" | "editor"
    author: str
    steps: list[_Step]


def _sessions(commits: Sequence[Commit], events: Sequence[tuple[float, str]], people: People | None = None,
              existing: Collection[str] | None = None) -> list[_Session]:
    """Work sessions, oldest first: per author, from git (one step per commit; bots left out) and from
    editor events (one step per event). Without `existing`, every path counts as existing."""
    by_sha = people.by_sha if people else {}
    names = current_names(commits, existing) if existing is not None else [{p: p for p in c.files} for c in commits]
    per_author: dict[str, list[_Step]] = defaultdict(list)
    for c, now in zip(commits, names):
        author = by_sha.get(c.sha, "?")
        if not c.files or author == "":  # "": a bot
            continue
        kept = tuple(sorted({p for p in now.values() if p}))
        gone = tuple(sorted(p for p, q in now.items() if not q))
        per_author[author].append(_Step(c.time, c.sha, kept, gone))
    per_author[EDITOR] = [_Step(t, "editor", (p,)) for t, p in sorted(events)]
    out: list[_Session] = []
    for author, steps in per_author.items():
        source = "editor" if author == EDITOR else "git"
        current: list[_Step] = []
        for step in steps:
            if current and step.time - current[-1].time > SESSION_GAP_S:
                out.append(_Session(source, author, current))
                current = []
            current.append(step)
        if current:
            out.append(_Session(source, author, current))
    return sorted(out, key=lambda s: (s.steps[0].time, s.author))


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


def _by_author(counts: Counter[str]) -> list[dict[str, Any]]:
    return [{"name": name, "support": n} for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def order_patterns(sessions: list[_Session], solo: bool = True) -> list[WorkPattern]:
    """For each facet, pairs (x, y) where x is first touched before y in significantly more sessions."""
    found: list[WorkPattern] = []
    for facet in ("language", "directory", "role"):
        wins: Counter[tuple[str, str]] = Counter()
        gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
        examples: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        who: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for session in sessions:
            first: dict[str, tuple[int, _Step]] = {}
            for i, step in enumerate(session.steps):
                # A folder is quoted only as it is now; a language or a role is the same whatever the name.
                paths = step.paths if facet == "directory" else step.paths + step.gone
                for p in paths:
                    v = _facet_values(p, facet)
                    if v is not None and v not in first:
                        first[v] = (i, step)
            for x, (ix, sx) in first.items():
                for y, (iy, sy) in first.items():
                    if ix < iy:
                        wins[(x, y)] += 1
                        gaps[(x, y)].append(sy.time - sx.time)
                        who[(x, y)][session.author] += 1
                        # Examples quote the files that show x and y and exist now; the newest win.
                        fx = [p for p in sx.paths if _facet_values(p, facet) == x][:3]
                        fy = [p for p in sy.paths if _facet_values(p, facet) == y][:3]
                        if fx and fy:
                            examples[(x, y)].append({"source": session.source, "first": sx.ref, "then": sy.ref,
                                                     "author": session.author, "first_files": fx,
                                                     "then_files": fy, "gap_s": sy.time - sx.time})
                            del examples[(x, y)][:-EVIDENCE]
        pairs = {tuple(sorted(k)) for k in wins}
        tried = max(1, sum(1 for a, b in pairs if wins[(a, b)] + wins[(b, a)] >= MIN_SUPPORT))
        for (x, y), w in sorted(wins.items()):
            against = wins[(y, x)]
            p = min(1.0, sign_test(w, against) * tried)
            if w >= MIN_SUPPORT and p <= ALPHA:
                gap = float(np.median(gaps[(x, y)]))
                key = "insights.pattern.order" if solo else "insights.pattern.order.team"
                sentence = text(key, first=_label(facet, x), then=_label(facet, y),
                                support=w, total=w + against, gap=humanize_seconds(gap))
                found.append(WorkPattern("order", facet, x, y, w, against, p, gap, sentence,
                                         examples[(x, y)][::-1], _by_author(who[(x, y)])))
    return found


def test_habits(commits: Sequence[Commit], people: People | None = None,
                existing: Collection[str] | None = None) -> list[WorkPattern]:
    """Whether tests are added after, with, or before the modules they test (name twins). Pairs whose
    files are gone count, but only pairs that exist now are quoted (newest first)."""
    by_sha = people.by_sha if people else {}
    solo = people.solo if people else True
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
    for path, i in added_at.items():
        if by_sha.get(commits[i].sha) == "":
            continue  # added by a bot: no one's habit
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
                "commits_between": abs(it - im), "gap_s": abs(lag_s), "index": it,
                "author": by_sha.get(commits[it].sha, "?")}
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
            sentence = text(key if solo else key + ".team", support=len(hits), total=total,
                            gap=humanize_seconds(gap), commits=commits_between)
            p = sign_test(len(hits), total - len(hits))
            quoted = [h for h in sorted(hits, key=lambda h: -h["index"])
                      if existing is None or (h["module"] in existing and h["test"] in existing)]
            evidence = [{k: v for k, v in h.items() if k != "index"} for h in quoted[:EVIDENCE]]
            found.append(WorkPattern(kind, "role", first, then, len(hits), total - len(hits), p, gap, sentence,
                                     evidence, _by_author(Counter(h["author"] for h in hits))))
    return found


def work_patterns(commits: Sequence[Commit], events: Sequence[tuple[float, str]] = (),
                  people: People | None = None, existing: Collection[str] | None = None) -> list[WorkPattern]:
    """All work patterns, strongest first. `events` are (unix seconds, path) editor events; `people`
    the history's authors (None: one person); `existing` the paths that exist now (None: all)."""
    solo = people.solo if people else True
    patterns = (test_habits(commits, people, existing)
                + order_patterns(_sessions(commits, events, people, existing), solo))
    return sorted(patterns, key=lambda p: (p.p_value, -p.support, p.facet, p.first, p.then))


def editor_events(store: Store) -> list[tuple[float, str]]:
    """(unix seconds, path) of the editor events that touch a file."""
    ev = store.read("events", ["time_ms", "path", "kind"]).to_pylist()
    return [(e["time_ms"] / 1000.0, e["path"]) for e in ev if e["kind"] in EVENT_KINDS and e["path"]]
