"""Re-weighting a trained static encoder: where a token stands, and how much of a query stays itself.

Two choices that need no retraining (measured on flask's src/, werkzeug's src/ and the development
query sets; docs/BENCHMARKS.md, "The static code encoder and the search ranking"):
- position weights (static.py): a unit's head line (its name and parameters) counts `head_weight`
  times, token i of a text 1 / (1 + i / position_tau). The corpus mean is measured again with them;
- the query-side predictor keeps the query's own words: P + query_skip * ||P||_2 * I (a skip
  connection around JEPA's predictor), so a query's rare exact words (a parameter's name) still
  pull towards the code that spells them.
The shipped model was made with it from the trained table (docs/default-model.md):

    python -m vjepa_core.model.encoder.reweight MODEL TREES... --exclude PATTERN... --out DIR
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vjepa_core.model.encoder import static
from vjepa_core.model.encoder.static_train import corpus_mean

HEAD_WEIGHT = 4.0  # the head line's tokens count this many times
POSITION_TAU = 50.0  # token i weighs 1 / (1 + i / POSITION_TAU)
QUERY_SKIP = 0.25
MEAN_SAMPLE = 20_000


def reweight(model: static.StaticEncoder, texts: Sequence[str], *, head_weight: float = HEAD_WEIGHT,
             position_tau: float = POSITION_TAU, query_skip: float = QUERY_SKIP,
             seed: int = 0) -> static.StaticEncoder:
    """A copy of `model` with these position weights and query skip, its mean measured on a sample
    of `texts` (unit texts; at most MEAN_SAMPLE, drawn with `seed`)."""
    predictor = model.predictor if model.predictor is not None else np.eye(model.dim, dtype=np.float32)
    if query_skip:
        predictor = predictor + query_skip * np.linalg.norm(predictor, 2) * np.eye(model.dim, dtype=np.float32)
    out = static.StaticEncoder(model.tokenizer_json, model.embeddings, model.mean, predictor=predictor,
                               token_weights=model.token_weights, max_words=model.max_words,
                               head_weight=head_weight, position_tau=position_tau, metadata=dict(model.metadata))
    rng = np.random.default_rng(seed)
    sample = list(texts) if len(texts) <= MEAN_SAMPLE else \
        [texts[i] for i in rng.choice(len(texts), size=MEAN_SAMPLE, replace=False)]
    out.mean = corpus_mean(out, sample)
    out.metadata["reweighted"] = {"head_weight": head_weight, "position_tau": position_tau,
                                  "query_skip": query_skip, "mean_sample": len(sample), "seed": seed}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from vjepa_core.model.encoder.corpus import corpus_units

    p = argparse.ArgumentParser(prog="python -m vjepa_core.model.encoder.reweight", description=__doc__.split("\n")[0])
    p.add_argument("model", type=Path, help="the trained static encoder's folder")
    p.add_argument("trees", nargs="+", type=Path, help="the source trees its corpus mean is measured on")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN")
    p.add_argument("--head-weight", type=float, default=HEAD_WEIGHT)
    p.add_argument("--position-tau", type=float, default=POSITION_TAU)
    p.add_argument("--query-skip", type=float, default=QUERY_SKIP)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    texts = [u[0] for u, _ in corpus_units(args.trees, args.exclude)]
    model = reweight(static.load(args.model), texts, head_weight=args.head_weight,
                     position_tau=args.position_tau, query_skip=args.query_skip, seed=args.seed)
    print(static.save(model, args.out).parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
