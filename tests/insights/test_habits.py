"""Work habits found in real git repositories with planted habits, and none invented where there are none."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from tests.fixtures import GitRepo
from tests.insights.fixtures import (
    DAY,
    FEATURES,
    build_habits,
    build_no_habits,
    indexed_workspace,
    py_handler,
    py_handler_test,
)
from vjepa_core.index.store import EVENTS
from vjepa_core.insights import habits
from vjepa_core.insights.report import compute


def test_finds_planted_habits(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_habits(git_repo), tmp_path)
    result = compute(ws)
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
    result = compute(ws)
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
    pats = compute(ws)["patterns"]
    roles = [(p["first"], p["then"], p["support"]) for p in pats if p["facet"] == "role"]
    assert roles == [("module", "docs", 5)]
    p = next(p for p in pats if p["facet"] == "role")
    assert p["evidence"][0]["source"] == "editor" and p["typical_gap_s"] == 600


def test_sign_test_is_exact() -> None:
    assert habits.sign_test(6, 0) == pytest.approx(1 / 64)
    assert habits.sign_test(3, 3) == pytest.approx(42 / 64)
    assert habits.sign_test(0, 0) == 1.0


def test_test_first_habit_from_history(git_repo: GitRepo) -> None:
    from vjepa_core.harvest.history import read_commits

    for name in FEATURES[:4]:
        git_repo.commit(f"test {name}", {f"tests/test_{name}.py": py_handler_test(name)})
        git_repo.commit(f"make it pass {name}", {f"server/{name}.py": py_handler(name)})
    found = habits.test_habits(read_commits(git_repo.path))
    assert [(h.kind, h.support, h.against) for h in found] == [("test_before_module", 4, 0)]
    assert found[0].sentence.startswith("You usually write the test first: 4 of 4")
