"""JEPA training of the unit encoder, collapse monitors, and unit/query embedding.

The method in a few lines (I-JEPA / V-JEPA on a unit's tokens):
- A target encoder (EMA of the context encoder, never trained by gradients) reads the whole unit;
  its outputs, LayerNorm'd without affine, are the targets.
- The context encoder reads the same unit with the target spans *hidden through the attention mask*
  (no query ever attends to a target key, so nothing of a target leaks into the context; positions
  stay as in the unit). Its outputs at target positions are discarded: the predictor replaces them
  with a learned mask token plus its own position embedding and predicts the targets. Loss: L1.
- Cross-view term, for natural-language search: for units with a docstring or leading comment (or
  else a signature), a small head on the context encoder's pooled embedding of that view predicts
  the target encoder's pooled embedding of the body (the unit with its docstring removed), under
  stop-gradient. The loss is InfoNCE over the batch's bodies (cosine / temperature): a plain
  cosine regression was met by predicting the corpus-mean direction (pooled vectors share a large
  common component) and left retrieval at chance, while ranking the right body first is exactly
  what search needs. Ranking is unaffected by the common component since unit vectors have norm 1.
Unit vectors are the L2-normalised mean of the target encoder's outputs over non-pad tokens;
query vectors pass a query through the same encoder and then the cross-view head.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
from mlx import nn
from mlx.utils import tree_flatten, tree_map

from vjepa_core.harvest.units import CodeUnit
from vjepa_core.model.blas import blas_threads
from vjepa_core.model.encoder.checkpoint import Checkpoint
from vjepa_core.model.encoder.masks import MaskConfig, sample_masks
from vjepa_core.model.encoder.network import CrossViewHead, Encoder, EncoderConfig, Predictor, masked_mean
from vjepa_core.model.encoder.tokenizer import CodeTokenizer


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 300
    batch_size: int = 32
    lr: float = 5e-4
    min_lr_ratio: float = 0.05  # cosine decays to lr * min_lr_ratio
    warmup: int = 30
    weight_decay: float = 0.04  # on matrices and embeddings only, not on norms and biases
    # EMA momentum, linear from start to end. The time constant 1/(1-m) (100 -> 200 steps) must stay
    # well below `steps`, or the targets stay close to the random initialisation.
    ema_start: float = 0.99
    ema_end: float = 0.995
    grad_clip: float = 10.0
    seed: int = 0
    cross_view_weight: float = 0.25
    cross_view_temperature: float = 0.05  # InfoNCE over the batch's (doc view, body) pairs
    # Anti-collapse (VICReg-style) on the context encoder's pooled embeddings of the batch, rescaled
    # to RMS 1 per dimension: a hinge keeps every dimension's std across units above the target, and
    # a covariance penalty decorrelates dimensions. Without it, short runs on small repos collapse to
    # position-only features (a falling loss with mean pairwise cosine -> 1).
    variance_weight: float = 1.0
    variance_target: float = 0.5
    covariance_weight: float = 0.1
    cross_view_batch: int = 32
    doc_max_len: int = 48  # tokens of a docstring / signature view
    length_buckets: tuple[int, ...] = (32, 64)  # plus max_len; fewer pad tokens, few compiled shapes
    monitor_every: int = 50
    probe_size: int = 128
    log_every: int = 10
    compile: bool = True
    mask: MaskConfig = field(default_factory=MaskConfig)


# ---- views ---------------------------------------------------------------------------------------
_PY_DOC = re.compile(
    r"(?s)\A(?P<head>(?:[ \t]*@[^\n]*\n)*[ \t]*(?:async[ \t]+)?(?:def|class)\b.*?:[ \t]*(?:#[^\n]*)?\n)"
    r"(?:[ \t]*\n)*[ \t]*[rRuU]?(?P<q>\"\"\"|'''|\"|')(?P<doc>.*?)(?P=q)[ \t]*(?:\n|\Z)"
)
_PY_HEAD = re.compile(r"(?s)\A(?:[ \t]*@[^\n]*\n)*(?P<sig>[ \t]*(?:async[ \t]+)?(?:def|class)\b.*?:)[ \t]*(?:#.*?)?\n")
_COMMENT_LINE = re.compile(r"^[ \t]*(//+!?|#+(?!!)|/\*+|\*+/?|--)(?P<text>.*)$")
_SIG_KINDS = frozenset({"function", "method", "class", "struct", "enum", "interface", "trait", "impl"})


def _strip_comment_markers(lines: list[str]) -> str:
    out = []
    for line in lines:
        m = _COMMENT_LINE.match(line)
        text = m.group("text") if m else line
        out.append(text.replace("*/", "").strip())
    return "\n".join(t for t in out if t).strip()


def make_views(unit_text: str, kind: str, name: str) -> tuple[str | None, str]:
    """(doc view, body view) of a unit: a natural-language or signature view and the code it describes.

    The doc view is a Python docstring, else a leading `//`, `#`, `/* */` or `/** */` comment, else
    (for definitions) the name and signature line. The body view is the unit without its docstring
    or leading comment; for a signature view it is the whole unit.
    """
    m = _PY_DOC.match(unit_text)
    if m and m.group("doc").strip():
        body = unit_text[: m.end("head")] + unit_text[m.end():]
        return inspect.cleandoc(m.group("doc")), body
    lines = unit_text.split("\n")
    n = 0
    in_block = False
    while n < len(lines):
        s = lines[n].strip()
        if in_block:
            in_block = "*/" not in s
        elif s.startswith("/*"):
            in_block = "*/" not in s[2:]
        elif not (s.startswith("//") or (s.startswith("#") and not s.startswith(("#!", "#include", "#[")))):
            break
        n += 1
    doc = _strip_comment_markers(lines[:n]) if n else ""
    if doc and n < len(lines):
        return doc, "\n".join(lines[n:])
    if kind in _SIG_KINDS or not kind:
        h = _PY_HEAD.match(unit_text)
        if h:
            return h.group("sig").strip(), unit_text
        if kind and lines:
            first = lines[0].strip().rstrip("{").strip()
            return (f"{name} {first}".strip() if name and name not in first else first) or None, unit_text
    return None, unit_text


# ---- collapse monitors ---------------------------------------------------------------------------
def collapse_stats(embeddings: np.ndarray) -> dict[str, float]:
    """Collapse monitors of [N, D] embeddings, computed on their L2-normalised rows.

    std: mean over dimensions of the std across samples; 0 means every sample is the same vector,
      1/sqrt(D) is what isotropic unit vectors give (std_ratio = std * sqrt(D) makes that 1).
    rank: RankMe effective rank, exp of the entropy of the normalised singular values (1..min(N, D)).
    cos: mean pairwise cosine between different samples; near 1 means collapse.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    n, d = x.shape
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    std = float(x.std(axis=0).mean())
    s = np.linalg.svd(x, compute_uv=False)
    p = s / max(s.sum(), 1e-12) + 1e-12
    rank = float(np.exp(-(p * np.log(p)).sum()))
    total = x.sum(axis=0)
    cos = float((total @ total - n) / max(n * (n - 1), 1))
    return {"std": std, "std_ratio": std * math.sqrt(d), "rank": rank, "cos": cos}


# ---- training ------------------------------------------------------------------------------------
class JEPA(nn.Module):
    """The trained parts: context encoder, predictor, cross-view head."""

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.encoder = Encoder(cfg)
        self.predictor = Predictor(cfg)
        self.cross_head = CrossViewHead(cfg)


def _no_decay(path: str, weight: mx.array) -> bool:
    return weight.ndim < 2  # norms and biases


def _schedule(cfg: TrainConfig) -> Callable[[mx.array], mx.array]:
    warmup = max(1, min(cfg.warmup, cfg.steps - 1))
    return optim.join_schedules(
        [
            optim.linear_schedule(cfg.lr * 1e-3, cfg.lr, warmup),
            optim.cosine_decay(cfg.lr, max(1, cfg.steps - warmup), cfg.lr * cfg.min_lr_ratio),
        ],
        [warmup],
    )


def _optimizer(cfg: TrainConfig) -> optim.Optimizer:
    schedule = _schedule(cfg)
    return optim.MultiOptimizer(
        [
            optim.AdamW(schedule, betas=[0.9, 0.999], weight_decay=0.0, bias_correction=True),
            optim.AdamW(schedule, betas=[0.9, 0.999], weight_decay=cfg.weight_decay, bias_correction=True),
        ],
        [_no_decay],
    )


def _loss(
    model: JEPA,
    ids: mx.array,
    keep: mx.array,
    target: mx.array,
    target_feats: mx.array,
    doc_ids: mx.array,
    body_vec: mx.array,
    doc_weight: mx.array,
    weights: tuple[float, float, float, float, float],
) -> tuple[mx.array, mx.array, mx.array, mx.array]:
    cross_view_weight, temperature, variance_weight, variance_target, covariance_weight = weights
    ctx = model.encoder(ids, keep)
    pred = model.predictor(ctx, keep, target)
    tm = target.astype(mx.float32)[..., None]
    jepa = (mx.abs(pred - target_feats) * tm).sum() / mx.maximum(tm.sum() * pred.shape[-1], 1.0)
    doc = model.cross_head(masked_mean(model.encoder(doc_ids), doc_ids != 0))
    doc = doc / (mx.linalg.norm(doc, axis=-1, keepdims=True) + 1e-6)
    body = body_vec / (mx.linalg.norm(body_vec, axis=-1, keepdims=True) + 1e-6)
    logits = (doc @ body.T) / temperature
    nce = nn.losses.cross_entropy(logits, mx.arange(doc.shape[0]))
    cross = (nce * doc_weight).sum() / mx.maximum(doc_weight.sum(), 1.0)
    reg = variance_weight * _variance_hinge(masked_mean(ctx, keep), variance_target, covariance_weight)
    return jepa + cross_view_weight * cross + reg, jepa, cross, reg


def _variance_hinge(z: mx.array, target: float, covariance_weight: float) -> mx.array:
    B, D = z.shape
    z = z / (mx.linalg.norm(z, axis=-1, keepdims=True) + 1e-6) * math.sqrt(D)
    z = z - z.mean(axis=0)
    std = mx.sqrt((z * z).sum(axis=0) / (B - 1) + 1e-4)
    cov = (z.T @ z) / (B - 1)
    off = (cov * cov).sum() - (mx.diagonal(cov) ** 2).sum()
    return nn.relu(target - std).mean() + covariance_weight * off / D


def _bucket_len(n: int, buckets: Sequence[int], max_len: int) -> int:
    return next((b for b in sorted(buckets) if n <= b < max_len), max_len)


def _as_view_input(unit: str | CodeUnit) -> tuple[str, str, str]:
    if isinstance(unit, str):
        return unit, "", ""
    return unit.text, unit.kind, unit.name


def init_models(enc_cfg: EncoderConfig, init: Checkpoint | None) -> tuple[JEPA, Encoder]:
    """The context encoder + predictor + head (trained; from `init` when given) and the target
    encoder (EMA only, frozen), starting equal to the context encoder."""
    model = JEPA(enc_cfg)
    target = Encoder(enc_cfg)
    if init is not None:
        model.encoder.load_weights(init.module_weights("encoder"), strict=True)
        if init.has("predictor"):
            model.predictor.load_weights(init.module_weights("predictor"), strict=True)
        if init.has("cross_head"):
            model.cross_head.load_weights(init.module_weights("cross_head"), strict=True)
    target.update(tree_map(lambda p: p, model.encoder.parameters()))
    target.freeze()
    return model, target


def train_encoder(
    units: Sequence[str] | Sequence[CodeUnit],
    tokenizer: CodeTokenizer,
    enc_cfg: EncoderConfig,
    train_cfg: TrainConfig = TrainConfig(),
    *,
    init: Checkpoint | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> Checkpoint:
    """Train (or, from `init`, fine-tune) the unit encoder on `units` and return the checkpoint.

    `units` are unit texts, or CodeUnits (whose kind and name help find signature views).
    Deterministic given `train_cfg.seed`: same inputs, same weights.
    """
    cfg = train_cfg
    log = log or (lambda _: None)
    if tokenizer.vocab_size > enc_cfg.vocab_size:
        raise ValueError(f"tokenizer has {tokenizer.vocab_size} tokens, encoder config only {enc_cfg.vocab_size}")
    if init is not None and init.encoder_config != enc_cfg:
        raise ValueError("init checkpoint has a different encoder config; fine-tuning keeps the architecture")
    # Compared as data: a tokenizer loaded from a checkpoint serialises with other whitespace.
    if init is not None and json.loads(tokenizer.to_json()) != json.loads(init.tokenizer_json):
        raise ValueError("fine-tuning must use the init checkpoint's tokenizer (init.tokenizer)")
    if not units:
        raise ValueError("no units to train on")
    mx.random.seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)

    # Data: token ids once, length buckets for the JEPA batches, (doc, body) pairs for cross-view.
    triples = [_as_view_input(u) for u in units]
    ids_all = tokenizer.encode_batch([t for t, _, _ in triples], enc_cfg.max_len)
    lengths = (ids_all != 0).sum(axis=1)
    bucket_of = np.array([_bucket_len(int(n), cfg.length_buckets, enc_cfg.max_len) for n in lengths])
    buckets = {b: np.flatnonzero(bucket_of == b) for b in sorted(set(bucket_of.tolist()))}
    bucket_keys = list(buckets)
    bucket_p = np.array([len(buckets[b]) for b in bucket_keys], dtype=np.float64)
    bucket_p /= bucket_p.sum()
    pairs = [(d, b) for d, b in (make_views(*t) for t in triples) if d]
    doc_ids_all = tokenizer.encode_batch([d for d, _ in pairs], cfg.doc_max_len) if pairs else None
    body_ids_all = tokenizer.encode_batch([b for _, b in pairs], enc_cfg.max_len) if pairs else None
    probe = ids_all[rng.choice(len(ids_all), size=min(cfg.probe_size, len(ids_all)), replace=False)]

    model, target = init_models(enc_cfg, init)
    mx.eval(model.parameters(), target.parameters())
    optimizer = _optimizer(cfg)
    optimizer.init(model.trainable_parameters())
    loss_and_grad = nn.value_and_grad(model, _loss)

    state = [model.state, optimizer.state, target.state, mx.random.state]
    loss_weights = (cfg.cross_view_weight, cfg.cross_view_temperature,
                    cfg.variance_weight, cfg.variance_target, cfg.covariance_weight)

    def step(
        ids: mx.array, keep: mx.array, tmask: mx.array, doc_ids: mx.array, body_ids: mx.array,
        doc_weight: mx.array, momentum: mx.array,
    ) -> tuple[mx.array, ...]:
        feats = target(ids)
        feats = mx.stop_gradient(mx.fast.layer_norm(feats, None, None, enc_cfg.norm_eps))
        body_vec = mx.stop_gradient(target.pool(body_ids))
        (loss, jepa, cross, reg), grads = loss_and_grad(model, ids, keep, tmask, feats, doc_ids, body_vec,
                                                        doc_weight, loss_weights)
        grads, grad_norm = optim.clip_grad_norm(grads, cfg.grad_clip)
        optimizer.update(model, grads)
        target.update(tree_map(lambda t, c: momentum * t + (1.0 - momentum) * c,
                               target.parameters(), model.encoder.parameters()))
        return loss, jepa, cross, reg, grad_norm

    if cfg.compile:
        step = partial(mx.compile, inputs=state, outputs=state)(step)

    def monitor() -> dict[str, float]:
        emb = np.array(target.pool(mx.array(probe)))
        return {f"probe_{k}": v for k, v in collapse_stats(emb).items()}

    history: list[dict[str, Any]] = []
    stats = monitor()
    log({"step": 0, **stats})
    t0 = time.perf_counter()
    last: dict[str, Any] = {}
    for it in range(1, cfg.steps + 1):
        b = bucket_keys[int(rng.choice(len(bucket_keys), p=bucket_p))]
        pool_idx = buckets[b]
        idx = rng.choice(pool_idx, size=cfg.batch_size, replace=len(pool_idx) < cfg.batch_size)
        ids = ids_all[idx, :b]
        keep, tmask = sample_masks(ids, rng, cfg.mask, tokenizer.newline_ids)
        if pairs:
            pidx = rng.choice(len(pairs), size=cfg.cross_view_batch, replace=len(pairs) < cfg.cross_view_batch)
            doc_ids, body_ids = doc_ids_all[pidx], body_ids_all[pidx]  # type: ignore[index]
            doc_weight = np.ones(cfg.cross_view_batch, dtype=np.float32)
        else:
            doc_ids = np.zeros((cfg.cross_view_batch, cfg.doc_max_len), dtype=np.int32)
            body_ids = np.zeros((cfg.cross_view_batch, enc_cfg.max_len), dtype=np.int32)
            doc_weight = np.zeros(cfg.cross_view_batch, dtype=np.float32)
        frac = (it - 1) / max(1, cfg.steps - 1)
        momentum = mx.array(cfg.ema_start + (cfg.ema_end - cfg.ema_start) * frac, dtype=mx.float32)
        out = step(mx.array(ids), mx.array(keep), mx.array(tmask), mx.array(doc_ids), mx.array(body_ids),
                   mx.array(doc_weight), momentum)
        mx.eval(out, state)
        loss, jepa, cross, reg, grad_norm = (float(v) for v in out)
        if not math.isfinite(loss):
            raise FloatingPointError(f"loss became {loss} at step {it}; lower lr (now {cfg.lr})")
        last = {"step": it, "loss": loss, "jepa": jepa, "cross": cross, "variance": reg, "grad_norm": grad_norm,
                "lr": float(_schedule(cfg)(mx.array(it - 1))), "ema": float(momentum),
                "steps_per_s": it / (time.perf_counter() - t0)}
        history.append(last)
        if it % cfg.monitor_every == 0 or it == cfg.steps:
            stats = monitor()
            last.update(stats)
            log(dict(last))
        elif it % cfg.log_every == 0:
            log(dict(last))

    weights = {f"encoder.{k}": v for k, v in tree_flatten(target.parameters())}
    weights |= {f"predictor.{k}": v for k, v in tree_flatten(model.predictor.parameters())}
    weights |= {f"cross_head.{k}": v for k, v in tree_flatten(model.cross_head.parameters())}
    metadata = {
        "units": len(units), "cross_view_pairs": len(pairs), "steps": cfg.steps,
        "first_loss": history[0]["loss"] if history else None, "final": last,
        "collapse": stats, "fine_tuned": init is not None, "seconds": time.perf_counter() - t0,
    }
    cfg_dict = asdict(cfg)
    cfg_dict["length_buckets"] = list(cfg.length_buckets)
    return Checkpoint(enc_cfg, tokenizer.to_json(), weights, cfg_dict, metadata)


# ---- embedding -----------------------------------------------------------------------------------
# Units per forward pass. On 2 CPU cores 16 beat 64 by about 40% (the activations stay in cache):
# `vjepa bench embed`, docs/BENCHMARKS.md.
EMBED_BATCH = 16
EMBED_CACHE_BYTES = 8 * 2**20  # MLX's buffer cache while embedding


def _embed(ckpt: Checkpoint, texts: Sequence[str], batch_size: int, head: CrossViewHead | None) -> np.ndarray:
    cfg = ckpt.encoder_config
    encoder = ckpt.encoder
    ids = ckpt.tokenizer.encode_batch(list(texts), cfg.max_len)
    lengths = (ids != 0).sum(axis=1)
    order = np.argsort(-lengths, kind="stable")  # similar lengths together: little padding
    out = np.zeros((len(texts), cfg.dim), dtype=np.float32)
    limit = mx.set_cache_limit(EMBED_CACHE_BYTES)  # the buffers it would keep: ~60 MB of peak RSS
    try:
        with blas_threads():
            _embed_batches(encoder, ids, lengths, order, batch_size, head, out)
    finally:
        mx.set_cache_limit(limit)
    return out


def _embed_batches(encoder: Any, ids: np.ndarray, lengths: np.ndarray, order: np.ndarray, batch_size: int,
                   head: CrossViewHead | None, out: np.ndarray) -> None:
    max_len = ids.shape[1]
    for start in range(0, len(ids), batch_size):
        rows = order[start : start + batch_size]
        L = max(8, int(math.ceil(max(int(lengths[rows].max()), 1) / 8) * 8))  # SIMD-friendly, little padding
        vec = encoder.pool(mx.array(ids[rows, : min(L, max_len)]), inference=True)
        if head is not None:
            vec = head(vec)
        vec = vec / mx.maximum(mx.linalg.norm(vec, axis=-1, keepdims=True), 1e-12)
        out[rows] = np.array(vec)


def embed_texts(ckpt: Checkpoint, texts: Sequence[str], batch_size: int = EMBED_BATCH) -> np.ndarray:
    """Unit vectors: L2-normalised pooled target-encoder outputs, float32 [N, D]."""
    return _embed(ckpt, texts, batch_size, None)


def embed_queries(ckpt: Checkpoint, texts: Sequence[str], batch_size: int = EMBED_BATCH) -> np.ndarray:
    """Query vectors in the unit-vector space: the encoder, then the cross-view head when present."""
    head = None
    if ckpt.has("cross_head"):
        head = CrossViewHead(ckpt.encoder_config)
        head.load_weights(ckpt.module_weights("cross_head"), strict=True)
    return _embed(ckpt, texts, batch_size, head)
