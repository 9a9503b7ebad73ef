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

PIPELINE_FORMAT = 2  # 2: the content features (imports, similarity)


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

    def fit(self, commits: list[Commit], links: Links | None = None) -> NextFilePredictor:
        if links is not None:
            self.links = links
        self.fitted = fit_pipeline(commits, self.cfg, seed=self.seed, file_vectors=self.file_vectors,
                                   variants=("product",), log=self.log, links=self.links)
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
                             "residual": r.residual}
        meta = {"format_version": PIPELINE_FORMAT, "config": _config_json(self.cfg), "seed": self.seed,
                "fitted_commits": self.fitted_count, "last_sha": self.fitted_on[0] if self.fitted_on else "",
                "seen_paths": list(f.model.feat.seen_paths), "examples": f.model.examples,
                "fit_queries": f.fit_queries, "seconds": f.seconds, "prior": f.prior,
                "prior_id": prior_id(self.cfg) if f.prior else "", "rankers": rankers}
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
            return {"fitted_commits": int(meta["fitted_commits"]), "prior": bool(meta["prior"]),
                    "format_version": meta["format_version"]}
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
                rankers[name] = base
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as exc:
            log(f"nextfile: the saved predictor at {path} is unusable ({exc}); fitting again")
            return None
        out = cls(cfg, seed=int(meta["seed"]), log=log)
        out.fitted = FittedPipeline(trained, rankers, int(meta["fit_queries"]), float(meta["seconds"]),
                                    bool(meta["prior"]))
        out.fitted_on, out.fitted_count = [meta["last_sha"]], n
        out._replay(commits)
        return out

    def rank(self, recent_files: list[str], query_file: str | None, alive: set[str],
             k: int) -> list[tuple[str, float, str, str]]:
        """Top k (path, score, pattern, reason in words) for the file after `recent_files` (oldest
        first), or, with no recent files, the files that go with `query_file` (the Related lens)."""
        if self.fitted is None:
            raise RuntimeError("NextFilePredictor.rank called before fit")
        query = query_file or (recent_files[-1] if recent_files else None)
        if query is None:
            return []
        aux = self.aux
        if recent_files:  # the editor's recent files are the newest activity: one pseudo-commit
            aux = self.aux.fork()
            now = max(self.aux.last.values(), default=0) + 1
            aux.ctx.apply(Commit("", now, tuple(("M", p) for p in recent_files), ()))
            aux.last_commits = [*aux.last_commits[-1:], frozenset(recent_files)]
        now = max(aux.last.values(), default=0) + 1
        q = Query(-1, "", now, query, frozenset(), frozenset(alive))
        session = self.sessions.get(query)
        names, rows, _ = candidate_features(q, self.state, aux, self.fitted.model, self.cfg, self.links, session)
        ranker = self.fitted.rankers["product"]
        scores = ranker.score(rows)
        order = sorted(range(len(names)), key=lambda i: (-scores[i], names[i]))[:k]
        top = rows[order] if order else rows[:0]
        parts = ranker.contributions(top, FEATURE_GROUPS)
        out = []
        for j, i in enumerate(order):
            group = max(parts, key=lambda g: (parts[g][j], g))
            pattern, words = reason(group, rows[i], self.state.co.get(query, Counter()).get(names[i], 0),
                                    (session or Counter()).get(names[i], 0))
            out.append((names[i], float(scores[i]), pattern, words))
        return out


_IDX = {f: i for i, f in enumerate(FEATURES)}


def reason(group: str, row: np.ndarray, commits: int, sessions: int) -> tuple[str, str]:
    """(pattern, words) for the feature group that moved a candidate's score the most."""
    if group == "cochange" and (commits or sessions):
        said = [f"changed together in {commits} commit{'s' if commits != 1 else ''}"] if commits else []
        if sessions:
            said.append(f"worked on together in {sessions} editor session{'s' if sessions != 1 else ''}")
        return "temporal", " and ".join(said)
    if group == "content" and row[_IDX["imports"]]:
        return "spatial", "imports it or is imported by it"
    if group == "content" and row[_IDX["similar"]]:
        return "semantic", f"similar content (cosine {row[_IDX['similar']]:.2f})"
    if group == "spatial" and row[_IDX["twin"]]:
        return "spatial", "its name twin (module and test)"
    if group == "spatial" and row[_IDX["same_dir"]]:
        return "spatial", "in the same folder"
    if group == "model":
        return "temporal", "the temporal model expects it next"
    if group in ("recency", "cochange") or not commits:
        return "temporal", "changed recently" if row[_IDX["in_recent"]] else "often changed"
    return "temporal", f"changed together in {commits} commits"
