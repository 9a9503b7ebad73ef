"""Training the temporal predictor: examples from a history, the InfoNCE loop, one repo or a prior.

Trained with InfoNCE over every known file (a drawn part of them in a history of more than
`NextFileConfig.infonce_files`) on the training commits only, then frozen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
from mlx import nn

from vjepa_core.harvest.history import Commit
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.context import RecentWindow, model_context
from vjepa_core.model.nextfile.frames import FrameFeaturizer
from vjepa_core.model.nextfile.predictor import TemporalPredictor, TrainedPredictor, unit_norm
from vjepa_core.model.nextfile.prior import start_from_prior
from vjepa_core.patterns.cochange import HistoryState
from vjepa_core.patterns.temporal import MAX_FILES


@dataclass
class Examples:
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


def training_examples(commits: list[Commit], cfg: NextFileConfig,
              file_vectors: dict[str, np.ndarray] | None = None,
              max_examples: int | None = None) -> Examples:
    """The examples of `commits` (the newest `max_examples` of them, if given)."""
    feat = FrameFeaturizer((p for c in commits for _, p in c.changes), cfg, file_vectors)
    vocab = list(feat.seen_paths)
    index = {p: i for i, p in enumerate(vocab)}
    v = len(vocab)
    ctx_state = RecentWindow(cfg.context)
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
    return Examples(
        feat, vocab, np.array(qs[keep], np.int32).reshape(-1),
        np.array(ctxs[keep], np.int32).reshape(-1, length), np.array(gaps[keep], np.int32).reshape(-1, length),
        np.array(ages[keep], np.int32).reshape(-1, length), np.array(masks[keep], np.float32).reshape(-1, length),
        targets[keep], frozenset(shas))


def batch_files(e: Examples, idx: np.ndarray, most: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The files one step's InfoNCE reads in a history of more than `most`: the batch's own (its
    queries, context files and targets), then others drawn at random up to `most` in all. Returns
    them (vocabulary indexes) and each one's correction to its logit, log(1 / its chance of being
    drawn): 0 for the batch's own, log(others / drawn) for the drawn, so the softmax's denominator
    is the full one's in expectation (sampled softmax)."""
    v = len(e.vocab)
    own = np.unique(np.concatenate([e.q[idx], e.ctx[idx][e.mask[idx] > 0],
                                    np.array([g for i in idx for g in e.targets[i]], np.int32)]).astype(np.int64))
    others = np.setdiff1d(np.arange(v), own, assume_unique=True)
    drawn = rng.choice(others, min(max(most - len(own), 0), len(others)), replace=False)
    correction = np.zeros(len(own) + len(drawn), np.float32)
    if len(drawn):
        correction[len(own):] = np.log(len(others) / len(drawn))
    return np.concatenate([own, np.sort(drawn)]), correction


def train_infonce(model: TemporalPredictor, sets: list[Examples], cfg: NextFileConfig, steps: int,
           seed: int, log: Callable[[str], None], tag: str = "nextfile") -> None:
    """InfoNCE over each history's own files; a batch is drawn from one history at a time."""
    sets = [e for e in sets if e.n and len(e.vocab) >= 2]
    if not sets or steps <= 0:
        return
    encs = [{k: mx.array(a) for k, a in e.feat.encode(e.vocab).items()} for e in sets]

    def multi_hot(rows: Sequence[Sequence[int]] | dict[int, np.ndarray], idx: np.ndarray, v: int) -> mx.array:
        t = np.zeros((len(idx), v), np.float32)  # per batch: examples x files would not scale
        for row, i in enumerate(idx):
            t[row, rows[i]] = 1.0
        return mx.array(t)

    def logits_of(m: TemporalPredictor, enc, q, ctx, gap, age, mask):
        table = unit_norm(m.frames(enc))
        v = table.shape[0]
        full = mx.concatenate([table, mx.zeros((1, table.shape[1]))])
        pred = unit_norm(m(full, q, ctx, gap, age, mask))
        logits = (pred @ table.T) / cfg.temperature
        return mx.where(mx.arange(v)[None, :] == q[:, None], -1e9, logits)

    def infonce(logits, t):
        pos = mx.logsumexp(mx.where(t > 0, logits, -1e9), axis=1)
        return (mx.logsumexp(logits, axis=1) - pos).mean()

    def loss_fn(m: TemporalPredictor, enc, q, ctx, gap, age, mask, t):
        return infonce(logits_of(m, enc, q, ctx, gap, age, mask), t)

    def loss_sampled(m: TemporalPredictor, enc, q, ctx, gap, age, mask, t, correction):
        return infonce(logits_of(m, enc, q, ctx, gap, age, mask) + correction, t)

    sched = optim.cosine_decay(cfg.lr, steps, cfg.lr * 0.05)
    opt = optim.AdamW(sched, weight_decay=cfg.weight_decay, bias_correction=True)
    grads_of = {False: nn.value_and_grad(model, loss_fn), True: nn.value_and_grad(model, loss_sampled)}
    state = [model.state, opt.state]

    def step(sampled: bool, *args):
        loss, grads = grads_of[sampled](model, *args)
        grads, _ = optim.clip_grad_norm(grads, 10.0)
        opt.update(model, grads)
        return loss

    # One history of every file: compiled once. Several: their vocabularies differ in size, and a
    # compiled step per shape would cost more than it saves; nor when files are drawn (a step's count varies).
    sampled = [len(e.vocab) > cfg.infonce_files for e in sets]
    full_fn = partial(step, False)
    full_fn = mx.compile(full_fn, inputs=state, outputs=state) if len(sets) == 1 and not sampled[0] else full_fn
    rng, draws = np.random.default_rng(seed), np.random.default_rng(seed + 1)
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
        if sampled[r]:
            files, correction = batch_files(e, idx, cfg.infonce_files, draws)
            at = np.full(v + 1, len(files), np.int32)  # a file's row among them; the padding last
            at[files] = np.arange(len(files), dtype=np.int32)
            loss = step(True, {k: a[mx.array(files)] for k, a in encs[r].items()}, mx.array(at[e.q[idx]]),
                        mx.array(at[e.ctx[idx]]), mx.array(e.gap[idx]), mx.array(e.age[idx]), mx.array(e.mask[idx]),
                        multi_hot({i: at[e.targets[i]] for i in idx}, idx, len(files)),
                        mx.array(correction))
        else:
            loss = full_fn(encs[r], mx.array(e.q[idx]), mx.array(e.ctx[idx]), mx.array(e.gap[idx]),
                           mx.array(e.age[idx]), mx.array(e.mask[idx]), multi_hot(e.targets, idx, v))
        mx.eval(loss, model.state, opt.state)
        losses.append(loss.item())
        if done % max(1, steps // 4) == 0 or done == steps:
            log(f"{tag}: step {done}/{steps} loss {np.mean(losses[-20:]):.3f}")
    model.eval()


def pretrain_predictor(histories: list[list[Commit]], cfg: NextFileConfig, *, steps: int,
                       seed: int = 0, max_examples: int = 20000,
                       log: Callable[[str], None] = print) -> TemporalPredictor:
    """A prior over many repositories' histories: how files change together in general.

    Frames are path pieces (no per-file rows), so what it learns (tests with their modules, a
    changelog with code, workflow files together) carries to a history it has never seen.
    """
    t0 = time.perf_counter()
    sets = [training_examples(h, cfg, max_examples=max_examples) for h in histories]
    mx.random.seed(seed)
    model = TemporalPredictor(cfg, 1, 0)
    log(f"nextfile prior: {sum(e.n for e in sets)} examples from {len(sets)} histories")
    train_infonce(model, sets, cfg, steps, seed, log, tag="nextfile prior")
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
    ex = training_examples(commits, cfg, file_vectors)
    mx.random.seed(seed)
    model = TemporalPredictor(cfg, len(ex.vocab), ex.feat.vec_dims)
    if prior is not None:
        start_from_prior(model, prior)
    if ex.n == 0 or len(ex.vocab) < 2:
        log(f"nextfile: no training examples ({len(commits)} commits)")
        model.eval()
        return TrainedPredictor(model, ex.feat, cfg, 0, time.perf_counter() - t0, frozenset())
    batch = min(cfg.batch, ex.n)
    steps = max(1, cfg.epochs * (ex.n // batch))
    train_infonce(model, [ex], cfg, steps, seed, log)
    secs = time.perf_counter() - t0
    log(f"nextfile: trained on {ex.n} examples from {len(commits)} commits, {len(ex.vocab)} files, "
        f"{secs:.1f}s")
    return TrainedPredictor(model, ex.feat, cfg, ex.n, secs, ex.shas)
