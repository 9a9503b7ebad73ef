"""Organisation suggestions on real repositories: a scattered utility cluster (with its evidence), a
clean layout left alone, and deliberate structure (a subpackage, an established folder) never undone."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures import GitRepo
from tests.insights.fixtures import UTIL_WORDS, build_features, build_transports, indexed_workspace
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
    ev = {e["path"]: e for e in s["evidence"]}
    assert set(ev) == set(s["files"])
    assert (ev["billing/money_text.py"]["with_target"], ev["billing/money_text.py"]["with_own"]) == (3, 0)
    assert ev["billing/money_text.py"]["sentence"].startswith(
        "billing/money_text.py: changed with files in utils/ in 3 commits, with files of its own folder in 0")
    assert (git_repo.path / "billing/money_text.py").exists()  # never moves anything


def test_clean_layout_gets_no_suggestions(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_features(git_repo, scattered=False), tmp_path)
    assert compute(ws)["suggestions"] == []


def test_an_established_folder_keeps_its_files(git_repo: GitRepo, tmp_path: Path) -> None:
    """billing/ used in 20+ commits is a decision: its helper stays, the others' helpers may move."""
    build_features(git_repo, scattered=True)
    for i in range(20):
        git_repo.commit(f"billing {i}", {"billing/invoice.py": f"def invoice_total(lines):\n    return sum(lines) + {i}\n"})
    ws = indexed_workspace(git_repo, tmp_path)
    sugg = compute(ws)["suggestions"]
    assert [sorted(s["files"]) for s in sugg] == [["reports/slug_tools.py", "users/text_clean.py"]], sugg


def test_a_deliberate_subpackage_is_not_dissolved(git_repo: GitRepo, tmp_path: Path) -> None:
    """The httpx case: pkg/_transports/ has its own __init__.py, so its files stay where they are."""
    ws = indexed_workspace(build_transports(git_repo, package=True), tmp_path)
    result = compute(ws)
    assert result["suggestions"] == []
    assert [(sorted(h["files"]), h["target"]) for h in result["left_alone"]] == \
        [(["pkg/_transports/asgi.py", "pkg/_transports/wsgi.py"], "pkg/")]
    assert "pkg/_transports/ is a Python package (it has __init__.py)" in result["left_alone"][0]["why"]


def test_the_same_files_without_a_package_are_suggested(tmp_path: Path) -> None:
    """The control for the test above: the same history without `_transports/__init__.py`."""
    repo = build_transports(GitRepo(tmp_path / "repo"), package=False)
    sugg = compute(indexed_workspace(repo, tmp_path))["suggestions"]
    assert [(sorted(s["files"]), s["target"]) for s in sugg] == \
        [(["pkg/_transports/asgi.py", "pkg/_transports/wsgi.py"], "pkg/")], sugg
    assert {e["with_target"] for e in sugg[0]["evidence"]} == {3}
