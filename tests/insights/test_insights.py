"""Insights on real git repositories with planted habits and structure, and on ones without."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from tests.fixtures import GitRepo
from tests.insights.fixtures import (
    DAY,
    FEATURES,
    UTIL_WORDS,
    build_features,
    build_habits,
    build_no_habits,
    indexed_workspace,
    py_handler,
    py_handler_test,
)
from vjepa_core.cli import main as cli_main
from vjepa_core.index.crawl import crawl
from vjepa_core.index.store import EVENTS
from vjepa_core.insights import report as insights
from vjepa_core.paths import subject_stem
from vjepa_core.workspace import Workspace


# --- work patterns ------------------------------------------------------------------------
def test_finds_planted_habits(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_habits(git_repo), tmp_path)
    result = insights.compute(ws)
    pats = result["patterns"]
    after = [p for p in pats if p["kind"] == "test_after_module"]
    assert len(after) == 1 and after[0]["support"] == len(FEATURES) and after[0]["against"] == 0
    assert after[0]["typical_gap_s"] == 3600
    assert after[0]["sentence"].startswith("You usually create tests after the modules")
    ev = after[0]["evidence"][0]
    assert ev["module"].startswith("server/") and ev["test"].startswith("tests/test_")
    assert ev["module_commit"] != ev["test_commit"] and len(ev["test_commit"]) == 40
    langs = [p for p in pats if p["kind"] == "order" and p["facet"] == "language"]
    assert [(p["first"], p["then"], p["support"], p["against"]) for p in langs] == \
        [("swift", "python", len(FEATURES), 0)]
    assert "You usually work on Swift first, then Python" in langs[0]["sentence"]
    assert langs[0]["typical_gap_s"] == 3600 and langs[0]["evidence"][0]["source"] == "git"
    assert not [p for p in pats if p["first"] == "python" and p["then"] == "swift"]
    json.dumps(result)  # JSON-able as promised


def test_invents_no_habits(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_no_habits(git_repo), tmp_path)
    result = insights.compute(ws)
    assert result["counts"]["commits"] == 2 * len(FEATURES)
    assert result["patterns"] == []


def test_habits_from_editor_events(git_repo: GitRepo, tmp_path: Path) -> None:
    """Editor sessions alone (no helpful history) show the habit of editing docs after code."""
    git_repo.commit("start", {"src/app.py": py_handler("app"), "docs/guide.md": "# Guide\n\nHow to use the app.\n"})
    ws = indexed_workspace(git_repo, tmp_path)
    start = 1_800_000_000_000
    rows = []
    for s in range(5):
        t = start + s * DAY * 1000
        rows += [(t, "src/app.py", "open"), (t + 60_000, "src/app.py", "save"), (t + 600_000, "docs/guide.md", "save")]
    ws.store.add_events(pa.table({"time_ms": [r[0] for r in rows], "path": [r[1] for r in rows],
                                  "kind": [r[2] for r in rows], "source": ["test"] * len(rows)}, schema=EVENTS))
    pats = insights.compute(ws)["patterns"]
    roles = [(p["first"], p["then"], p["support"]) for p in pats if p["facet"] == "role"]
    assert roles == [("module", "docs", 5)]
    p = next(p for p in pats if p["facet"] == "role")
    assert p["evidence"][0]["source"] == "editor" and p["typical_gap_s"] == 600


def test_file_roles_and_test_twins() -> None:
    role = insights.file_role
    assert role("tests/test_core.py") == "test" and role("pkg/core_test.go") == "test"
    assert role("Sources/CoreTests.swift") == "test" and role("web/app.test.ts") == "test"
    assert role("pkg/latest.py") == "module" and role("docs/guide.md") == "docs"
    assert role("pyproject.toml") == "config" and role("README.md") == "docs"
    assert subject_stem("tests/test_core.py") == "core"
    assert subject_stem("Sources/CoreTests.swift") == "core"
    assert subject_stem("web/app.test.ts") == "app"


def test_sign_test_is_exact() -> None:
    assert insights.sign_test(6, 0) == pytest.approx(1 / 64)
    assert insights.sign_test(3, 3) == pytest.approx(42 / 64)
    assert insights.sign_test(0, 0) == 1.0


# --- organisation -------------------------------------------------------------------------
def test_finds_scattered_utility_cluster(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_features(git_repo, scattered=True), tmp_path)
    sugg = insights.compute(ws)["suggestions"]
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
    assert insights.compute(ws)["suggestions"] == []


# --- summary ------------------------------------------------------------------------------
def test_summary_themes_languages_and_centre(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_features(git_repo, scattered=True), tmp_path)
    summary = insights.compute(ws)["summary"]
    assert summary["languages"] == {"Python": 10}
    assert summary["source"] == "tfidf"
    all_terms = {t for th in summary["themes"] for t in th["terms"]}
    assert {"invoice", "password", "chart"} & all_terms, summary["themes"]
    assert summary["sentence"].startswith("This project is about ") and "Python" in summary["sentence"]
    assert summary["central_files"] and summary["central_files"][0]["degree"] > 0


def test_pagerank_favours_the_hub() -> None:
    ranks = insights.pagerank(["hub", "a", "b", "c", "lone"], [("hub", "a", 1.0), ("hub", "b", 1.0),
                                                               ("hub", "c", 1.0)])
    assert max(ranks, key=ranks.get) == "hub" and sum(ranks.values()) == pytest.approx(1.0)
    assert ranks["lone"] < ranks["a"]


# --- CLI ----------------------------------------------------------------------------------
def test_cli_insights_json_and_text(git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    build_habits(git_repo)
    index = tmp_path / "index"
    crawl(git_repo.path, index)
    assert cli_main(["insights", str(git_repo.path), "--index-dir", str(index), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {p["kind"] for p in data["patterns"]} >= {"test_after_module", "order"}
    assert cli_main(["insights", str(git_repo.path), "--index-dir", str(index)]) == 0
    out = capsys.readouterr().out
    assert "You usually create tests after the modules" in out and "This project is about" in out
    assert "Everything looks at home" in out


def test_cli_insights_without_index_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "proj").mkdir()
    code = cli_main(["insights", str(tmp_path / "proj"), "--index-dir", str(tmp_path / "none")])
    assert code == 2
    assert "Run `vjepa crawl" in capsys.readouterr().err


def test_test_first_habit_from_history(git_repo: GitRepo) -> None:
    from vjepa_core.harvest.history import read_commits

    for name in FEATURES[:4]:
        git_repo.commit(f"test {name}", {f"tests/test_{name}.py": py_handler_test(name)})
        git_repo.commit(f"make it pass {name}", {f"server/{name}.py": py_handler(name)})
    habits = insights.test_habits(read_commits(git_repo.path))
    assert [(h.kind, h.support, h.against) for h in habits] == [("test_before_module", 4, 0)]
    assert habits[0].sentence.startswith("You usually write the test first: 4 of 4")


def test_folder_without_git_or_habits(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def start_engine(speed):\n    return speed * 2\n", encoding="utf-8")
    crawl(root, tmp_path / "index")
    result = insights.compute(Workspace(root, tmp_path / "index"))
    assert result["counts"]["commits"] == 0 and result["patterns"] == [] and result["suggestions"] == []
    assert result["summary"]["languages"] == {"Python": 1}
