"""The next-file model's configuration: every hyper-parameter of the predictor and the ranker."""

from __future__ import annotations

from dataclasses import dataclass


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
    # A history with more files than this: each training step's InfoNCE reads the batch's own files
    # and others drawn at random up to this many (sampled softmax), not every file: on 5,000 files
    # every step framed them all, ~50 MB of a background fit's peak. Up to it, every file (as before).
    infonce_files: int = 1024
    ranker_hidden: int = 16
    ranker_steps: int = 300
    ranker_lr: float = 0.02
    ranker_l2: float = 0.03
    # Candidates for ranker_l2, chosen on the fit queries' later part. Default: fixed, since that
    # choice (about 240 queries) was noisy: it picked 0.003 on psf/black and overfit.
    ranker_l2_grid: tuple[float, ...] = (0.03,)
    # The ranker's fit queries: those of the training history from this fraction of it on (the
    # predictor's own fit reads the last 20%), each weighted by recency with this half-life (a
    # fraction of their span): more examples, the latest counting most.
    ranker_fit_start: float = 0.4
    ranker_half_life: float = 0.25
    # The shares of co-change+recency's order the product may blend into its learned score (0: none,
    # 1: that order alone). Chosen on eight development histories: a quarter never hurt (on each of
    # them the lens - c+r MRR@10 stayed >= +0.001 where the learned score alone fell to -0.011).
    ranker_lean_grid: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    # The lean a workspace starts from (fit.prior_lean): the grid's least, more the fewer fit queries
    # there are (half way from it to 1 at this many), since a ranker fit on few queries ranks worse
    # than counting does, but at most `ranker_lean_most`; a lean of the grid replaces it only where it
    # ranks the fit queries' latest 30% better by more than this many standard errors of the
    # difference (fit.choose_lean). Chosen on the eight development histories refit every 25 commits
    # from their 100th to their 600th (165 refits): the tail's best alone changed the lean at half the
    # refits (lens - c+r MRR@10 over the next 25 commits +0.024, the next 100 +0.022); the prior with
    # the 3-standard-error move +0.032 and +0.027, the lean moving at 7% of refits. Uncapped, the prior
    # leans 0.63-1 below 50 fit queries, where a half ranked better than 0.75 (+0.013 against +0.007)
    # and all-counting drops what a new history has: its imports, its similar files.
    ranker_lean_prior_queries: int = 50
    ranker_lean_most: float = 0.5
    ranker_lean_evidence: float = 3.0
    candidates: int = 50  # top-N of each signal that enter the fusion
    # The product's fusion. None: one ranker over every feature group, the model's included.
    # A number w: the ranker without the model's features (stats), plus w times the model's cosine
    # standardised over the query's candidates: the model reorders what the statistics leave close.
    model_residual: float | None = 0.15
    # Start the predictor from the shipped prior (prior.py) when its shapes fit.
    prior: bool = True
