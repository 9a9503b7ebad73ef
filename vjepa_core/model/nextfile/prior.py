"""The next-file prior: a temporal predictor pretrained on public repositories' histories.

A workspace's own history is small (a few thousand examples), so the predictor starts from weights
that already know how files change together in general: tests with their modules, a changelog
with code, workflow files together, docs pages together. Only weights that do not depend on one
history's files are kept (path-piece embeddings, time and slot embeddings, the transformer), so the
prior carries to any history. `vjepa train-prior` makes it; the package ships one
(docs/default-model.md has the command) and `fit_pipeline` starts from it when its shapes fit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import mlx.core as mx

from vjepa_core.model.encoder.checkpoint import CheckpointError
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.predictor import TemporalPredictor

FORMAT_VERSION = 1
DEFAULT_PRIOR = Path(__file__).parent / "default_prior" / "prior.safetensors"
# The configuration fields that decide the prior's shapes (and what its weights mean).
SHAPE_FIELDS = ("dims", "heads", "layers", "buckets", "max_tokens", "context", "neighbors", "gap_buckets")
_REMAKE = "make a new one with `vjepa train-prior`, or reinstall VJEPA for the shipped one"


def _shape_config(cfg: NextFileConfig) -> dict[str, int]:
    return {k: getattr(cfg, k) for k in SHAPE_FIELDS}


_SHARED = ("tok", "gap", "age", "blocks", "norm", "head")  # what a prior carries: no per-file rows


def prior_weights(model: TemporalPredictor) -> dict[str, mx.array]:
    """The weights of `model` that do not depend on one history's files."""
    from mlx.utils import tree_flatten
    return {k: v for k, v in tree_flatten(model.parameters()) if k.split(".")[0] in _SHARED}


def start_from_prior(model: TemporalPredictor, prior: dict[str, mx.array]) -> None:
    """Load the prior's weights into `model`; a prior made for other shapes is an error."""
    from mlx.utils import tree_flatten
    mine = dict(tree_flatten(model.parameters()))
    for k, v in prior.items():
        if k not in mine or mine[k].shape != v.shape:
            raise ValueError(f"next-file prior does not fit this configuration: {k} "
                             f"{tuple(v.shape)} vs {tuple(mine[k].shape) if k in mine else 'absent'}")
    model.load_weights(list(prior.items()), strict=False)


def save_prior(model: TemporalPredictor, cfg: NextFileConfig, path: Path, sources: list[str]) -> Path:
    """Write the prior atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.safetensors")
    meta = {"format_version": str(FORMAT_VERSION), "config": json.dumps(_shape_config(cfg)),
            "sources": json.dumps(sources)}
    mx.save_safetensors(str(tmp), prior_weights(model), metadata=meta)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_prior(path: Path) -> tuple[dict[str, mx.array], dict[str, int], list[str]]:
    """Weights, shape configuration and sources of a prior file; CheckpointError if unusable."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no next-file prior at {path}; {_REMAKE}")
    try:
        weights, meta = mx.load(str(path), return_metadata=True)
    except Exception as exc:  # mlx raises RuntimeError/ValueError for unreadable files
        raise CheckpointError(f"next-file prior at {path} is unreadable ({exc}); {_REMAKE}") from exc
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        raise CheckpointError(f"next-file prior at {path} has format {version!r}, this VJEPA reads "
                              f"{FORMAT_VERSION}; {_REMAKE}")
    try:
        config = json.loads(meta["config"])
        sources = json.loads(meta.get("sources", "[]"))
    except (KeyError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"next-file prior at {path} has no usable configuration; {_REMAKE}") from exc
    cfg = dataclasses.replace(NextFileConfig(), **{k: int(config[k]) for k in SHAPE_FIELDS if k in config})
    from mlx.utils import tree_flatten

    expected = {k: tuple(v.shape) for k, v in tree_flatten(TemporalPredictor(cfg, 1, 0).parameters())}
    problems = [f"{k} has shape {tuple(v.shape)}, expected {expected.get(k)}" for k, v in weights.items()
                if expected.get(k) != tuple(v.shape)]
    if problems or not weights:
        raise CheckpointError(f"next-file prior at {path} does not match its configuration "
                              f"({'; '.join(problems[:3]) or 'no weights'}); {_REMAKE}")
    return weights, config, sources


def prior_id(cfg: NextFileConfig) -> str:
    """The shipped prior's sha256 when `cfg` starts from it, else "": what a saved fit was made from."""
    if not cfg.prior or not DEFAULT_PRIOR.exists():
        return ""
    return hashlib.sha256(DEFAULT_PRIOR.read_bytes()).hexdigest()


def load_prior(cfg: NextFileConfig, path: Path | None = None,
               log: Callable[[str], None] = lambda _: None) -> dict[str, mx.array] | None:
    """The prior's weights if `cfg` asks for one and its shapes fit; None otherwise.

    A configuration whose shapes differ from the prior's (a test's tiny one, say) trains from
    scratch, as before there was a prior. A prior file that is present but corrupt is an error.
    """
    if not cfg.prior:
        return None
    path = Path(path) if path is not None else DEFAULT_PRIOR
    if path == DEFAULT_PRIOR and not path.exists():
        log("nextfile: no shipped prior; training from scratch")
        return None
    weights, config, _ = read_prior(path)
    if config != _shape_config(cfg):
        if path != DEFAULT_PRIOR:
            raise CheckpointError(f"next-file prior at {path} was made for {config}, not for this "
                                  f"configuration {_shape_config(cfg)}; {_REMAKE}")
        log("nextfile: the prior was made for another configuration; training from scratch")
        return None
    return weights
