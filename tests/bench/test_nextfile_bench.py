"""The next-file benchmark: its shape, its baselines are the protocol's own, it is deterministic,
and the model beats recency on a planted habit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.model.nextfile_fixtures import TINY, habit_repo
from vjepa_core.bench.baselines import evaluate_baselines
from vjepa_core.bench.nextfile import bench_next_file
from vjepa_core.harvest.history import Commit, read_commits


@pytest.fixture(scope="module")
def habit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Commit]]:
    repo = habit_repo(tmp_path_factory.mktemp("nextfile") / "repo")
    return repo.path, read_commits(repo.path)


@pytest.fixture(scope="module")
def bench(habit: tuple[Path, list[Commit]]) -> dict:
    path, commits = habit
    return bench_next_file(path, seed=0, cfg=TINY, commits=commits, log=lambda _: None)


def test_bench_shape(bench: dict) -> None:
    assert set(bench["methods"]) == {"cochange", "recency", "cochange+recency", "model", "product", "stats"}
    assert {"product", "stats", "product-cochange", "product-recency", "product-spatial"} <= set(bench["ablation"])
    assert set(bench) == {"repo", "queries", "methods", "ablation", "train_seconds", "prior"}
    assert bench["prior"] is False  # TINY has other shapes than the shipped prior
    assert bench["queries"] > 0 and bench["train_seconds"] >= 0
    for m in bench["methods"].values():
        assert set(m) == {"hit@1", "hit@5", "hit@10", "mrr"}


def test_model_learns_the_planted_habit(bench: dict) -> None:
    m = bench["methods"]
    assert m["model"]["mrr"] > m["recency"]["mrr"] + 0.2
    assert m["model"]["hit@1"] > m["recency"]["hit@1"]
    for k in ("hit@1", "hit@5", "mrr"):
        assert m["product"][k] >= m["cochange+recency"][k] - 1e-9


def test_baselines_equal_the_protocol(habit: tuple[Path, list[Commit]], bench: dict) -> None:
    ref = evaluate_baselines(habit[1])
    assert bench["queries"] == ref["queries"]
    for name in ("cochange", "recency", "cochange+recency"):
        assert bench["methods"][name] == ref["methods"][name]


def test_deterministic_given_seed(habit: tuple[Path, list[Commit]], bench: dict) -> None:
    path, commits = habit
    again = bench_next_file(path, seed=0, cfg=TINY, commits=commits, log=lambda _: None)
    assert again["methods"] == bench["methods"]
    assert again["ablation"] == bench["ablation"]
