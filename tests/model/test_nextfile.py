"""nextfile: the temporal predictor learns a planted habit, never sees the test period, ranks with
reasons, and its fit is kept on disk."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.model.nextfile_fixtures import FUTURE, TINY, habit_repo
from vjepa_core.harvest.history import Commit, read_commits
from vjepa_core.model.nextfile.fit import fit_pipeline
from vjepa_core.model.nextfile.frames import path_tokens
from vjepa_core.model.nextfile.runtime import PIPELINE_FORMAT, NextFilePredictor
from vjepa_core.model.nextfile.training import train_predictor
from vjepa_core.patterns.cochange import SPLIT


@pytest.fixture(scope="module")
def habit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Commit]]:
    repo = habit_repo(tmp_path_factory.mktemp("nextfile") / "repo")
    return repo.path, read_commits(repo.path)


def test_training_never_sees_the_test_period(habit: tuple[Path, list[Commit]]) -> None:
    _, commits = habit
    split = int(len(commits) * SPLIT)
    history, future = commits[:split], commits[split:]
    assert any(FUTURE in c.files for c in future) and not any(FUTURE in c.files for c in history)
    fitted = fit_pipeline(history, TINY, log=lambda _: None)
    feat = fitted.model.feat
    assert FUTURE not in feat.seen_paths and FUTURE not in feat.ids
    assert fitted.model.train_shas and fitted.model.train_shas <= {c.sha for c in history}
    assert not fitted.model.train_shas & {c.sha for c in future}
    # The learned id table has one row per seen path (plus the "no id" row): nothing for FUTURE.
    assert fitted.model.model.ids.weight.shape[0] == len(feat.seen_paths) + 1


def test_runtime_rank_gives_reasons(habit: tuple[Path, list[Commit]]) -> None:
    _, commits = habit
    pred = NextFilePredictor(TINY).fit(commits)
    alive = {p for c in commits for p in c.files}
    out = pred.rank(["src/x/mod_2.py"], "src/x/mod_2.py", alive, 5)
    assert 0 < len(out) <= 5
    assert out[0][0] == "src/x/helper_2.py"
    assert all(r in ("temporal", "spatial", "semantic") for _, _, r, _ in out)
    assert all(p in alive and p != "src/x/mod_2.py" for p, _, _, _ in out)
    # the strongest reason in words: mod_2 and helper_2 change together in the fixture's history
    assert out[0][3].startswith("changed together in "), out[0]


def test_a_moved_file_keeps_its_history(habit: tuple[Path, list[Commit]]) -> None:
    # mod_2 moves to a name that shares nothing with its old path; its co-change partner must
    # still come first (the baselines, by the protocol, would start the moved file afresh).
    _, commits = habit
    pred = NextFilePredictor(TINY).fit(commits)
    old, new = "src/x/mod_2.py", "lib/engine_core.py"
    move = Commit("f" * 40, commits[-1].time + 60, (("D", old), ("A", new)), ((old, new),))
    pred.state.apply(move)
    pred.aux.apply(move)
    alive = {p for c in commits for p in c.files} - {old} | {new}
    assert pred.state.co.get(new, {}).get("src/x/helper_2.py", 0) == 0  # plain co-change forgot
    top = [p for p, *_ in pred.rank([new], new, alive, 3)]
    assert top[0] == "src/x/helper_2.py", top


def test_path_tokens_link_tests_to_modules() -> None:
    a, b = set(path_tokens("tests/test_api.py")), set(path_tokens("src/requests/api.py"))
    assert "stem:api" in a & b
    assert "test:True" in a and "test:False" in b


def test_content_vectors_are_optional_inputs(habit: tuple[Path, list[Commit]]) -> None:
    _, commits = habit
    rng = np.random.default_rng(0)
    paths = sorted({p for c in commits for p in c.files})
    vectors = {p: rng.standard_normal(8).astype(np.float32) for p in paths[::2]}
    model = train_predictor(commits, replace(TINY, epochs=2), file_vectors=vectors, log=lambda _: None)
    assert model.feat.vec_dims == 8
    scores = model.scores("src/x/mod_1.py", [], paths)
    assert scores.shape == (len(paths),) and np.isfinite(scores).all()


def test_saved_predictor_ranks_as_the_fitted_one(habit: tuple[Path, list[Commit]], tmp_path: Path) -> None:
    _, commits = habit
    pred = NextFilePredictor(TINY).fit(commits[:-5])
    path = pred.save(tmp_path / "idx" / "nextfile.safetensors")
    assert [p.name for p in path.parent.iterdir()] == ["nextfile.safetensors"]  # no temporary file left
    # A later process: the history has grown by five commits since the fit.
    loaded = NextFilePredictor.load(path, commits, TINY)
    assert loaded is not None and loaded.fitted_count == len(commits) - 5
    about = NextFilePredictor.describe(path)
    assert about is not None and set(about["dropped"]) <= {"content", "model"}
    assert {k: about[k] for k in ("fitted_commits", "prior", "format_version")} == {
        "fitted_commits": len(commits) - 5, "prior": False, "format_version": PIPELINE_FORMAT}
    for c in commits[-5:]:
        pred.state.apply(c)
        pred.aux.apply(c)
    alive = {p for c in commits for p in c.files}
    for q in ("src/x/mod_1.py", "tests/test_mod_3.py", "README.md"):
        assert loaded.rank([q], q, alive - {q}, 8) == pred.rank([q], q, alive - {q}, 8)


def test_saved_predictor_is_refused_for_another_past(habit: tuple[Path, list[Commit]], tmp_path: Path) -> None:
    _, commits = habit
    path = NextFilePredictor(TINY).fit(commits).save(tmp_path / "nextfile.safetensors")
    assert NextFilePredictor.load(path, commits[:-1], TINY) is None  # the commit it was fit up to is gone
    rewritten = [*commits[:-1], Commit("e" * 40, commits[-1].time, commits[-1].changes, ())]
    assert NextFilePredictor.load(path, rewritten, TINY) is None  # ... or was rewritten
    assert NextFilePredictor.load(path, commits, replace(TINY, dims=32)) is None  # another configuration
    path.write_bytes(path.read_bytes()[:100])
    assert NextFilePredictor.describe(path) is None
    said: list[str] = []
    assert NextFilePredictor.load(path, commits, TINY, log=said.append) is None
    assert said and "unusable" in said[0]
    assert NextFilePredictor.load(tmp_path / "missing.safetensors", commits, TINY) is None


def test_workspace_keeps_its_fit_across_processes(tmp_path: Path) -> None:
    from vjepa_core.model.encoder.locations import NEXT_PREDICTOR_FILE
    from vjepa_core.workspace import Workspace

    repo = habit_repo(tmp_path / "repo")
    first = Workspace(repo.path, tmp_path / "idx", allow_home=True)
    pred, commits = first.next_predictor(fit="now")
    saved = tmp_path / "idx" / NEXT_PREDICTOR_FILE
    assert pred is not None and saved.exists() and pred.fitted.model.seconds > 0
    stamp = saved.stat().st_mtime_ns
    second = Workspace(repo.path, tmp_path / "idx", allow_home=True)  # as a new process would
    again, _ = second.next_predictor(fit="now")
    assert again is not None and again.fitted.model.seconds == 0.0  # loaded, not fit
    assert saved.stat().st_mtime_ns == stamp
    alive = {p for c in commits for p in c.files}
    q = "src/x/mod_2.py"
    assert again.rank([q], q, alive - {q}, 5) == pred.rank([q], q, alive - {q}, 5)


def test_editor_sessions_train_the_temporal_predictor(habit: tuple[Path, list[Commit]]) -> None:
    # A habit only the editor saw: mod_0 is worked on with docs/mod_3.md in many sessions, never
    # committed together (but in the first commit, which adds every file). Trained with those sessions as examples, the temporal model (not only
    # the co-change counts) puts the doc higher after mod_0 than it does without them.
    from vjepa_core.model.nextfile.fit import with_sessions

    _, commits = habit
    a, b = "src/x/mod_0.py", "docs/mod_3.md"
    assert not any({a, b} <= c.files for c in commits[1:])
    t = commits[-1].time
    sessions = [Commit(f"editor-session-{i}", t + 3600 * (i + 1), (("M", a), ("M", b)), ()) for i in range(40)]
    merged = with_sessions(commits, sessions)
    assert [c.sha for c in merged if not c.sha.startswith("editor")] == [c.sha for c in commits]
    alive = sorted({p for c in commits for p in c.files} - {a})

    def rank_of_b(history: list[Commit]) -> int:
        model = train_predictor(history, TINY, seed=0)
        scores = model.scores(a, [], alive)
        return int((scores > scores[alive.index(b)]).sum())

    with_them, without = rank_of_b(merged), rank_of_b(commits)
    assert with_them < without and with_them <= 5, (with_them, without)
