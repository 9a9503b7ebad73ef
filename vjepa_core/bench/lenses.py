"""The lenses as served (shared/BENCHMARKS.md section 4): `Workspace.related(f)` and
`Workspace.predict_next([f])` on an index the product built itself at the split commit, beside
co-change, cochange+recency and a TARMAQ-style targeted association-rule ranking, on the same
queries (section 1's) with the same knowledge.

- frozen: the clone is reset to the split commit (the last training commit) and indexed as a user
  would (crawl, embed, the next-file fit); nothing after the split is known. The queries are those on
  files that exist at the split; the baselines count over the training history only. Where a side
  branch merged after the split has commits dated before it, the training history (the first 80%
  by date) holds commits the checkout does not: "cochange+recency (own history)" counts over the
  split commit's own history, what the workspace itself sees (equal to cochange+recency elsewhere;
  online, over the history of the commit checked out when the query is asked).
- online: then each test commit's queries are asked before the commit is applied; applying it is
  what the product does when a commit lands (check it out, the incremental re-index, the
  predictor's statistics learn it). The baselines count over everything before the commit.

Metrics: hit@1/5/10 and MRR@10 (a first hit past rank 10 counts 0). `vjepa bench lenses` runs it;
nothing in the product imports it.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from vjepa_core.harvest.history import Commit, read_commits
from vjepa_core.messages import VjepaError
from vjepa_core.patterns.cochange import SPLIT, HistoryState, Query, Scorer, iter_queries
from vjepa_core.patterns.temporal import MAX_FILES
from vjepa_core.workspace import Workspace

TOP = 10  # MRR@10: the lenses show ten files
LENSES = ("related", "next")
BASELINES = ("cochange", "cochange+recency", "tarmaq")
OWN = "cochange+recency (own history)"  # frozen only: over the split commit's own ancestors


class OwnHistory:
    """Co-change statistics over the history of the commit checked out in `tree` (what the
    workspace's index sees), brought forward commit by commit while that history only grows."""

    def __init__(self, tree: Path) -> None:
        self.tree, self.shas, self.state = tree, [], HistoryState()

    def now(self) -> HistoryState:
        commits = read_commits(self.tree)
        if [c.sha for c in commits[:len(self.shas)]] != self.shas:  # another branch: count again
            self.shas, self.state = [], HistoryState()
        for c in commits[len(self.shas):]:
            self.state.apply(c)
            self.shas.append(c.sha)
        return self.state


class Transactions:
    """The commits seen so far as file sets (bulk commits left out), for TARMAQ's rules."""

    def __init__(self) -> None:
        self.sets: list[frozenset[str]] = []
        self.of: dict[str, list[int]] = {}  # file -> the transactions that hold it
        self.seen = 0  # commits applied

    def apply(self, c: Commit) -> None:
        self.seen += 1
        files = frozenset(p for s, p in c.changes if s != "D")
        if not 1 <= len(files) <= MAX_FILES:
            return
        for p in files:
            self.of.setdefault(p, []).append(len(self.sets))
        self.sets.append(files)

    def tarmaq(self, f: str, context: Iterable[str], st: HistoryState) -> list[str]:
        """TARMAQ (Rolfsnes et al., ICSME 2016), targeted at `f`: among the transactions holding f,
        those that overlap the query (f and `context`, the change set so far) the most give rules
        X -> g (X their overlap with the query), ranked by support then confidence; co-change fills
        the rest. The protocol's query is one file, so the benchmark passes no context: the rules
        are f -> g, and TARMAQ differs from co-change in its tie-breaks (confidence, then how often
        g changed)."""
        query = {f, *context}
        held = self.of.get(f, [])
        if not held:
            return st.rank_cochange(f)
        overlap = {i: len(self.sets[i] & query) for i in held}
        best = max(overlap.values())
        chosen = [i for i in held if overlap[i] == best]
        support: Counter[str] = Counter()
        for i in chosen:
            support.update(g for g in self.sets[i] if g not in query)
        ranked = sorted((g for g in support if g in st.alive),
                        key=lambda g: (-support[g], -support[g] / len(chosen), -st.freq[g], g))
        taken = set(ranked) | {f}
        return ranked + [g for g in st.rank_cochange(f) if g not in taken]


def _git(repo: Path, *args: str) -> None:
    proc = subprocess.run(["git", "-C", str(repo), *args], check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise VjepaError("bench_lenses.git", repo=repo, detail=(proc.stderr or proc.stdout).strip()[:300])


def _scores(scorers: dict[str, Scorer]) -> dict[str, dict[str, float]]:
    return {n: {k: round(v, 4) for k, v in s.result().items()} for n, s in scorers.items()}


class _Run:
    """One mode's scorers; `add` takes a query and every method's ranking (cut at TOP)."""

    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        self.scorers = {n: Scorer() for n in (*BASELINES, *extra, *LENSES)}

    def add(self, q: Query, rankings: dict[str, list[str]]) -> None:
        for name, ranking in rankings.items():
            self.scorers[name].add(ranking[:TOP], q.truth)

    def result(self) -> dict:
        return {"queries": self.scorers["related"].n, "methods": _scores(self.scorers)}


def _lens_answers(ws: Workspace, files: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Both lenses for every file, as the server fills its lens caches: one read, one predictor."""
    from vjepa_core.queries.next import alive_files

    predictor, _ = ws.next_predictor(fit="now")  # the fit lands first: Related then finds it too
    related = {p: [h.path for h in hits] for p, hits in ws.related_many(files, TOP).items()}
    nxt = {p: [h.path for h in hits] for p, hits in
           ws.predict_next_many(files, TOP, predictor=predictor, alive=alive_files(ws.store)).items()}
    return related, nxt


def bench_lenses(repo: Path, *, online: bool = True, online_commits: int | None = None,
                 log: Callable[[str], None] = print, keep: Path | None = None) -> dict:
    """Section 4 on `repo` (a work tree, not a bare repository): frozen, then online."""
    repo = Path(repo)
    commits = read_commits(repo)
    split = int(len(commits) * SPLIT)
    if split < 10 or len(commits) - split < 2:
        raise VjepaError("bench_lenses.no_history", repo=repo, commits=len(commits))
    with tempfile.TemporaryDirectory(prefix="vjepa-lenses-") as tmp:
        work = Path(keep) if keep else Path(tmp)
        tree = work / "tree"
        if not tree.exists():
            _git(work, "clone", "-q", "--no-checkout", str(repo.resolve()), str(tree))
        _git(tree, "checkout", "-q", "--detach", commits[split - 1].sha)
        ws = Workspace(tree, index_dir=work / "index")
        t0 = time.perf_counter()
        ws.index()
        t1 = time.perf_counter()
        ws.next_predictor(fit="now")
        t2 = time.perf_counter()
        log(f"lenses: indexed {repo.name} at the split in {t1 - t0:.1f}s, next-file fit {t2 - t1:.1f}s")
        out = {"repo": str(repo), "commits": len(commits), "split_sha": commits[split - 1].sha,
               "index_seconds": round(t1 - t0, 1), "fit_seconds": round(t2 - t1, 1),
               "frozen": _frozen(ws, commits, split)}
        log(f"lenses: frozen done ({out['frozen']['queries']} queries)")
        if online:
            t3 = time.perf_counter()
            out["online"] = _online(ws, tree, commits, split, online_commits, log)
            out["online"]["seconds"] = round(time.perf_counter() - t3, 1)
    return out


def _frozen(ws: Workspace, commits: list[Commit], split: int) -> dict:
    state, tx = HistoryState(), Transactions()
    for c in commits[:split]:
        state.apply(c)
        tx.apply(c)
    at_split = frozenset(state.alive)
    history = OwnHistory(ws.root)  # the checkout's own history: what the index saw
    own = history.now()
    queries = [q for q, _ in iter_queries(commits) if q.file in at_split]
    related, nxt = _lens_answers(ws, sorted({q.file for q in queries}))
    run = _Run((OWN,))
    for q in queries:
        run.add(q, {"cochange": state.rank_cochange(q.file), "cochange+recency": state.rank_cochange_recency(q.file),
                    "tarmaq": tx.tarmaq(q.file, (), state), OWN: own.rank_cochange_recency(q.file),
                    "related": related.get(q.file, []), "next": nxt.get(q.file, [])})
    return {**run.result(), "training_commits": split, "own_history_commits": len(history.shas)}


def _online(ws: Workspace, tree: Path, commits: list[Commit], split: int, limit: int | None,
            log: Callable[[str], None]) -> dict:
    tx, own = Transactions(), OwnHistory(tree)
    end = len(commits) if limit is None else min(len(commits), split + limit)
    run = _Run((OWN,))
    pending: list[tuple[Query, dict[str, list[str]]]] = []
    applied = split
    for q, st in iter_queries(commits):  # the state moves on with the iteration: rank now
        if q.commit_index >= end:
            break
        if pending and pending[0][0].commit_index != q.commit_index:
            applied = _ask(ws, tree, commits, pending, own, run, applied, log)
            pending = []
        while tx.seen < q.commit_index:  # TARMAQ's transactions: everything before the commit
            tx.apply(commits[tx.seen])
        pending.append((q, {"cochange": st.rank_cochange(q.file),
                            "cochange+recency": st.rank_cochange_recency(q.file),
                            "tarmaq": tx.tarmaq(q.file, (), st)}))
    if pending:
        _ask(ws, tree, commits, pending, own, run, applied, log)
    return run.result()


def _ask(ws: Workspace, tree: Path, commits: list[Commit], pending: list[tuple[Query, dict[str, list[str]]]],
         own: OwnHistory, run: _Run, applied: int, log: Callable[[str], None]) -> int:
    """Let the commits before this one land, then ask its queries of the lenses as they stand (and
    of co-change+recency over the history checked out then)."""
    index = pending[0][0].commit_index
    while applied < index:
        applied = _land(ws, tree, commits, applied, log)
    related, nxt = _lens_answers(ws, sorted({q.file for q, _ in pending}))
    state = own.now()
    for q, rankings in pending:
        run.add(q, {**rankings, OWN: state.rank_cochange_recency(q.file),
                    "related": related.get(q.file, []), "next": nxt.get(q.file, [])})
    return applied


def _land(ws: Workspace, tree: Path, commits: list[Commit], i: int, log: Callable[[str], None]) -> int:
    """Commit `i` lands: checked out and re-indexed incrementally (as the server does on a new commit;
    the predictor's statistics learn it on the next ask)."""
    _git(tree, "checkout", "-q", "--detach", commits[i].sha)
    ws.index()
    if (i + 1) % 25 == 0:
        log(f"lenses: online at commit {i + 1} of {len(commits)}")
    return i + 1
