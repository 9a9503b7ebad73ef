"""InfoNCE over a drawn part of the files (training.batch_files) in a history of more than
`NextFileConfig.infonce_files`: each step reads the batch's own files and others drawn at random,
their logits corrected by their chance of being drawn, and the predictor still learns the habit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.model.nextfile_fixtures import TINY, habit_repo
from vjepa_core.harvest.history import Commit, read_commits
from vjepa_core.model.nextfile.training import batch_files, train_predictor, training_examples


@pytest.fixture(scope="module")
def commits(tmp_path_factory: pytest.TempPathFactory) -> list[Commit]:
    return read_commits(habit_repo(tmp_path_factory.mktemp("sampled") / "repo").path)


def test_a_step_reads_the_batch_files_and_others_drawn_up_to_the_most(commits: list[Commit]) -> None:
    ex = training_examples(commits, TINY)
    v = len(ex.vocab)
    idx = np.arange(4)
    own = set(ex.q[idx]) | set(ex.ctx[idx][ex.mask[idx] > 0]) | {g for i in idx for g in ex.targets[i]}
    assert len(own) + 5 < v
    files, correction = batch_files(ex, idx, len(own) + 5, np.random.default_rng(0))
    assert len(files) == len(set(files)) == len(own) + 5 and set(files) >= own
    drawn = [j for j, f in enumerate(files) if f not in own]
    assert len(drawn) == 5 and all(0 <= files[j] < v for j in drawn)
    np.testing.assert_allclose(correction[drawn], np.log((v - len(own)) / 5), rtol=1e-6)
    assert not correction[[j for j in range(len(files)) if j not in drawn]].any()
    # More room than files: every file, none corrected (the full softmax).
    files, correction = batch_files(ex, idx, 10 * v, np.random.default_rng(0))
    assert sorted(files) == list(range(v)) and not correction.any()


WORDS = ("apple", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "ivory", "jelly", "koala",
         "lemon", "maple", "noble", "ocean", "pearl", "quilt", "raven", "sable", "tulip", "umber", "vivid")


def _pairs_history() -> tuple[list[Commit], list[tuple[str, str]]]:
    """Files whose names share nothing, in pairs that always change together, among noise commits."""
    rng = np.random.default_rng(3)
    files = [f"{'src' if i % 2 else 'lib'}/{w}.py" for i, w in enumerate(WORDS)]
    pairs = [(files[i], files[i + 11]) for i in range(6)]
    history, t = [Commit("0" * 40, 1_000, tuple(("A", f) for f in files), ())], 1_000
    for n in range(1, 400):
        t += 600
        if n % 3:
            a, b = pairs[rng.integers(len(pairs))]
            changed = [a, b]
        else:
            changed = list(rng.choice(files[6:11] + files[17:], 3, replace=False))
        history.append(Commit(f"{n:040d}", t, tuple(("M", f) for f in changed), ()))
    return history, pairs


def test_the_predictor_learns_pairs_from_drawn_files() -> None:
    history, pairs = _pairs_history()
    cfg = replace(TINY, infonce_files=6, epochs=10)
    assert len(training_examples(history, cfg).vocab) > 3 * cfg.infonce_files  # drawn at every step
    model = train_predictor(history, cfg, seed=0, log=lambda _: None)
    files = list(model.feat.seen_paths)
    found = 0
    for a, b in pairs:
        scores = model.scores(a, [], files)
        ranked = [files[i] for i in np.argsort(-scores) if files[i] != a]
        found += b in ranked[:2]
    assert found >= len(pairs) - 1
