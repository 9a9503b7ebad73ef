"""nextfile: the learned ranking leans on co-change+recency's order by a prior for the history's size
(more the shorter it is), and more or less only where the workspace's own latest fit queries clearly
say so, so that refits a few commits apart do not flip; the fit keeps that choice and says which."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.model.nextfile_fixtures import TINY, habit_repo
from vjepa_core.harvest.history import Commit, read_commits
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.features import FEATURES
from vjepa_core.model.nextfile.fit import choose_lean, prior_lean
from vjepa_core.model.nextfile.ranker import FusionRanker, counted_order
from vjepa_core.model.nextfile.runtime import NextFilePredictor, lean_words

COLS = ("co_log", "cr_rank")


def _queries(n: int, truth_by: str, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Six candidates a query; the truth is the favourite of `truth_by` (co-change+recency's first
    place for "cr_rank"); the other signal is shuffled independently."""
    out = []
    for _ in range(n):
        rows = np.zeros((6, len(FEATURES)), np.float32)
        rows[:, FEATURES.index("co_log")] = rng.permutation(6)
        rows[:, FEATURES.index("cr_rank")] = 1.0 / (1 + rng.permutation(6))
        truth = np.zeros(6, np.float32)
        truth[np.argmax(rows[:, FEATURES.index(truth_by)])] = 1.0
        out.append((rows, truth))
    return out


def test_the_ranking_leans_on_counting_only_where_counting_wins_the_latest_queries_clearly() -> None:
    cfg = NextFileConfig(ranker_hidden=0, ranker_lean_grid=(0.0, 0.25, 0.5, 0.75, 1.0))
    rng = np.random.default_rng(1)
    quiet = lambda _: None
    when = list(range(100))
    # The earlier fit queries follow the co-change count, the latest co-change+recency's order: the
    # ranker fit on the earlier ones trails that order on the latest, by far more than chance, and
    # steps (mostly) aside: the least lean that ranks the latest queries as well as that order does.
    drifted = _queries(70, "co_log", rng) + _queries(30, "cr_rank", rng)
    lean, by_tail = choose_lean(cfg, COLS, drifted, when, None, 0, quiet)
    assert lean >= 0.75 and by_tail
    # Where the learned ranking wins, nothing leans on counting more than the prior for that many
    # fit queries does (the prior's quarter-and-more of counting costs it nothing here).
    steady = _queries(100, "co_log", rng)
    assert choose_lean(cfg, COLS, steady, when, None, 0, quiet) == (prior_lean(cfg, 100), False)
    # Too few latest queries to judge by: the prior for that many fit queries, which leans on
    # counting more the fewer they are, up to a half.
    assert choose_lean(cfg, COLS, drifted[:40], when[:40], None, 0, quiet) == (prior_lean(cfg, 40), False)
    assert prior_lean(cfg, 40) == 0.5 > prior_lean(cfg, 150) > prior_lean(cfg, 1000) > 0.0
    # By default the product leans at least a quarter on that order, more where counting wins.
    default = NextFileConfig(ranker_hidden=0)
    # (its prior for 100 fit queries is 0.5; the tail's clear win for the learned ranking takes it down)
    assert prior_lean(default, 100) == 0.5 and choose_lean(default, COLS, steady, when, None, 0, quiet) == (0.25, True)
    assert choose_lean(default, COLS, drifted, when, None, 0, quiet)[0] >= 0.75
    # Half at most, however short the history: counting knows little more than the ranker there.
    assert prior_lean(default, 0) == prior_lean(default, 100) == 0.5 > prior_lean(default, 170) > 0.4


def test_refits_on_a_growing_history_keep_the_prior_where_the_tail_cannot_tell() -> None:
    """The learned ranking reads the co-change count alone, and it and co-change+recency's order
    find the truth about as often: the tail's best lean is noise. Judged by its best
    alone (no evidence asked) the lean jumps between refits a few commits apart; as served it stays
    the prior for the history's size."""
    rng = np.random.default_rng(3)
    quiet = lambda _: None
    data = [q for _ in range(90) for q in _queries(1, "co_log" if rng.random() < 0.5 else "cr_rank", rng)]
    served, noisy = NextFileConfig(ranker_hidden=0), NextFileConfig(ranker_hidden=0, ranker_lean_evidence=0.0)
    sizes = range(70, 91, 4)
    jumpy = {choose_lean(noisy, ("co_log",), data[:n], list(range(n)), None, 0, quiet)[0] for n in sizes}
    assert len(jumpy) > 1
    for n in sizes:
        assert choose_lean(served, ("co_log",), data[:n], list(range(n)), None, 0, quiet) == (prior_lean(served, n), False)


def test_a_leaning_ranker_blends_its_score_with_the_counted_order() -> None:
    rng = np.random.default_rng(2)
    data = _queries(200, "co_log", rng)
    ranker = FusionRanker(COLS, NextFileConfig(ranker_hidden=0)).fit(data)
    # a query where the two orders disagree on the first place
    rows = next(x for x, _ in data if np.argmax(ranker.score(x)) != np.argmax(counted_order(x)))
    counted = np.argsort(-counted_order(rows), kind="stable")
    ranker.lean = 1.0
    assert list(np.argsort(-ranker.score(rows), kind="stable")) == list(counted)
    ranker.lean = 0.5
    blended = ranker.score(rows)
    assert np.isfinite(blended).all() and len(set(blended.tolist())) == len(rows)
    parts = ranker.contributions(rows, {"cochange": ("co_log", "cr_rank")})
    assert np.isfinite(parts["cochange"]).all()


@pytest.fixture(scope="module")
def habit_commits(tmp_path_factory: pytest.TempPathFactory) -> list[Commit]:
    repo = habit_repo(tmp_path_factory.mktemp("lean") / "repo")
    return read_commits(Path(repo.path))


def test_the_lean_is_kept_with_the_fit_and_told(habit_commits: list[Commit], tmp_path: Path) -> None:
    pred = NextFilePredictor(TINY).fit(habit_commits)
    assert pred.fitted is not None
    product = pred.fitted.rankers["product"]
    assert product.lean in TINY.ranker_lean_grid if product.lean_by_tail else \
        product.lean == prior_lean(TINY, pred.fitted.fit_queries)
    product.lean, product.lean_by_tail = 0.75, True  # as a fit that leaned would have kept it
    path = pred.save(tmp_path / "nextfile.safetensors")
    about = NextFilePredictor.describe(path)
    assert about is not None and about["lean"] == 0.75 and "lean 75% on co-change and recency" in about["ranking"]
    loaded = NextFilePredictor.load(path, habit_commits, TINY)
    assert loaded is not None and loaded.fitted is not None
    assert loaded.fitted.rankers["product"].lean == 0.75 and loaded.fitted.rankers["product"].lean_by_tail
    alive = {p for c in habit_commits for p in c.files}
    q = "src/x/mod_1.py"
    assert loaded.rank([q], q, alive - {q}, 8) == pred.rank([q], q, alive - {q}, 8)


def test_status_words_say_how_far_the_lenses_lean() -> None:
    assert "steps aside" in lean_words(1.0)
    assert "lean 50% on co-change and recency" in lean_words(0.5)
    assert lean_words(0.25) == "the lenses rank by the learned ranking, blended 25% with co-change and recency"
    assert lean_words(0.0) == "the lenses rank by the learned ranking"
    # a lean that is the prior for a short history says so, not that counting won
    short = lean_words(0.42, by_tail=False)
    assert "blended 42% with co-change and recency (more while the history is short)" in short
    assert "ranked" not in short and lean_words(0.25, by_tail=False) == lean_words(0.25)
