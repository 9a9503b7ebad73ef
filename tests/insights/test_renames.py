"""Examples quote the paths files have now: renames followed, deleted files never quoted."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures import GitRepo
from tests.insights.fixtures import build_renamed_package, indexed_workspace
from vjepa_core.harvest.history import read_commits
from vjepa_core.insights.renames import current_names
from vjepa_core.insights.report import compute


def test_examples_use_current_paths_after_a_folder_rename(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_renamed_package(git_repo), tmp_path)
    result = compute(ws)
    patterns = result["patterns"]
    quoted = json.dumps([{k: p[k] for k in ("first", "then", "sentence", "evidence")} for p in patterns])
    assert "http3" not in quoted and "legacy" not in quoted, quoted
    after = next(p for p in patterns if p["kind"] == "test_after_module")
    assert after["support"] == 6  # the pairs made under the old name still count ...
    assert {e["module"] for e in after["evidence"]} <= {f"httpx/{n}.py" for n in
                                                       ("orders", "payments", "profile", "search", "upload", "billing")}
    assert after["evidence"][0]["module"] == "httpx/billing.py"  # ... and the newest example comes first
    folders = [p for p in patterns if p["facet"] == "directory"]
    assert ("httpx/", "tests/") in {(p["first"], p["then"]) for p in folders}
    assert all(f.startswith(("httpx/", "tests/", "docs/")) for p in patterns for e in p["evidence"]
               for f in e.get("first_files", []) + e.get("then_files", []))


def test_current_names_follow_chains_and_forget_deleted_files(git_repo: GitRepo) -> None:
    git_repo.commit("a", {"a.py": "A = 1\n", "gone.py": "G = 1\n"})
    git_repo.git("mv", "a.py", "b.py")
    git_repo.commit("a -> b")
    git_repo.git("mv", "b.py", "c.py")
    git_repo.commit("b -> c", {"gone.py": None})
    git_repo.commit("new a", {"a.py": "A_NEW = 2\n"})  # a new file where the old one was
    commits = read_commits(git_repo.path)
    names = current_names(commits, {"a.py", "c.py"})
    assert names[0] == {"a.py": "c.py", "gone.py": None}
    assert names[1] == {"b.py": "c.py"}
    assert names[3] == {"a.py": "a.py"}
