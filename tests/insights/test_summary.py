"""The project summary: themes, languages and the central files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from tests.insights.fixtures import build_features, indexed_workspace
from vjepa_core.insights.report import compute
from vjepa_core.insights.summary import pagerank


def test_summary_themes_languages_and_centre(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_features(git_repo, scattered=True), tmp_path)
    summary = compute(ws)["summary"]
    assert summary["languages"] == {"Python": 10}
    assert summary["source"] == "tfidf"
    all_terms = {t for th in summary["themes"] for t in th["terms"]}
    assert {"invoice", "password", "chart"} & all_terms, summary["themes"]
    assert summary["sentence"].startswith("This project is about ") and "Python" in summary["sentence"]
    assert summary["central_files"] and summary["central_files"][0]["degree"] > 0


def test_pagerank_favours_the_hub() -> None:
    ranks = pagerank(["hub", "a", "b", "c", "lone"], [("hub", "a", 1.0), ("hub", "b", 1.0),
                                                               ("hub", "c", 1.0)])
    assert max(ranks, key=ranks.get) == "hub" and sum(ranks.values()) == pytest.approx(1.0)
    assert ranks["lone"] < ranks["a"]
