"""The JEPA objective: the trained modules, the loss and the anti-collapse term, and the EMA target.

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
Unit vectors are the L2-normalised mean of the target encoder's outputs over non-pad tokens
(embedding.py); query vectors pass a query through the same encoder and then the cross-view head.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mlx.core as mx
from mlx import nn
from mlx.utils import tree_flatten, tree_map

from vjepa_core.model.encoder.network import CrossViewHead, Encoder, EncoderConfig, Predictor, masked_mean

if TYPE_CHECKING:
    from vjepa_core.model.encoder.checkpoint import Checkpoint
    from vjepa_core.model.train import TrainConfig

LossWeights = tuple[float, float, float, float, float]  # cross-view, temperature, variance, its target, covariance


class JEPA(nn.Module):
    """The trained parts: context encoder, predictor, cross-view head."""

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.encoder = Encoder(cfg)
        self.predictor = Predictor(cfg)
        self.cross_head = CrossViewHead(cfg)


def loss_weights(cfg: TrainConfig) -> LossWeights:
    return (cfg.cross_view_weight, cfg.cross_view_temperature,
            cfg.variance_weight, cfg.variance_target, cfg.covariance_weight)


def target_features(target: Encoder, ids: mx.array, body_ids: mx.array) -> tuple[mx.array, mx.array]:
    """What the context side predicts, under stop-gradient: the target encoder's LayerNorm'd
    outputs on the units, and its pooled embeddings of the bodies."""
    feats = mx.stop_gradient(mx.fast.layer_norm(target(ids), None, None, target.cfg.norm_eps))
    return feats, mx.stop_gradient(target.pool(body_ids))


def jepa_loss(
    model: JEPA,
    ids: mx.array,
    keep: mx.array,
    target: mx.array,
    target_feats: mx.array,
    doc_ids: mx.array,
    body_vec: mx.array,
    doc_weight: mx.array,
    weights: LossWeights,
) -> tuple[mx.array, mx.array, mx.array, mx.array]:
    """(total, JEPA L1, cross-view InfoNCE, variance/covariance term) for one micro-batch."""
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
    reg = variance_weight * variance_hinge(masked_mean(ctx, keep), variance_target, covariance_weight)
    return jepa + cross_view_weight * cross + reg, jepa, cross, reg


def variance_hinge(z: mx.array, target: float, covariance_weight: float) -> mx.array:
    """VICReg-style: a hinge on each dimension's std across the batch, plus a covariance penalty.
    Rows are rescaled to RMS 1 per dimension first, so the target does not depend on the width."""
    B, D = z.shape
    z = z / (mx.linalg.norm(z, axis=-1, keepdims=True) + 1e-6) * math.sqrt(D)
    z = z - z.mean(axis=0)
    std = mx.sqrt((z * z).sum(axis=0) / (B - 1) + 1e-4)
    cov = (z.T @ z) / (B - 1)
    off = (cov * cov).sum() - (mx.diagonal(cov) ** 2).sum()
    return nn.relu(target - std).mean() + covariance_weight * off / D


def ema_update(target: Encoder, encoder: Encoder, momentum: mx.array) -> None:
    """target <- momentum * target + (1 - momentum) * encoder."""
    target.update(tree_map(lambda t, c: momentum * t + (1.0 - momentum) * c,
                           target.parameters(), encoder.parameters()))


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


def pack_weights(model: JEPA, target: Encoder) -> dict[str, mx.array]:
    """A checkpoint's weights: "encoder.*" is the target encoder (it makes the unit vectors), with
    the predictor and the cross-view head (the head makes query vectors; fine-tuning starts from both)."""
    weights = {f"encoder.{k}": v for k, v in tree_flatten(target.parameters())}
    weights |= {f"predictor.{k}": v for k, v in tree_flatten(model.predictor.parameters())}
    weights |= {f"cross_head.{k}": v for k, v in tree_flatten(model.cross_head.parameters())}
    return weights
