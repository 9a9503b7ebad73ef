"""Next-file prediction: file frames, a temporal predictor (MLX) and a learned fusion ranker.

The pipeline, V-JEPA-2-AC style but sized for one repository's history:

- **Frames.** A file's frame is an embedding bag of its path tokens (folders, stem words,
  extension, test-ness), plus a per-file embedding for files seen in the training history, plus
  an optional content vector supplied from outside (the unit encoder's file vectors).
- **Temporal predictor.** A small causal transformer reads the last K touched files (oldest first,
  with time-gap and commits-ago embeddings) followed by the query file's frame, and predicts the
  frame of a file changed together with the query. Trained with InfoNCE over every known file on
  the training commits only, then frozen; retrieval is by cosine over the files alive before C.
- **Fusion.** A listwise ranker (tiny MLP, softmax over candidates) over co-change, recency,
  spatial and model features. Its weights are fit on queries from the last 20% of the training
  history, scored by a predictor trained only on the commits before them (so the model feature
  is as fresh, and as unseen, as it is at test time). `stats` is the same ranker without the
  model's features.

`bench_next_file` implements shared/BENCHMARKS.md section 1 with these methods beside the
baselines; `NextFilePredictor` is the runtime API over a whole history.
"""

from __future__ import annotations

import copy
import math
import posixpath
import resource
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
from mlx import nn

from vjepa_core.harvest.history import MAX_FILES, Commit, read_commits
from vjepa_core.paths import identifier_words, is_test_path
from vjepa_core.patterns.cochange import BASELINES, SPLIT, HistoryState, Query, Scorer, iter_queries


@dataclass(frozen=True)
class NextFileConfig:
    """Every hyper-parameter of the predictor and the ranker, with its default."""

    dims: int = 64
    heads: int = 4
    layers: int = 1
    buckets: int = 4096  # hashed path-token vocabulary
    max_tokens: int = 12  # path tokens per file
    context: int = 16  # K: recent files the predictor reads
    neighbors: int = 8  # the query's strongest co-change partners so far, also read as frames
    # A learned row per training-history file. Off: path tokens (and content vectors) generalise to
    # files created after training (a third of the requests test queries), where ids cannot.
    file_ids: bool = False
    gap_buckets: int = 16  # log2 hours since a context file was touched
    epochs: int = 15
    batch: int = 128
    lr: float = 3e-3
    weight_decay: float = 0.1
    temperature: float = 0.1
    ranker_hidden: int = 16
    ranker_steps: int = 300
    ranker_lr: float = 0.02
    ranker_l2: float = 0.03
    # Candidates for ranker_l2, chosen on the fit queries' later part. Default: fixed, since that
    # choice (about 240 queries) was noisy: it picked 0.003 on psf/black and overfit.
    ranker_l2_grid: tuple[float, ...] = (0.03,)
    candidates: int = 50  # top-N of each signal that enter the fusion
    # The product's fusion. None: one ranker over every feature group, the model's included.
    # A number w: the ranker without the model's features (stats), plus w times the model's cosine
    # standardised over the query's candidates: the model reorders what the statistics leave close.
    model_residual: float | None = 0.15
    # Start the predictor from the shipped prior (nextfile_prior.py) when its shapes fit.
    prior: bool = True


# --- frames -------------------------------------------------------------------------------

def core_stem(path: str) -> str:
    """The stem without test affixes: `tests/test_api.py` and `src/api.py` share `api`.

    Not paths.subject_stem: the shipped prior's hashed `stem:` tokens were learnt with this rule
    (Python's affixes only, dotfiles keep their name), so frames must keep it."""
    stem = posixpath.splitext(posixpath.basename(path))[0].lower()
    for pre in ("test_", "tests_"):
        stem = stem.removeprefix(pre)
    for suf in ("_test", "_tests"):
        stem = stem.removesuffix(suf)
    return stem


def path_tokens(path: str) -> list[str]:
    """Folders, parent folder, extension, stem words and test-ness of a path."""
    parts = path.split("/")
    dirs = parts[:-1]
    ext = posixpath.splitext(parts[-1])[1].lower()
    stem = core_stem(path)
    toks = [f"ext:{ext}", f"parent:{'/'.join(dirs)}", f"stem:{stem}", f"test:{is_test_path(path)}",
            f"depth:{min(len(dirs), 6)}"]
    toks += [f"dir:{d}" for d in dirs[-3:]]
    toks += [f"w:{w}" for w in identifier_words(stem)]
    return toks


class FrameFeaturizer:
    """Maps paths to the integer inputs of a frame: hashed tokens, a seen-file id, a content vector.

    `seen_paths` are the files of the training commits: only they get an id (a learned row);
    anything else is known by its path tokens (and content vector) alone.
    """

    def __init__(self, seen_paths: Iterable[str], cfg: NextFileConfig,
                 file_vectors: dict[str, np.ndarray] | None = None) -> None:
        self.cfg = cfg
        self.seen_paths: tuple[str, ...] = tuple(sorted(set(seen_paths)))
        self.ids = {p: i + 1 for i, p in enumerate(self.seen_paths)}  # 0: no id
        self.file_vectors = file_vectors or {}
        dims = {len(v) for v in self.file_vectors.values()}
        self.vec_dims = dims.pop() if len(dims) == 1 else 0

    def encode(self, paths: list[str]) -> dict[str, np.ndarray]:
        n, t = len(paths), self.cfg.max_tokens
        tok = np.zeros((n, t), np.int32)
        tok_mask = np.zeros((n, t), np.float32)
        ids = np.zeros(n, np.int32)
        vecs = np.zeros((n, max(self.vec_dims, 1)), np.float32)
        vec_mask = np.zeros((n, 1), np.float32)
        for i, p in enumerate(paths):
            hs = [zlib.crc32(s.encode()) % self.cfg.buckets for s in path_tokens(p)][:t]
            tok[i, : len(hs)] = hs
            tok_mask[i, : len(hs)] = 1.0
            ids[i] = self.ids.get(p, 0)
            v = self.file_vectors.get(p)
            if self.vec_dims and v is not None:
                vecs[i] = v / (np.linalg.norm(v) + 1e-8)
                vec_mask[i] = 1.0
        return {"tok": tok, "tok_mask": tok_mask, "ids": ids, "vecs": vecs, "vec_mask": vec_mask}


# --- temporal predictor -------------------------------------------------------------------

class TemporalPredictor(nn.Module):
    """Causal transformer over [context frames..., query frame] -> predicted co-changed frame."""

    def __init__(self, cfg: NextFileConfig, n_ids: int, vec_dims: int) -> None:
        super().__init__()
        d = cfg.dims
        self.tok = nn.Embedding(cfg.buckets, d)
        self.ids = nn.Embedding(n_ids + 1, d)
        self.vec = nn.Linear(max(vec_dims, 1), d, bias=False)
        self.gap = nn.Embedding(cfg.gap_buckets, d)
        # Slot embedding: commits ago (0..K-1) for recent files, K for the query, then
        # K+1+confidence decile for co-change neighbours.
        self.age = nn.Embedding(cfg.context + 12, d)
        self.query_slot = cfg.context
        self.use_ids = float(cfg.file_ids)
        self.blocks = [nn.TransformerEncoderLayer(d, cfg.heads, 2 * d) for _ in range(cfg.layers)]
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, d)
        self.frame_norm = nn.LayerNorm(d, affine=False)

    def frames(self, f: dict[str, mx.array]) -> mx.array:
        m = f["tok_mask"][..., None]
        bag = (self.tok(f["tok"]) * m).sum(1) / mx.maximum(m.sum(1), 1.0)
        x = bag + self.vec(f["vecs"]) * f["vec_mask"]
        if self.use_ids:  # a prior (one id row, any history) never looks ids up
            has_id = (f["ids"] > 0).astype(mx.float32)[:, None]
            x = x + self.ids(f["ids"]) * has_id
        return self.frame_norm(x)

    def __call__(self, table: mx.array, q: mx.array, ctx: mx.array, gap: mx.array, age: mx.array,
                 ctx_mask: mx.array) -> mx.array:
        """table: (V+1, d) frames (last row zeros: padding); q: (B,); ctx/gap/age/mask: (B, K)."""
        b, k = ctx.shape
        x = table[ctx] + self.gap(gap) + self.age(age)
        qx = table[q][:, None, :] + self.age(mx.full((b, 1), self.query_slot, mx.int32))
        seq = mx.concatenate([x, qx], axis=1)  # (B, K+1, d), oldest first, query last
        causal = nn.MultiHeadAttention.create_additive_causal_mask(k + 1)
        pad = mx.concatenate([ctx_mask, mx.ones((b, 1))], axis=1)
        mask = causal[None, None] + ((1.0 - pad) * -1e9)[:, None, None, :]
        for blk in self.blocks:
            seq = blk(seq, mask)
        return self.head(self.norm(seq[:, -1]))


def _unit(x: mx.array) -> mx.array:
    return x / mx.maximum(mx.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


@dataclass
class _Context:
    """The recent-activity window the predictor reads, updated one commit at a time."""

    k: int
    events: list[tuple[str, int, int]] = field(default_factory=list)  # (path, time, commit no.)
    n: int = 0

    def apply(self, commit: Commit) -> None:
        for p in sorted(commit.files):
            self.events.append((p, commit.time, self.n))
        self.n += 1
        if len(self.events) > 8 * self.k + 64:
            del self.events[: len(self.events) - 4 * self.k - 32]

    def window(self, now: int, exclude: str) -> list[tuple[str, int, int]]:
        """Last k distinct files before now, newest first: (path, gap bucket, commits ago)."""
        seen = {exclude}
        out = []
        for p, t, c in reversed(self.events):
            if p in seen:
                continue
            seen.add(p)
            hours = max(now - t, 0) / 3600.0
            out.append((p, int(min(math.log2(1 + hours), 15)), min(self.n - 1 - c, self.k - 1)))
            if len(out) == self.k:
                break
        return out


def model_context(window: list[tuple[str, int, int]], co: Counter[str] | None, freq: Counter[str],
                  query: str, alive: Iterable[str] | None, cfg: NextFileConfig) -> list[tuple[str, int, int]]:
    """The predictor's input sequence, oldest first: co-change neighbours, then the recent window.

    Neighbours are statistics over commits before the query (updated online, never learned), so a
    frozen predictor still sees how the query's partners evolve after training.
    """
    seq: list[tuple[str, int, int]] = []
    if co and freq[query]:
        live = alive if alive is not None else co
        top = sorted((g for g in co if g in live and g != query), key=lambda g: (-co[g], g))
        for g in reversed(top[: cfg.neighbors]):
            conf = co[g] / freq[query]
            seq.append((g, int(min(2 * math.log2(1 + co[g]), cfg.gap_buckets - 1)),
                        cfg.context + 1 + min(int(conf * 10), 10)))
    return seq + list(reversed(window))


class TrainedPredictor:
    """A frozen temporal predictor with its featurizer: scores files for a query and context."""

    def __init__(self, model: TemporalPredictor, feat: FrameFeaturizer, cfg: NextFileConfig,
                 examples: int, seconds: float, train_shas: frozenset[str]) -> None:
        self.model, self.feat, self.cfg = model, feat, cfg
        self.examples, self.seconds, self.train_shas = examples, seconds, train_shas
        self._index: dict[str, int] = {}
        self._table = np.zeros((0, cfg.dims), np.float32)  # unit-norm frames, one row per path
        self._full: mx.array | None = None  # the table plus a zero padding row, for the model

    def _rows(self, paths: Iterable[str]) -> np.ndarray:
        new = [p for p in dict.fromkeys(paths) if p not in self._index]  # a path may repeat
        if new:
            f = {k: mx.array(v) for k, v in self.feat.encode(new).items()}
            fr = np.array(_unit(self.model.frames(f)))
            for p in new:
                self._index[p] = len(self._index)
            self._table = np.concatenate([self._table, fr]) if len(self._table) else fr
            self._full = None
        return self._table

    def predict(self, query: str, seq: list[tuple[str, int, int]]) -> np.ndarray:
        """The predicted frame after `seq` (from model_context) and the query."""
        k = self.cfg.context + self.cfg.neighbors
        table = self._rows([query, *(w[0] for w in seq)])
        ctx_rows = [self._index[w[0]] for w in seq]
        pad = k - len(ctx_rows)
        zero = len(table)
        if self._full is None:
            self._full = mx.array(np.concatenate([table, np.zeros((1, table.shape[1]), np.float32)]))
        full = self._full
        ctx = mx.array([[zero] * pad + ctx_rows], mx.int32)
        gap = mx.array([[0] * pad + [w[1] for w in seq]], mx.int32)
        age = mx.array([[0] * pad + [w[2] for w in seq]], mx.int32)
        mask = mx.array([[0.0] * pad + [1.0] * len(ctx_rows)])
        q = mx.array([self._index[query]], mx.int32)
        return np.array(_unit(self.model(full, q, ctx, gap, age, mask)))[0]

    def scores(self, query: str, seq: list[tuple[str, int, int]], files: list[str]) -> np.ndarray:
        """Cosine between the predicted frame and each file's frame."""
        pred = self.predict(query, seq)
        table = self._rows(files)
        return table[[self._index[p] for p in files]] @ pred


@dataclass
class _Examples:
    """One history's training examples: each file of a 2..30-file commit that existed before it."""

    feat: FrameFeaturizer
    vocab: list[str]
    q: np.ndarray
    ctx: np.ndarray
    gap: np.ndarray
    age: np.ndarray
    mask: np.ndarray
    targets: list[list[int]]
    shas: frozenset[str]

    @property
    def n(self) -> int:
        return len(self.q)


def _examples(commits: list[Commit], cfg: NextFileConfig,
              file_vectors: dict[str, np.ndarray] | None = None,
              max_examples: int | None = None) -> _Examples:
    """The examples of `commits` (the newest `max_examples` of them, if given)."""
    feat = FrameFeaturizer((p for c in commits for _, p in c.changes), cfg, file_vectors)
    vocab = list(feat.seen_paths)
    index = {p: i for i, p in enumerate(vocab)}
    v = len(vocab)
    ctx_state = _Context(cfg.context)
    stats = HistoryState()
    alive = stats.alive
    length = cfg.context + cfg.neighbors
    qs, ctxs, gaps, ages, masks, targets = [], [], [], [], [], []
    shas: set[str] = set()
    for c in commits:
        files = sorted(c.files)
        if 2 <= len(files) <= MAX_FILES:
            for f in files:
                if f not in alive:
                    continue
                win = model_context(ctx_state.window(c.time, f), stats.co.get(f), stats.freq, f,
                                    alive, cfg)
                pad = length - len(win)
                qs.append(index[f])
                ctxs.append([v] * pad + [index[w[0]] for w in win])
                gaps.append([0] * pad + [w[1] for w in win])
                ages.append([0] * pad + [w[2] for w in win])
                masks.append([0.0] * pad + [1.0] * len(win))
                targets.append([index[g] for g in files if g != f])
                shas.add(c.sha)
        stats.apply(c)
        ctx_state.apply(c)
    keep = slice(-max_examples, None) if max_examples else slice(None)
    return _Examples(
        feat, vocab, np.array(qs[keep], np.int32).reshape(-1),
        np.array(ctxs[keep], np.int32).reshape(-1, length), np.array(gaps[keep], np.int32).reshape(-1, length),
        np.array(ages[keep], np.int32).reshape(-1, length), np.array(masks[keep], np.float32).reshape(-1, length),
        targets[keep], frozenset(shas))


def _train(model: TemporalPredictor, sets: list[_Examples], cfg: NextFileConfig, steps: int,
           seed: int, log: Callable[[str], None], tag: str = "nextfile") -> None:
    """InfoNCE over each history's own files; a batch is drawn from one history at a time."""
    sets = [e for e in sets if e.n and len(e.vocab) >= 2]
    if not sets or steps <= 0:
        return
    encs = [{k: mx.array(a) for k, a in e.feat.encode(e.vocab).items()} for e in sets]

    def multi_hot(rows: list[list[int]], idx: np.ndarray, v: int) -> mx.array:
        t = np.zeros((len(idx), v), np.float32)  # per batch: examples x files would not scale
        for row, i in enumerate(idx):
            t[row, rows[i]] = 1.0
        return mx.array(t)

    def loss_fn(m: TemporalPredictor, enc, q, ctx, gap, age, mask, t):
        table = _unit(m.frames(enc))
        v = table.shape[0]
        full = mx.concatenate([table, mx.zeros((1, table.shape[1]))])
        pred = _unit(m(full, q, ctx, gap, age, mask))
        logits = (pred @ table.T) / cfg.temperature
        logits = mx.where(mx.arange(v)[None, :] == q[:, None], -1e9, logits)
        pos = mx.logsumexp(mx.where(t > 0, logits, -1e9), axis=1)
        return (mx.logsumexp(logits, axis=1) - pos).mean()

    sched = optim.cosine_decay(cfg.lr, steps, cfg.lr * 0.05)
    opt = optim.AdamW(sched, weight_decay=cfg.weight_decay, bias_correction=True)
    grad_fn = nn.value_and_grad(model, loss_fn)
    state = [model.state, opt.state]

    def step(*args):
        loss, grads = grad_fn(model, *args)
        grads, _ = optim.clip_grad_norm(grads, 10.0)
        opt.update(model, grads)
        return loss

    # One history: compiled once. Several: their vocabularies differ in size, and a compiled step
    # per shape would cost more than it saves.
    step_fn = mx.compile(step, inputs=state, outputs=state) if len(sets) == 1 else step
    rng = np.random.default_rng(seed)
    weights = np.array([e.n for e in sets], np.float64)
    orders = [rng.permutation(e.n) for e in sets]
    cursors = [0] * len(sets)
    losses: list[float] = []
    model.train()
    for done in range(1, steps + 1):
        r = int(rng.choice(len(sets), p=weights / weights.sum())) if len(sets) > 1 else 0
        e, batch = sets[r], min(cfg.batch, sets[r].n)
        if cursors[r] + batch > e.n:
            orders[r], cursors[r] = rng.permutation(e.n), 0
        idx = orders[r][cursors[r]: cursors[r] + batch]
        cursors[r] += batch
        v = len(e.vocab)
        loss = step_fn(encs[r], mx.array(e.q[idx]), mx.array(e.ctx[idx]), mx.array(e.gap[idx]),
                       mx.array(e.age[idx]), mx.array(e.mask[idx]), multi_hot(e.targets, idx, v))
        mx.eval(loss, model.state, opt.state)
        losses.append(loss.item())
        if done % max(1, steps // 4) == 0 or done == steps:
            log(f"{tag}: step {done}/{steps} loss {np.mean(losses[-20:]):.3f}")
    model.eval()


_SHARED = ("tok", "gap", "age", "blocks", "norm", "head")  # what a prior carries: no per-file rows


def prior_weights(model: TemporalPredictor) -> dict[str, mx.array]:
    """The weights of `model` that do not depend on one history's files."""
    from mlx.utils import tree_flatten
    return {k: v for k, v in tree_flatten(model.parameters()) if k.split(".")[0] in _SHARED}


def _load_prior(model: TemporalPredictor, prior: dict[str, mx.array]) -> None:
    from mlx.utils import tree_flatten
    mine = dict(tree_flatten(model.parameters()))
    for k, v in prior.items():
        if k not in mine or mine[k].shape != v.shape:
            raise ValueError(f"next-file prior does not fit this configuration: {k} "
                             f"{tuple(v.shape)} vs {tuple(mine[k].shape) if k in mine else 'absent'}")
    model.load_weights(list(prior.items()), strict=False)


def pretrain_predictor(histories: list[list[Commit]], cfg: NextFileConfig, *, steps: int,
                       seed: int = 0, max_examples: int = 20000,
                       log: Callable[[str], None] = print) -> TemporalPredictor:
    """A prior over many repositories' histories: how files change together in general.

    Frames are path pieces (no per-file rows), so what it learns (tests with their modules, a
    changelog with code, workflow files together) carries to a history it has never seen.
    """
    t0 = time.perf_counter()
    sets = [_examples(h, cfg, max_examples=max_examples) for h in histories]
    mx.random.seed(seed)
    model = TemporalPredictor(cfg, 1, 0)
    log(f"nextfile prior: {sum(e.n for e in sets)} examples from {len(sets)} histories")
    _train(model, sets, cfg, steps, seed, log, tag="nextfile prior")
    log(f"nextfile prior: {time.perf_counter() - t0:.0f}s")
    return model


def train_predictor(commits: list[Commit], cfg: NextFileConfig, *, seed: int = 0,
                    file_vectors: dict[str, np.ndarray] | None = None,
                    prior: dict[str, mx.array] | None = None,
                    log: Callable[[str], None] = print) -> TrainedPredictor:
    """Train on `commits` only (the caller passes the history part), then freeze.

    With `prior` (from `prior_weights`), training starts from those weights instead of at random.
    """
    t0 = time.perf_counter()
    ex = _examples(commits, cfg, file_vectors)
    mx.random.seed(seed)
    model = TemporalPredictor(cfg, len(ex.vocab), ex.feat.vec_dims)
    if prior is not None:
        _load_prior(model, prior)
    if ex.n == 0 or len(ex.vocab) < 2:
        log(f"nextfile: no training examples ({len(commits)} commits)")
        model.eval()
        return TrainedPredictor(model, ex.feat, cfg, 0, time.perf_counter() - t0, frozenset())
    batch = min(cfg.batch, ex.n)
    steps = max(1, cfg.epochs * (ex.n // batch))
    _train(model, [ex], cfg, steps, seed, log)
    secs = time.perf_counter() - t0
    log(f"nextfile: trained on {ex.n} examples from {len(commits)} commits, {len(ex.vocab)} files, "
        f"{secs:.1f}s")
    return TrainedPredictor(model, ex.feat, cfg, ex.n, secs, ex.shas)


# --- fusion ranker ------------------------------------------------------------------------

FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "cochange": ("co_log", "conf", "conf_rev", "co_rank", "cr_rank", "co_gap", "freq_log", "ctx_conf",
                 "q_freq_log", "lin_co_log", "lin_conf"),
    "recency": ("rec_rank", "in_recent", "since_log", "in_last_commit"),
    "spatial": ("same_dir", "path_dist", "twin", "same_ext", "test_mix"),
    "model": ("model_cos", "model_rank"),
}
FEATURES: tuple[str, ...] = tuple(f for g in FEATURE_GROUPS.values() for f in g)
_MODEL_COS = FEATURES.index("model_cos")


class _Aux:
    """Statistics HistoryState does not keep: last touch time, last shared commit, last commits."""

    def __init__(self, k: int) -> None:
        self.last: dict[str, int] = {}
        self.co_last: defaultdict[str, dict[str, int]] = defaultdict(dict)
        self.last_commits: list[frozenset[str]] = []
        self.ctx = _Context(k)
        # Co-change that follows renames: a file's lineage is the path it was first known by, so a
        # moved file keeps what its history says (the baselines, by the protocol, start it afresh).
        self.lineage: dict[str, str] = {}
        self.lin_co: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.lin_freq: Counter[str] = Counter()

    def key(self, path: str) -> str:
        return self.lineage.get(path, path)

    def fork(self) -> _Aux:
        """A copy whose window and last commits can take pseudo-commits (editor activity)."""
        out = _Aux(self.ctx.k)
        out.last, out.co_last, out.last_commits = self.last, self.co_last, list(self.last_commits)
        out.lineage, out.lin_co, out.lin_freq = self.lineage, self.lin_co, self.lin_freq
        out.ctx = replace(self.ctx, events=list(self.ctx.events))
        return out

    def apply(self, c: Commit) -> None:
        files = sorted(c.files)
        for old, new in c.renames:
            self.lineage[new] = self.lineage.get(old, old)
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
        if files:
            self.last_commits = [*self.last_commits[-1:], frozenset(files)]
        self.ctx.apply(c)


def _candidate_features(q: Query, st: HistoryState, aux: _Aux, model: TrainedPredictor | None,
                        cfg: NextFileConfig) -> tuple[list[str], np.ndarray, list[str]]:
    """Candidates (union of each signal's top N) and their feature rows; also the model ranking."""
    f = q.file
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
    if lin:
        by_key = {aux.key(g): g for g in q.alive}
        cands.update(dict.fromkeys(by_key[k] for k, _ in lin.most_common(2 * n) if k in by_key))
    stem = core_stem(f)
    twins = [g for g in q.alive if g != f and core_stem(g) == stem]
    cands.update(dict.fromkeys(twins[:5]))
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
    co = st.co.get(f, Counter())
    co_pos = {g: i for i, g in enumerate(co_rank)}
    rec_pos = {g: i for i, g in enumerate(rec_rank)}
    fdir, fext, ftest = posixpath.dirname(f), posixpath.splitext(f)[1], is_test_path(f)
    fparts = f.split("/")[:-1]
    last = aux.last_commits[-1] if aux.last_commits else frozenset()
    co_last = aux.co_last.get(f, {})
    q_freq = math.log1p(st.freq[f])  # how much history the query has: when to trust the model
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
            math.log1p(c), c / st.freq[f] if st.freq[f] else 0.0, c / st.freq[g] if st.freq[g] else 0.0,
            1.0 / (1 + co_pos[g]) if g in co_pos else 0.0,
            1.0 / (1 + co_pos[g]) if g in co_pos else 1.0 / (1 + len(co_pos) + rec_pos.get(g, 99)),
            1.0 / (1 + math.log1p(max(hours_co, 0))) if hours_co is not None else 0.0,
            math.log1p(st.freq[g]), ctx_conf.get(g, 0.0), q_freq,
            math.log1p(lin.get(aux.key(g), 0)), lin.get(aux.key(g), 0) / lin_freq if lin_freq else 0.0,
            1.0 / (1 + rec_pos[g]) if g in rec_pos else 0.0, float(g in rec_pos),
            math.log1p(max(since, 0)) / 10, float(g in last),
            float(posixpath.dirname(g) == fdir), (len(fparts) + len(gparts) - 2 * common) / 4,
            float(core_stem(g) == stem), float(posixpath.splitext(g)[1] == fext),
            float(is_test_path(g) != ftest),
            model_score.get(g, -1.0), 1.0 / (1 + model_pos[g]) if g in model_pos else 0.0,
        )
    return names, rows, model_ranking


def _zscore(v: np.ndarray) -> np.ndarray:
    """Standardised over the query's candidates; a candidate the model did not score gets the minimum."""
    ok = v > -1.0
    out = np.zeros(len(v), np.float64)
    if ok.sum() > 1:
        out[ok] = (v[ok] - v[ok].mean()) / (v[ok].std() + 1e-6)
        out[~ok] = out[ok].min()
    return out


class FusionRanker:
    """Listwise ranker: a tiny MLP scores each candidate, softmax over a query's candidates.

    Plain numpy with hand-written gradients: the problem is a few hundred thousand rows of twenty
    features, where MLX's CPU batched matmul costs ~100x more than numpy's 2-D one.
    """

    def __init__(self, features: tuple[str, ...], cfg: NextFileConfig) -> None:
        self.features, self.cfg = features, cfg
        self.cols = [FEATURES.index(f) for f in features]
        self.mean = np.zeros(len(self.cols), np.float32)
        self.std = np.ones(len(self.cols), np.float32)
        self.params = self._init(np.random.default_rng(0))
        # The product's fusion: this times the model's cosine, standardised over the query's
        # candidates, is added to the score (the ranker itself then reads no model feature).
        self.residual = 0.0

    def _init(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        d, h = len(self.cols), self.cfg.ranker_hidden
        if not h:
            return {"w2": np.zeros((d, 1)), "b2": np.zeros(1)}
        return {"w1": rng.uniform(-1, 1, (d, h)) / math.sqrt(d), "b1": np.zeros(h),
                "w2": rng.uniform(-1, 1, (h, 1)) / math.sqrt(h), "b2": np.zeros(1)}

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        h = np.tanh(x @ p["w1"] + p["b1"]) if "w1" in p else x
        return (h @ p["w2"] + p["b2"])[:, 0], h

    def fit(self, data: list[tuple[np.ndarray, np.ndarray]], seed: int = 0) -> FusionRanker:
        """data: per query, (feature rows, 0/1 truth per row); queries with no positive are skipped."""
        kept = [(x, y) for x, y in data if y.any()]
        self.params = self._init(np.random.default_rng(seed))
        if not kept:
            return self
        allx = np.concatenate([x[:, self.cols] for x, _ in kept]).astype(np.float64)
        data = [(None, y) for _, y in kept]  # the truth per query; the rows are in allx
        del kept
        self.mean, self.std = allx.mean(0), allx.std(0) + 1e-4
        q, m = len(data), max(len(y) for _, y in data)
        # The candidates' rows in query order, which is the order of the True cells of `ms`
        # (row-major), with no padded [queries x most candidates] matrix in between.
        x2 = allx
        x2 -= self.mean
        x2 /= self.std
        del allx
        ys = np.zeros((q, m), bool)
        ms = np.zeros((q, m), bool)
        for i, (_, y) in enumerate(data):
            ys[i, : len(y)] = y > 0
            ms[i, : len(y)] = True
        moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in self.params.items()}
        lr, l2, (b1, b2) = self.cfg.ranker_lr, self.cfg.ranker_l2, (0.9, 0.999)
        for t in range(1, self.cfg.ranker_steps + 1):
            s_flat, h = self._forward(x2)
            s = np.full((q, m), -1e9)
            s[ms] = s_flat
            p_all = np.exp(s - s.max(1, keepdims=True))
            p_all /= p_all.sum(1, keepdims=True)
            st = np.where(ys, s, -1e9)
            p_pos = np.exp(st - st.max(1, keepdims=True))
            p_pos /= p_pos.sum(1, keepdims=True)
            ds = ((p_all - p_pos) / q)[ms][:, None]  # d loss / d score
            grads = {"w2": h.T @ ds, "b2": ds.sum(0)}
            if "w1" in self.params:
                dz = (ds @ self.params["w2"].T) * (1 - h ** 2)
                grads |= {"w1": x2.T @ dz, "b1": dz.sum(0)}
            for k, g in grads.items():
                g = g + 2 * l2 * self.params[k]
                m1, m2 = moments[k]
                m1 *= b1
                m1 += (1 - b1) * g
                m2 *= b2
                m2 += (1 - b2) * g * g
                self.params[k] -= lr * (m1 / (1 - b1 ** t)) / (np.sqrt(m2 / (1 - b2 ** t)) + 1e-8)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        s = self._forward((rows[:, self.cols] - self.mean) / self.std)[0]
        return s + self.residual * _zscore(rows[:, _MODEL_COS]) if self.residual else s

    def rank(self, names: list[str], rows: np.ndarray, fallback: list[str]) -> list[str]:
        """Candidates by score (ties: the fallback's order), then the rest of the fallback."""
        s = self.score(rows)
        pos = {g: i for i, g in enumerate(fallback)}
        order = sorted(range(len(names)), key=lambda i: (-s[i], pos.get(names[i], len(pos)), names[i]))
        ranked = [names[i] for i in order]
        taken = set(ranked)
        return ranked + [g for g in fallback if g not in taken]


def _fit_ranker(cols: tuple[str, ...], cfg: NextFileConfig, data: list[tuple[np.ndarray, np.ndarray]],
                seed: int, log: Callable[[str], None]) -> FusionRanker:
    """Choose the L2 weight on the fit queries' own later part (time order), then refit on all."""
    cut = int(len(data) * 0.7)
    best = (-1.0, cfg.ranker_l2_grid[0] if len(cfg.ranker_l2_grid) == 1 else cfg.ranker_l2)
    if len(cfg.ranker_l2_grid) > 1 and cut and len(data) - cut >= 20:
        for l2 in cfg.ranker_l2_grid:
            r = FusionRanker(cols, replace(cfg, ranker_l2=l2)).fit(data[:cut], seed)
            s = Scorer()
            for rows, y in data[cut:]:
                order = np.argsort(-r.score(rows), kind="stable")
                s.add((int(i) for i in order), frozenset(np.flatnonzero(y).tolist()))
            best = max(best, (s.result()["mrr"], l2))
    log(f"nextfile: ranker without {sorted(set(FEATURES) - set(cols)) or 'nothing'}: l2 {best[1]}")
    return FusionRanker(cols, replace(cfg, ranker_l2=best[1])).fit(data, seed)


def _query_rows(commits: list[Commit], model: TrainedPredictor | None, cfg: NextFileConfig):
    """Walk iter_queries on `commits`, yielding (query, state, names, rows, model ranking)."""
    aux = _Aux(cfg.context)
    applied = 0
    for q, st in iter_queries(commits):
        while applied < q.commit_index:
            aux.apply(commits[applied])
            applied += 1
        names, rows, mranking = _candidate_features(q, st, aux, model, cfg)
        yield q, st, names, rows, mranking


def _variants() -> dict[str, tuple[str, ...]]:
    """The fused rankers: product, stats (no model) and product minus each other group."""
    out = {"product": FEATURES}
    for g, cols in FEATURE_GROUPS.items():
        out["stats" if g == "model" else f"product-{g}"] = tuple(f for f in FEATURES if f not in cols)
    return out


@dataclass
class FittedPipeline:
    model: TrainedPredictor
    rankers: dict[str, FusionRanker]
    fit_queries: int
    seconds: float
    prior: bool = False  # whether the predictors started from a prior


def fit_pipeline(history: list[Commit], cfg: NextFileConfig, *, seed: int = 0,
                 file_vectors: dict[str, np.ndarray] | None = None,
                 prior: dict[str, mx.array] | None = None,
                 variants: Iterable[str] | None = None,
                 log: Callable[[str], None] = print) -> FittedPipeline:
    """Everything learned from `history` (and nothing else).

    `variants` names the rankers to fit (default: all of `_variants()`, as the benchmark needs;
    the product alone serves the editor).

    The rankers are fit on the queries of history's own last 20%, with a predictor trained on the
    commits before them; the returned predictor is then trained on all of `history`.
    """
    t0 = time.perf_counter()
    if prior is None:
        from vjepa_core.model.nextfile.prior import load_prior

        prior = load_prior(cfg, log=log)
    inner = int(len(history) * SPLIT)
    early = train_predictor(history[:inner], cfg, seed=seed, file_vectors=file_vectors, prior=prior,
                            log=log)
    data = []
    for q, _, names, rows, _ in _query_rows(history, early, cfg):
        data.append((rows, np.array([g in q.truth for g in names], np.float32)))
    wanted = {k: v for k, v in _variants().items() if variants is None or k in set(variants)}
    if cfg.model_residual is None:
        rankers = {name: _fit_ranker(cols, cfg, data, seed, log) for name, cols in wanted.items()}
    else:  # one fit per column set: `product` and `stats` share theirs, only the residual differs
        model_cols = set(FEATURE_GROUPS["model"])
        by_cols: dict[tuple[str, ...], FusionRanker] = {}
        rankers = {}
        for name, cols in wanted.items():
            base_cols = tuple(c for c in cols if c not in model_cols)
            if base_cols not in by_cols:
                by_cols[base_cols] = _fit_ranker(base_cols, cfg, data, seed, log)
            rankers[name] = copy.copy(by_cols[base_cols])
            rankers[name].residual = 0.0 if name == "stats" else cfg.model_residual
    log(f"nextfile: fusion fit on {len(data)} queries of the training history")
    model = train_predictor(history, cfg, seed=seed, file_vectors=file_vectors, prior=prior, log=log)
    return FittedPipeline(model, rankers, len(data), time.perf_counter() - t0, prior is not None)


def bench_next_file(repo: Path, *, seed: int = 0, file_vectors: dict[str, np.ndarray] | None = None,
                    log: Callable[[str], None] = print, cfg: NextFileConfig | None = None,
                    commits: list[Commit] | None = None,
                    prior: dict[str, mx.array] | None = None) -> dict:
    """BENCHMARKS.md section 1: baselines, model, product, stats and the ablation, in one run."""
    cfg = cfg or NextFileConfig()
    commits = read_commits(Path(repo)) if commits is None else commits
    split = int(len(commits) * SPLIT)
    fitted = fit_pipeline(commits[:split], cfg, seed=seed, file_vectors=file_vectors, prior=prior,
                          log=log)
    names = ["cochange", "recency", "cochange+recency", "model", *fitted.rankers]
    scorers = {n: Scorer() for n in names}
    for q, st, cands, rows, mranking in _query_rows(commits, fitted.model, cfg):
        for b in ("cochange", "recency", "cochange+recency"):
            scorers[b].add(BASELINES[b](q, st), q.truth)
        scorers["model"].add(mranking, q.truth)
        fallback = st.rank_cochange_recency(q.file)
        for n, r in fitted.rankers.items():
            scorers[n].add(r.rank(cands, rows, fallback), q.truth)
    res = {n: s.result() for n, s in scorers.items()}
    main = ("cochange", "recency", "cochange+recency", "model", "product", "stats")
    log(f"nextfile: {fitted.model.examples} training examples, fusion fit on {fitted.fit_queries} "
        f"queries, train {fitted.seconds:.1f}s, peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return {
        "repo": str(repo),
        "queries": scorers["model"].n,
        "methods": {n: res[n] for n in main},
        "ablation": {n: res[n] for n in names if n.startswith("product-") or n in ("product", "stats")},
        "train_seconds": round(fitted.seconds, 2),
        "prior": fitted.prior,
    }


# --- runtime API --------------------------------------------------------------------------

PIPELINE_FORMAT = 1


def _prior_id(cfg: NextFileConfig) -> str:
    """The shipped prior's checksum, or "" when there is none to start from."""
    from vjepa_core.model.nextfile.prior import prior_id

    return prior_id(cfg)


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
        self.aux = _Aux(self.cfg.context)

    def fit(self, commits: list[Commit]) -> NextFilePredictor:
        self.fitted = fit_pipeline(commits, self.cfg, seed=self.seed, file_vectors=self.file_vectors,
                                   variants=("product",), log=self.log)
        self.fitted_on, self.fitted_count = [c.sha for c in commits[-1:]], len(commits)
        self._replay(commits)
        return self

    def _replay(self, commits: list[Commit]) -> None:
        self.state, self.aux = HistoryState(), _Aux(self.cfg.context)
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
                "prior_id": _prior_id(self.cfg) if f.prior else "", "rankers": rankers}
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
            if meta["prior"] and meta.get("prior_id") != _prior_id(cfg):
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
             k: int) -> list[tuple[str, float, str]]:
        """Top k (path, score, reason) for the file after `recent_files` (oldest first)."""
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
        names, rows, _ = _candidate_features(q, self.state, aux, self.fitted.model, self.cfg)
        ranker = self.fitted.rankers["product"]
        scores = ranker.score(rows)
        order = sorted(range(len(names)), key=lambda i: (-scores[i], names[i]))[:k]
        return [(names[i], float(scores[i]), self._reason(rows[i])) for i in order]

    @staticmethod
    def _reason(row: np.ndarray) -> str:
        """The dominant signal: temporal (co-change, recency), spatial (paths) or semantic (model)."""
        idx = {f: i for i, f in enumerate(FEATURES)}
        temporal = max(row[idx["co_rank"]], row[idx["rec_rank"]])
        spatial = 0.5 * (row[idx["same_dir"]] + row[idx["twin"]])
        semantic = row[idx["model_rank"]]
        best = max((temporal, "temporal"), (semantic, "semantic"), (spatial, "spatial"))
        return best[1]
