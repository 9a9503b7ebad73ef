"""`vjepa status` says how the lenses rank: the saved fit's lean on co-change and recency (the
learned ranking stepping aside where counting ranked the workspace's own latest commits better).
Real git history, real crawl, a real fit saved where the lenses keep it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.model.nextfile_fixtures import TINY, habit_repo
from vjepa_core.cli import main as cli_main
from vjepa_core.harvest.history import read_commits
from vjepa_core.model.encoder.locations import NEXT_PREDICTOR_FILE
from vjepa_core.model.nextfile.runtime import NextFilePredictor


@pytest.mark.parametrize("lean, words", [(1.0, "the learned ranking steps aside"),
                                         (0.0, "the lenses rank by the learned ranking")])
def test_status_says_how_the_lenses_rank(tmp_path: Path, capsys: pytest.CaptureFixture[str], lean: float,
                                         words: str) -> None:
    repo = habit_repo(tmp_path / "repo")
    idx = tmp_path / "idx"
    assert cli_main(["crawl", str(repo.path), "--index-dir", str(idx), "--quiet"]) == 0
    capsys.readouterr()
    pred = NextFilePredictor(TINY).fit(read_commits(Path(repo.path)))
    assert pred.fitted is not None
    pred.fitted.rankers["product"].lean = lean  # as a fit that chose it keeps it
    pred.save(idx / NEXT_PREDICTOR_FILE)
    assert cli_main(["status", str(repo.path), "--index-dir", str(idx), "--json"]) == 0
    sentence = json.loads(capsys.readouterr().out)["next_file"]
    assert sentence.startswith("fit on ") and words in sentence
