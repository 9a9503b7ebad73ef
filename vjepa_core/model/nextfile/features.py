"""The fusion's inputs: each query's candidates and their feature rows.

Candidates are the union of each signal's top N; features are co-change, recency, spatial and the
model's, in FEATURE_GROUPS. `AuxStats` keeps what the ranker reads beyond `HistoryState`.
"""

from __future__ import annotations

import math
import posixpath
from collections import Counter, defaultdict, deque
from collections.abc import Iterator, Mapping
from dataclasses import replace

import numpy as np

from vjepa_core.harvest.history import Commit
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.context import RecentWindow, model_context
from vjepa_core.model.nextfile.frames import core_stem
from vjepa_core.model.nextfile.predictor import TrainedPredictor
from vjepa_core.paths import is_test_path
from vjepa_core.patterns.cochange import HistoryState, Query, iter_queries
from vjepa_core.patterns.temporal import MAX_FILES

FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "cochange": ("co_log", "conf", "conf_rev", "co_rank", "cr_rank", "co_gap", "freq_log", "ctx_conf",
                 "q_freq_log", "lin_co_log", "lin_conf", "wco_log", "wconf", "dec3", "dec10", "dec30", "wdec10"),
    "recency": ("rec_rank", "in_recent", "since_log", "in_last_commit", "share100", "share300", "drift"),
    "spatial": ("same_dir", "path_dist", "twin", "same_ext", "test_mix"),
    "content": ("imports", "similar"),
    "model": ("model_cos", "model_rank"),
}
FEATURES: tuple[str, ...] = tuple(f for g in FEATURE_GROUPS.values() for f in g)

# What the index knows of a file's content: other file -> (imports either way 0/1, encoder cosine or 0).
Links = Mapping[str, Mapping[str, tuple[float, float]]]


OWN_COMMITS = 100  # a file's latest commits kept for the decayed co-change
SHARE_WINDOWS = (100, 300)  # the history's latest commits over which a file's share of the work is counted


class AuxStats:
    """Statistics HistoryState does not keep: last touch time, last shared commit, last commits,
    co-change weighted by commit size, and each file's own latest commits (for co-change that
    fades with the file's later commits: who it changes with lately)."""

    def __init__(self, k: int) -> None:
        self.last: dict[str, int] = {}
        self.co_last: defaultdict[str, dict[str, int]] = defaultdict(dict)
        self.last_commits: list[frozenset[str]] = []
        self.ctx = RecentWindow(k)
        # Co-change that follows renames: a file's lineage is the path it was first known by, so a
        # moved file keeps what its history says (the baselines, by the protocol, start it afresh).
        self.lineage: dict[str, str] = {}
        self.lin_co: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.lin_freq: Counter[str] = Counter()
        # A commit of n files adds 1/(n-1) to each pair: a sweep across many files says less.
        self.wco: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.own: defaultdict[str, list[frozenset[str]]] = defaultdict(list)  # oldest first
        # Each file's share of the latest commits beside its share of all of them: which files the
        # work has moved to or away from (drift between the fit's period and now).
        self.window: deque[frozenset[str]] = deque(maxlen=SHARE_WINDOWS[-1])
        self.in_window: tuple[Counter[str], ...] = tuple(Counter() for _ in SHARE_WINDOWS)
        self.commits = 0  # commits of 1..MAX_FILES files seen

    def key(self, path: str) -> str:
        return self.lineage.get(path, path)

    def fork(self) -> AuxStats:
        """A copy whose window and last commits can take pseudo-commits (editor activity)."""
        out = AuxStats(self.ctx.k)
        out.last, out.co_last, out.last_commits = self.last, self.co_last, list(self.last_commits)
        out.lineage, out.lin_co, out.lin_freq = self.lineage, self.lin_co, self.lin_freq
        out.wco, out.own = self.wco, self.own
        out.window, out.in_window, out.commits = self.window, self.in_window, self.commits
        out.ctx = replace(self.ctx, events=list(self.ctx.events))
        return out

    def apply(self, c: Commit) -> None:
        files = sorted(c.files)
        before = {old: self.key(old) for old, _ in c.renames}
        for old, new in c.renames:
            self.lineage[new] = before[old]
        # A path added anew (not a rename's target) after it was known names another file: its own
        # lineage, as temporal.cochange has it (flask renamed app.py away, then added a new app.py).
        moved_to = {new for _, new in c.renames}
        for s, p in c.changes:
            if s == "A" and p not in moved_to and (p in self.last or p in self.lineage):
                self.lineage[p] = f"{p}@{c.sha}"
        for p in files:
            self.last[p] = c.time
        if len(files) <= MAX_FILES:
            keys = sorted({self.key(p) for p in files})
            for a in keys:
                self.lin_freq[a] += 1
                for b in keys:
                    if a != b:
                        self.lin_co[a][b] += 1
            for f in files:
                d = self.co_last[f]
                for g in files:
                    if g != f:
                        d[g] = c.time
            together = frozenset(files)
            if files:
                self._slide(together)
            w = 1.0 / max(len(files) - 1, 1)
            for f in files:
                self.wco[f].update({g: w for g in files if g != f})
                own = self.own[f]
                own.append(together)
                if len(own) > 2 * OWN_COMMITS:
                    del own[:-OWN_COMMITS]
        if files:
            self.last_commits = [*self.last_commits[-1:], frozenset(files)]
        self.ctx.apply(c)

    def _slide(self, files: frozenset[str]) -> None:
        self.commits += 1
        for n, counts in zip(SHARE_WINDOWS, self.in_window):
            if len(self.window) >= n:
                counts.subtract(self.window[-n])
        self.window.append(files)
        for counts in self.in_window:
            counts.update(files)

    def shares(self, g: str, freq: int) -> tuple[float, float, float]:
        """g's share of the latest 100 and 300 commits, and log of the first over its all-time share
        (`freq`: the commits that touched g)."""
        n = max(self.commits, 1)
        recent = [c[g] / min(n, w) for w, c in zip(SHARE_WINDOWS, self.in_window)]
        return recent[0], recent[1], math.log((recent[0] + 0.01) / (freq / n + 0.01))


def decayed_cochange(own: list[frozenset[str]]) -> dict[str, tuple[float, float, float, float]]:
    """Per partner: co-changes over the file's own latest commits, each worth 2^(-j/h) for the
    j-th newest (h = 3, 10, 30), and the h = 10 one divided by the commit's other files; log1p."""
    acc: defaultdict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for j, files in enumerate(reversed(own[-OWN_COMMITS:])):
        w3, w10, w30 = 0.5 ** (j / 3), 0.5 ** (j / 10), 0.5 ** (j / 30)
        share = w10 / max(len(files) - 1, 1)
        for g in files:
            a = acc[g]
            a[0] += w3
            a[1] += w10
            a[2] += w30
            a[3] += share
    return {g: (math.log1p(a[0]), math.log1p(a[1]), math.log1p(a[2]), math.log1p(a[3])) for g, a in acc.items()}


def _with_sessions(dec: tuple[float, float, float, float] | None, n: int, shift: int
                   ) -> tuple[float, float, float, float]:
    """A partner's decayed co-change once the file's editor sessions (`shift` of them, `n` with
    this partner) are its newest work: its commits count as `shift` steps older, the sessions
    with the partner as the newest."""
    out = []
    for i, h in enumerate((3, 10, 30, 10)):
        had = math.expm1(dec[i]) * 0.5 ** (shift / h) if dec else 0.0
        out.append(math.log1p(had + sum(0.5 ** (j / h) for j in range(min(n, OWN_COMMITS)))))
    return out[0], out[1], out[2], out[3]


def candidate_features(q: Query, st: HistoryState, aux: AuxStats, model: TrainedPredictor | None,
                        cfg: NextFileConfig, links: Links | None = None,
                        sessions: Counter[str] | None = None, session_time: Mapping[str, int] | None = None,
                        ) -> tuple[list[str], np.ndarray, list[str]]:
    """Candidates (union of each signal's top N) and their feature rows; also the model ranking.

    `links`: the index's imports and content similarity. `sessions`: how many editor sessions
    touched each file with the query's, counted as co-changes (the editor's own history), and
    `session_time` when the last of them ended (unix seconds), as a co-change's time."""
    f = q.file
    co = st.co.get(f, Counter())
    f_freq = st.freq[f]
    if sessions:
        co = co + sessions
        f_freq += max(sessions.values())
        co_rank = sorted((g for g in co if g in st.alive and g != f), key=lambda g: (-co[g], -st.freq[g], g))
    else:
        co_rank = st.rank_cochange(f)
    rec_rank = st.rank_recency(f)
    n = cfg.candidates
    cands: dict[str, None] = dict.fromkeys(co_rank[: 2 * n])
    cands.update(dict.fromkeys(rec_rank[:n]))
    cands.update(dict.fromkeys(st.rank_same_dir(f)[: n // 2]))
    # Files changed with the last commits' files: the working set's co-change.
    ctx_conf: Counter[str] = Counter()
    for files in aux.last_commits:
        for r in files:
            if r == f or st.freq[r] == 0:
                continue
            for g, c in st.co.get(r, Counter()).items():
                ctx_conf[g] += c / st.freq[r]
    cands.update(dict.fromkeys(g for g, _ in ctx_conf.most_common(n) if g in q.alive and g != f))
    fkey = aux.key(f)
    lin = aux.lin_co.get(fkey, Counter())
    lin_freq = aux.lin_freq[fkey]
    if sessions:  # the editor's sessions count along the lineage too
        lin = lin + Counter({aux.key(g): c for g, c in sessions.items()})
        lin_freq += max(sessions.values())
    if lin:
        by_key = {aux.key(g): g for g in q.alive}
        cands.update(dict.fromkeys(by_key[k] for k, _ in lin.most_common(2 * n) if k in by_key))
    stem = core_stem(f)
    twins = [g for g in q.alive if g != f and core_stem(g) == stem]
    cands.update(dict.fromkeys(twins[:5]))
    mine = links.get(f, {}) if links else {}
    if mine:
        near = sorted(mine, key=lambda g: (-mine[g][0], -mine[g][1], g))
        cands.update(dict.fromkeys(g for g in near[: n // 2] if g in q.alive))
    model_ranking: list[str] = []
    model_score: dict[str, float] = {}
    model_pos: dict[str, int] = {}
    if model is not None:
        alive = sorted(q.alive - {f})
        seq = model_context(aux.ctx.window(q.time, f), st.co.get(f), st.freq, f, q.alive, cfg)
        sc = model.scores(f, seq, alive)
        order = np.lexsort((np.arange(len(alive)), -sc))
        model_ranking = [alive[i] for i in order]
        model_score = {alive[i]: float(sc[i]) for i in order[: 4 * n]}
        model_pos = {p: i for i, p in enumerate(model_ranking[: 4 * n])}
        cands.update(dict.fromkeys(model_ranking[:n]))
    cands.pop(f, None)
    names = [g for g in cands if g in q.alive]
    co_pos = {g: i for i, g in enumerate(co_rank)}
    rec_pos = {g: i for i, g in enumerate(rec_rank)}
    fdir, fext, ftest = posixpath.dirname(f), posixpath.splitext(f)[1], is_test_path(f)
    fparts = f.split("/")[:-1]
    last = aux.last_commits[-1] if aux.last_commits else frozenset()
    co_last = aux.co_last.get(f, {})
    if session_time:
        co_last = {**co_last, **{g: max(t, co_last.get(g, t)) for g, t in session_time.items()}}
    q_freq = math.log1p(f_freq)  # how much history the query has: when to trust the model
    wco = aux.wco.get(f, Counter())
    decayed = decayed_cochange(aux.own.get(f, []))
    if sessions:  # the editor's sessions are the newest work: each as a two-file commit
        wco = wco + Counter({g: float(n) for g, n in sessions.items()})
        shift = max(sessions.values())  # the file's commits are that many sessions older now
        decayed = {g: _with_sessions(decayed.get(g), sessions.get(g, 0), shift) for g in {*decayed, *sessions}}
    w_total = sum(wco.values()) or 1.0
    no_decay = (0.0, 0.0, 0.0, 0.0)
    rows = np.zeros((len(names), len(FEATURES)), np.float32)
    for i, g in enumerate(names):
        c = co.get(g, 0)
        gparts = g.split("/")[:-1]
        common = 0
        for a, b in zip(fparts, gparts):
            if a != b:
                break
            common += 1
        hours_co = (q.time - co_last[g]) / 3600 if g in co_last else None
        since = (q.time - aux.last[g]) / 3600 if g in aux.last else 1e5
        rows[i] = (
            math.log1p(c), min(c / f_freq, 1.0) if f_freq else 0.0, min(c / st.freq[g], 1.0) if st.freq[g] else 0.0,
            1.0 / (1 + co_pos[g]) if g in co_pos else 0.0,
            1.0 / (1 + co_pos[g]) if g in co_pos else 1.0 / (1 + len(co_pos) + rec_pos.get(g, 99)),
            1.0 / (1 + math.log1p(max(hours_co, 0))) if hours_co is not None else 0.0,
            math.log1p(st.freq[g]), ctx_conf.get(g, 0.0), q_freq,
            math.log1p(lin.get(aux.key(g), 0)), min(lin.get(aux.key(g), 0) / lin_freq, 1.0) if lin_freq else 0.0,
            math.log1p(wco.get(g, 0.0)), wco.get(g, 0.0) / w_total, *decayed.get(g, no_decay),
            1.0 / (1 + rec_pos[g]) if g in rec_pos else 0.0, float(g in rec_pos),
            math.log1p(max(since, 0)) / 10, float(g in last), *aux.shares(g, st.freq[g]),
            float(posixpath.dirname(g) == fdir), (len(fparts) + len(gparts) - 2 * common) / 4,
            float(core_stem(g) == stem), float(posixpath.splitext(g)[1] == fext),
            float(is_test_path(g) != ftest),
            *mine.get(g, (0.0, 0.0)),
            model_score.get(g, -1.0), 1.0 / (1 + model_pos[g]) if g in model_pos else 0.0,
        )
    return names, rows, model_ranking


def query_rows(commits: list[Commit], model: TrainedPredictor | None, cfg: NextFileConfig,
               links: Links | None = None, start: float | None = None, scored_from: int = 0,
               ) -> Iterator[tuple[Query, HistoryState, list[str], np.ndarray, list[str]]]:
    """Walk iter_queries on `commits`, yielding (query, state, names, rows, model ranking).

    `start`: the queries of the commits from this fraction of `commits` on instead of the protocol's
    last 20%; `model` scores only the queries of commits from index `scored_from` on."""
    aux = AuxStats(cfg.context)
    applied = 0
    walk = iter_queries(commits) if start is None else _queries_from(commits, int(len(commits) * start))
    for q, st in walk:
        while applied < q.commit_index:
            aux.apply(commits[applied])
            applied += 1
        names, rows, mranking = candidate_features(q, st, aux, model if q.commit_index >= scored_from else None,
                                                   cfg, links)
        yield q, st, names, rows, mranking


def _queries_from(commits: list[Commit], first: int) -> Iterator[tuple[Query, HistoryState]]:
    """`iter_queries`, with the queries of the commits from index `first` on."""
    state = HistoryState()
    for i, c in enumerate(commits):
        files = sorted(c.files)
        if i >= first and 2 <= len(files) <= MAX_FILES:
            for f in files:
                if f in state.alive:
                    yield Query(i, c.sha, c.time, f, frozenset(files) - {f}, state.alive_snapshot()), state
        state.apply(c)
