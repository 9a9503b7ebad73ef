"""The product's next-file ranking: `NextFilePredictor` fits on a whole history, is kept on disk,
catches up with new commits and ranks the files after the editor's recent ones."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import mlx.core as mx
import numpy as np

from vjepa_core.harvest.history import Commit
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.features import FEATURE_GROUPS, FEATURES, AuxStats, Links, candidate_features
from vjepa_core.model.nextfile.fit import FittedPipeline, fit_pipeline
from vjepa_core.model.nextfile.frames import FrameFeaturizer
from vjepa_core.model.nextfile.predictor import TemporalPredictor, TrainedPredictor
from vjepa_core.model.nextfile.prior import prior_id
from vjepa_core.model.nextfile.ranker import FusionRanker
from vjepa_core.patterns.cochange import HistoryState, Query

# 2: the content features (imports, similarity); 3: weighted, decayed co-change; 4: recent shares (drift);
# 5: the product's lean on co-change+recency's order
PIPELINE_FORMAT = 5


def _config_json(cfg: NextFileConfig) -> dict:
    from dataclasses import asdict

    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}


class NextFilePredictor:
    """The product's next-file ranking over a workspace's whole history."""

    def __init__(self, cfg: NextFileConfig | None = None, *, seed: int = 0,
                 file_vectors: dict[str, np.ndarray] | None = None,
                 log: Callable[[str], None] = lambda _: None) -> None:
        self.cfg = cfg or NextFileConfig()
        self.seed, self.file_vectors, self.log = seed, file_vectors, log
        self.fitted: FittedPipeline | None = None
        self.fitted_on: list[str] = []  # the sha of the last commit it was fit on
        self.fitted_count = 0  # how many commits it was fit on
        self.state = HistoryState()
        self.aux = AuxStats(self.cfg.context)
        # Kept up to date by the caller, read at each ranking: the index's imports and similarity,
        # and the editor's sessions (file -> the files sessions touched with it, and how often).
        self.links: Links = {}
        self.sessions: dict[str, Counter[str]] = {}
        self.session_time: dict[str, dict[str, int]] = {}  # when each pair's last session ended (unix s)

    @classmethod
    def statistics(cls, commits: list[Commit]) -> NextFilePredictor:
        """A predictor that has not been fit: it ranks by the statistics alone (answers at once,
        while the fit runs elsewhere)."""
        out = cls()
        out._replay(commits)
        return out

    def fit(self, commits: list[Commit], links: Links | None = None,
            sessions: list[Commit] | None = None) -> NextFilePredictor:
        """Fit on `commits`, with the index's `links` as features and the editor's `sessions` (as
        commits) as more examples for the temporal predictor."""
        if links is not None:
            self.links = links
        self.fitted = fit_pipeline(commits, self.cfg, seed=self.seed, file_vectors=self.file_vectors,
                                   variants=("product",), log=self.log, links=self.links, select=True,
                                   sessions=sessions)
        self.fitted_on, self.fitted_count = [c.sha for c in commits[-1:]], len(commits)
        self._replay(commits)
        return self

    def _replay(self, commits: list[Commit]) -> None:
        self.state, self.aux = HistoryState(), AuxStats(self.cfg.context)
        for c in commits:
            self.state.apply(c)
            self.aux.apply(c)

    # --- kept on disk, so a later process need not fit again ---------------------------------

    def save(self, path: Path) -> Path:
        """Write the fitted pipeline to one file, atomically (a temporary file, then a rename).

        `load` refuses it for another past (the commit it was fit up to must still be there), or
        once the shipped prior has changed. Content vectors are not kept: a predictor fit with them
        is not saved.
        """
        import json
        import os

        from mlx.utils import tree_flatten

        if self.fitted is None or self.file_vectors:
            raise ValueError("only a predictor fit without content vectors can be saved")
        f = self.fitted
        rankers = {}
        for name, r in f.rankers.items():
            rankers[name] = {"features": list(r.features), "mean": np.asarray(r.mean).tolist(),
                             "std": np.asarray(r.std).tolist(),
                             "params": {k: np.asarray(v).tolist() for k, v in r.params.items()},
                             "residual": r.residual, "lean": r.lean,
                             "lean_by_tail": r.lean_by_tail}
        meta = {"format_version": PIPELINE_FORMAT, "config": _config_json(self.cfg), "seed": self.seed,
                "fitted_commits": self.fitted_count, "last_sha": self.fitted_on[0] if self.fitted_on else "",
                "seen_paths": list(f.model.feat.seen_paths), "examples": f.model.examples,
                "fit_queries": f.fit_queries, "seconds": f.seconds, "prior": f.prior,
                "prior_id": prior_id(self.cfg) if f.prior else "", "rankers": rankers, "dropped": list(f.dropped)}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.safetensors")
        mx.save_safetensors(str(tmp), dict(tree_flatten(f.model.model.parameters())),
                            metadata={"pipeline": json.dumps(meta)})
        os.replace(tmp, path)
        return path

    @staticmethod
    def describe(path: Path) -> dict | None:
        """The saved fit's header (commits, prior, format), without reading its weights; None when
        there is no readable one."""
        import json

        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="numpy") as fh:
                meta = json.loads((fh.metadata() or {})["pipeline"])
            product = meta.get("rankers", {}).get("product", {})
            return {"fitted_commits": int(meta["fitted_commits"]), "prior": bool(meta["prior"]),
                    "format_version": meta["format_version"], "dropped": list(meta.get("dropped", [])),
                    "lean": float(product.get("lean") or 0.0),
                    "ranking": lean_words(float(product.get("lean") or 0.0), bool(product.get("lean_by_tail", True)))}
        except (OSError, SafetensorError, ValueError, KeyError, TypeError):
            return None

    @classmethod
    def load(cls, path: Path, commits: list[Commit], cfg: NextFileConfig | None = None,
             log: Callable[[str], None] = lambda _: None) -> NextFilePredictor | None:
        """The saved predictor, caught up with `commits`; None when it is missing, unreadable,
        of another format or configuration, or was fit on another past (say, after a rebase)."""
        import json

        path = Path(path)
        if not path.exists():
            return None
        try:
            weights, raw = mx.load(str(path), return_metadata=True)
            meta = json.loads(raw["pipeline"])
            if meta.get("format_version") != PIPELINE_FORMAT:
                raise ValueError(f"format {meta.get('format_version')!r}")
            saved = NextFileConfig(**{k: tuple(v) if isinstance(v, list) else v
                                      for k, v in meta["config"].items()})
            cfg = cfg or NextFileConfig()
            if _config_json(saved) != _config_json(cfg):
                raise ValueError("it was fit with another configuration")
            if meta["prior"] and meta.get("prior_id") != prior_id(cfg):
                raise ValueError("it was fit from another prior")
            n = int(meta["fitted_commits"])
            if not 0 < n <= len(commits) or commits[n - 1].sha != meta["last_sha"]:
                log("nextfile: the saved predictor was fit on another history; fitting again")
                return None
            feat = FrameFeaturizer(meta["seen_paths"], cfg)
            model = TemporalPredictor(cfg, len(feat.seen_paths), 0)
            model.load_weights(list(weights.items()), strict=True)
            model.eval()
            trained = TrainedPredictor(model, feat, cfg, int(meta["examples"]), 0.0, frozenset())
            rankers: dict[str, FusionRanker] = {}
            for name, r in meta["rankers"].items():
                base = FusionRanker(tuple(r["features"]), cfg)
                base.mean, base.std = np.array(r["mean"]), np.array(r["std"])
                base.params = {k: np.array(v) for k, v in r["params"].items()}
                base.residual = float(r["residual"] or 0.0)
                base.lean = float(r.get("lean") or 0.0)
                base.lean_by_tail = bool(r.get("lean_by_tail", True))  # fits before it kept only the tail's choice
                rankers[name] = base
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as exc:
            log(f"nextfile: the saved predictor at {path} is unusable ({exc}); fitting again")
            return None
        out = cls(cfg, seed=int(meta["seed"]), log=log)
        out.fitted = FittedPipeline(trained, rankers, int(meta["fit_queries"]), float(meta["seconds"]),
                                    bool(meta["prior"]), tuple(meta.get("dropped", [])))
        out.fitted_on, out.fitted_count = [meta["last_sha"]], n
        out._replay(commits)
        return out

    def rank(self, recent_files: list[str], query_file: str | None, alive: set[str],
             k: int) -> list[tuple[str, float, str, str]]:
        """Top k (path, score, pattern, reason in words) for the file after `recent_files` (oldest
        first), or, with no recent files, the files that go with `query_file` (the Related lens)."""
        query = query_file or (recent_files[-1] if recent_files else None)
        if query is None:
            return []
        if self.fitted is None:
            return self._rank_statistics(query, alive, k)
        aux = self.aux
        if recent_files:  # the editor's recent files are the newest activity: one pseudo-commit
            aux = self.aux.fork()
            now = max(self.aux.last.values(), default=0) + 1
            aux.ctx.apply(Commit("", now, tuple(("M", p) for p in recent_files), ()))
            aux.last_commits = [*aux.last_commits[-1:], frozenset(recent_files)]
        now = max(aux.last.values(), default=0) + 1
        q = Query(-1, "", now, query, frozenset(), frozenset(alive))
        session = self.sessions.get(query)
        names, rows, _ = candidate_features(q, self.state, aux, self.fitted.model, self.cfg, self.links, session,
                                            self.session_time.get(query))
        ranker = self.fitted.rankers["product"]
        scores = ranker.score(rows)
        # Ties (files the history says nothing about) go to the direct evidence: an import, then
        # similar content, then the name.
        imp, sim = _IDX["imports"], _IDX["similar"]
        order = sorted(range(len(names)), key=lambda i: (-round(float(scores[i]), 6), -rows[i, imp], -rows[i, sim],
                                                         names[i]))[:k]
        top = rows[order] if order else rows[:0]
        parts = ranker.contributions(top, FEATURE_GROUPS)
        out = []
        for j, i in enumerate(order):
            groups = sorted((g for g in parts if parts[g][j] > 0), key=lambda g: -parts[g][j])
            # The commits they share along their lineages (renames followed): the count the
            # relations, and so the lens before a fit, state for the same two files.
            shared = self.aux.lin_co.get(self.aux.key(query), Counter()).get(self.aux.key(names[i]), 0)
            pattern, words = reason(groups, rows[i], shared, (session or Counter()).get(names[i], 0))
            out.append((names[i], float(scores[i]), pattern, words))
        return out


    def _rank_statistics(self, query: str, alive: set[str], k: int) -> list[tuple[str, float, str, str]]:
        """Before a fit: co-change (the editor's sessions counted in), then recency."""
        st = self.state
        commits = st.co.get(query, Counter())
        sessions = self.sessions.get(query, Counter())
        together = commits + sessions
        ranked = sorted((g for g in together if g in alive and g != query),
                        key=lambda g: (-together[g], -st.freq[g], g))
        taken = set(ranked) | {query}
        ranked += [g for g in st.rank_recency(query) if g in alive and g not in taken]
        out = []
        for i, g in enumerate(ranked[:k]):  # the co-change counts' words, else recency's
            said = _cochange_phrases(commits.get(g, 0), sessions.get(g, 0)) or [("temporal", "changed recently")]
            out.append((g, float(k - i), said[0][0], "; ".join(w for _, w in said)))
        return out


_IDX = {f: i for i, f in enumerate(FEATURES)}


def lean_words(lean: float, by_tail: bool = True) -> str:
    """How the lenses rank under a fit that leans `lean` on co-change+recency's order, as a clause
    for `vjepa status` ("fit on 278 commits, ...; <this>"). `by_tail`: the history's latest commits
    chose that lean (else it is the prior for the history's size, `fit.prior_lean`)."""
    if lean >= 1.0:
        return "the lenses rank by co-change and recency here: the learned ranking steps aside" + (
            ", as they ranked this history's latest commits better" if by_tail else "")
    least = NextFileConfig().ranker_lean_grid[0]
    if lean > least and by_tail:
        return (f"the lenses lean {lean:.0%} on co-change and recency here, as they ranked this history's latest "
                "commits better than the learned ranking alone")
    if lean >= least + 0.01:
        return (f"the lenses rank by the learned ranking, blended {lean:.0%} with co-change and recency (more while "
                "the history is short)")
    if lean > 0:
        return f"the lenses rank by the learned ranking, blended {lean:.0%} with co-change and recency"
    return "the lenses rank by the learned ranking"


def reason(groups: list[str], row: np.ndarray, commits: int, sessions: int) -> tuple[str, str]:
    """(pattern, words) for a candidate: the words of the feature groups that moved its score the
    most (strongest first, at most two), the pattern of the strongest."""
    said: list[tuple[str, str]] = []
    for group in groups:
        for pattern, words in _phrases(group, row, commits, sessions):
            if words not in {w for _, w in said}:
                said.append((pattern, words))
    if not said:
        said.append(("temporal", "changed recently" if row[_IDX["in_recent"]] else "often changed"))
    return said[0][0], "; ".join(w for _, w in said[:2])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _cochange_phrases(commits: int, sessions: int) -> list[tuple[str, str]]:
    out = [("temporal", f"changed together in {_plural(commits, 'commit')}")] if commits else []
    if sessions:
        out.append(("temporal", f"worked on together in {_plural(sessions, 'editor session')}"))
    return out


def _phrases(group: str, row: np.ndarray, commits: int, sessions: int) -> list[tuple[str, str]]:
    if group == "cochange":
        return _cochange_phrases(commits, sessions)
    if group == "content":
        out = [("spatial", "imports or is imported by it")] if row[_IDX["imports"]] else []
        if row[_IDX["similar"]]:
            out.append(("semantic", f"similar content (cosine {row[_IDX['similar']]:.2f})"))
        return out
    if group == "spatial":
        if row[_IDX["twin"]]:
            return [("spatial", "its name twin (module and test)")]
        return [("spatial", "in the same folder")] if row[_IDX["same_dir"]] else []
    if group == "recency":
        return [("temporal", "changed recently")] if row[_IDX["in_recent"]] else []
    if group == "model":
        return [("temporal", "the temporal model expects it next")]
    return []
