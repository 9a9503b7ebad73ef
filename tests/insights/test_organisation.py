"""Organisation suggestions on real repositories: a scattered utility cluster, and a clean layout left alone."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures import GitRepo
from tests.insights.fixtures import UTIL_WORDS, build_features, indexed_workspace
from vjepa_core.insights.report import compute


def test_finds_scattered_utility_cluster(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_features(git_repo, scattered=True), tmp_path)
    sugg = compute(ws)["suggestions"]
    assert len(sugg) == 1, sugg
    s = sugg[0]
    assert s["target"] == "utils/" and not s["new_folder"]
    assert sorted(s["files"]) == ["billing/money_text.py", "reports/slug_tools.py", "users/text_clean.py"]
    assert "utils/strings.py" in s["cluster"]
    assert s["sentence"].startswith("These 3 files might belong in utils/")
    assert 0.3 <= s["confidence"] <= 1 and s["level"] in ("high", "medium", "low")
    assert len(set(UTIL_WORDS.split()) & set(s["shared_terms"])) >= 2, s["shared_terms"]
    assert "changed together (up to 3 commits)" in s["reason"]
    assert (git_repo.path / "billing/money_text.py").exists()  # never moves anything


def test_clean_layout_gets_no_suggestions(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_features(git_repo, scattered=False), tmp_path)
    assert compute(ws)["suggestions"] == []
