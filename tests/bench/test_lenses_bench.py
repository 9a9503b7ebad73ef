"""`vjepa bench lenses` (protocol section 4): its shape, its online baselines are the protocol's own,
and the lenses as served find a plain habit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from tests.queries.test_lenses import _history
from vjepa_core.bench.baselines import evaluate_baselines
from vjepa_core.bench.lenses import OWN, bench_lenses
from vjepa_core.cli.main import main as cli_main
from vjepa_core.harvest.history import read_commits


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    git_repo = GitRepo(tmp_path_factory.mktemp("lenses") / "repo")
    _history(git_repo, rounds=14)  # pairs: a.py/c.py, b.py/d.py, e.py/f.py; 42 commits
    return git_repo


@pytest.fixture(scope="module")
def result(repo: GitRepo) -> dict:
    return bench_lenses(repo.path, log=lambda _: None)


def test_shape(result: dict) -> None:
    assert {"repo", "commits", "split_sha", "index_seconds", "fit_seconds", "frozen", "online"} <= set(result)
    for mode in ("frozen", "online"):
        assert result[mode]["queries"] > 0
        assert set(result[mode]["methods"]) == {"cochange", "cochange+recency", "tarmaq", OWN, "related", "next"}
        for m in result[mode]["methods"].values():
            assert set(m) == {"hit@1", "hit@5", "hit@10", "mrr"}


def test_online_baselines_are_the_protocol_s(repo: GitRepo, result: dict) -> None:
    ref = evaluate_baselines(read_commits(repo.path))
    assert result["online"]["queries"] == ref["queries"]
    for name in ("cochange", "cochange+recency"):
        assert result["online"]["methods"][name] == {k: round(v, 4) for k, v in ref["methods"][name].items()}


def test_the_lenses_find_the_habit(result: dict) -> None:
    for mode in ("frozen", "online"):
        for lens in ("related", "next"):
            assert result[mode]["methods"][lens]["hit@1"] == 1.0, (mode, lens, result[mode])


def test_cli_and_a_bare_folder(repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["bench", "lenses", "--repo", str(repo.path), "--no-online", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "online" not in out and out["frozen"]["queries"] > 0
    (tmp_path / "plain").mkdir()
    assert cli_main(["bench", "lenses", "--repo", str(tmp_path / "plain")]) == 2
    assert "too few to split" in capsys.readouterr().err


def test_on_a_straight_history_the_own_history_baseline_is_cochange_recency(result: dict) -> None:
    frozen = result["frozen"]
    assert frozen["own_history_commits"] == frozen["training_commits"]
    for mode in ("frozen", "online"):
        assert result[mode]["methods"][OWN] == result[mode]["methods"]["cochange+recency"], mode


def test_a_side_branch_merged_after_the_split_is_not_in_the_own_history(tmp_path: Path) -> None:
    """Two commits of a side branch, dated before the split and merged after it: the training
    history (by date) holds them, the checkout at the split does not, and neither does its index."""
    repo = GitRepo(tmp_path / "repo")
    _history(repo, rounds=6)
    repo.git("checkout", "-q", "-b", "side", "HEAD~3")
    repo.commit("side one", {"side/x.py": "X = 1\n", "side/y.py": "Y = 1\n"})
    repo.commit("side two", {"side/x.py": "X = 2\n", "side/y.py": "Y = 2\n"})
    repo.git("checkout", "-q", "-")
    _history(repo, rounds=4)
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    repo.commit("after the merge", {"side/x.py": "X = 3\n", "side/y.py": "Y = 3\n"})
    out = bench_lenses(repo.path, online=True, log=lambda _: None)
    frozen = out["frozen"]
    assert frozen["own_history_commits"] == frozen["training_commits"] - 2
    assert out["online"]["queries"] > 0 and OWN in out["online"]["methods"]
