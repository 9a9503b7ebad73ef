"""The next-file prior: pretrained on other histories, it carries a habit to a history that has
barely shown it; the file round-trips, and a corrupt or mismatched one fails with what to do."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures import GitRepo
from vjepa_core.cli import main
from vjepa_core.harvest.history import Commit
from vjepa_core.model.encoder.checkpoint import CheckpointError
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.prior import DEFAULT_PRIOR, load_prior, prior_weights, read_prior, save_prior
from vjepa_core.model.nextfile.training import pretrain_predictor, train_predictor

TINY = NextFileConfig(dims=16, heads=2, buckets=512, context=8, epochs=30, batch=32, lr=1e-2,
                      ranker_hidden=4, ranker_steps=80)
WORDS = ["alpha", "bravo", "delta", "gamma", "kilo", "lima", "omega", "sigma", "tango", "zulu",
         "atlas", "boron", "cobalt", "ember", "flint", "garnet", "helium", "iris", "jade", "koala"]


def _history(seed: int, names: list[str], commits: int) -> list[Commit]:
    """Every change to a module goes with its test and the changelog; a docs commit in between."""
    rng = random.Random(seed)
    out = [Commit(f"{seed:02d}{0:038d}", 1_000_000, tuple(("A", p) for n in names for p in
                  (f"src/{n}.py", f"tests/test_{n}.py")) + (("A", "CHANGES.md"), ("A", "docs/index.rst")), ())]
    for i in range(1, commits):
        n = rng.choice(names)
        files = (f"src/{n}.py", f"tests/test_{n}.py", "CHANGES.md") if i % 2 else ("docs/index.rst", "README.md")
        out.append(Commit(f"{seed:02d}{i:038d}", 1_000_000 + 3600 * i, tuple(("M", p) for p in files), ()))
    return out


@pytest.fixture(scope="module")
def prior_model():
    sources = [_history(s, WORDS[5 * s: 5 * s + 5], 160) for s in range(3)]
    return pretrain_predictor(sources, TINY, steps=150, seed=0, log=lambda _: None)


def test_the_prior_carries_a_habit_to_a_new_history(prior_model) -> None:
    # A new project: names the prior never saw, and one commit that added its files, so nothing of
    # its own to learn from yet.
    names = WORDS[15:]
    history = _history(9, names, 1)
    alive = sorted({p for c in history for p in c.files})
    query = "src/jade.py"
    scratch = train_predictor(history, TINY, seed=0, log=lambda _: None)
    warm = train_predictor(history, TINY, seed=0, prior=prior_weights(prior_model), log=lambda _: None)
    others = [p for p in alive if p != query]

    def first(model) -> str:
        return others[int(np.argmax(model.scores(query, [], others)))]

    assert first(warm) == "CHANGES.md"
    assert first(scratch) != "CHANGES.md", first(scratch)


def test_prior_file_round_trip(prior_model, tmp_path: Path) -> None:
    path = save_prior(prior_model, TINY, tmp_path / "p" / "prior.safetensors", ["a@1", "b@2"])
    weights, config, sources = read_prior(path)
    assert sources == ["a@1", "b@2"] and config["dims"] == 16
    assert set(weights) == set(prior_weights(prior_model))
    for k, v in prior_weights(prior_model).items():
        assert np.array_equal(np.array(weights[k]), np.array(v))
    assert [p.name for p in path.parent.iterdir()] == ["prior.safetensors"]  # no temporary file left
    assert load_prior(TINY, path) is not None
    assert load_prior(replace(TINY, prior=False), path) is None


def test_corrupt_or_mismatched_prior_says_what_to_do(prior_model, tmp_path: Path) -> None:
    path = save_prior(prior_model, TINY, tmp_path / "prior.safetensors", [])
    with pytest.raises(CheckpointError, match="made for .* not for this configuration.*vjepa train-prior"):
        load_prior(replace(TINY, dims=32), path)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match="unreadable.*vjepa train-prior"):
        read_prior(bad)
    with pytest.raises(CheckpointError, match="no next-file prior"):
        read_prior(tmp_path / "missing.safetensors")


def test_the_shipped_prior_fits_the_default_configuration() -> None:
    _, _, sources = read_prior(DEFAULT_PRIOR)
    assert load_prior(NextFileConfig()) is not None
    assert len(sources) >= 10 and not any(s.startswith(("psf+requests", "psf+black")) for s in sources)
    # A configuration of other shapes trains from scratch rather than failing.
    assert load_prior(TINY) is None


def test_train_prior_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = GitRepo(tmp_path / "r")
    for i in range(12):
        repo.commit(f"c{i}", {f"src/m{i % 3}.py": f"x = {i}\n", f"tests/test_m{i % 3}.py": f"y = {i}\n"})
    plain = tmp_path / "plain"
    plain.mkdir()
    out = tmp_path / "prior.safetensors"
    assert main(["train-prior", str(repo.path), str(plain), "--steps", "3", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "plain has no git history I can read; leaving it out" in said.out + said.err
    _, config, sources = read_prior(out)
    assert len(sources) == 1 and sources[0].startswith("r@") and config["dims"] == NextFileConfig().dims
    assert main(["train-prior", str(plain), "--out", str(tmp_path / "none.safetensors")]) == 2
    assert not (tmp_path / "none.safetensors").exists()


def test_cli_says_what_is_wrong_with_a_bad_prior(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    assert main(["bench", "next-file", "--repo", str(tmp_path), "--prior", str(bad), "--json"]) == 2
    said = capsys.readouterr().err
    assert said.startswith("Sorry: next-file prior at") and "vjepa train-prior" in said
