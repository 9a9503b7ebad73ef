"""`vjepa bench lsp`: the real vjepa-lsp over stdio on a small generated git workspace."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from vjepa_core.bench.lsp import bench_lsp
from vjepa_core.bench.lsp_workspace import GIT_ENV, generate_workspace
from vjepa_core.cli import main
from vjepa_core.cli.bench import run_bench_lsp
from vjepa_core.messages import VjepaError, Voice


def test_generated_workspace_is_a_deterministic_git_repo(tmp_path: Path) -> None:
    a = generate_workspace(tmp_path / "a", 45, commits=12, seed=3)
    b = generate_workspace(tmp_path / "b", 45, commits=12, seed=3)
    assert len(a.files) == 45 and a.files == b.files and a.leaves == b.leaves and a.leaves
    assert all((tmp_path / "a" / f).read_text() == (tmp_path / "b" / f).read_text() for f in a.files)
    log = subprocess.run(["git", "-C", str(tmp_path / "a"), "log", "--format=%s", "--name-only"],
                         capture_output=True, text=True, check=True, env=GIT_ENV).stdout
    assert log.count("work on ") == 12  # the history, then the initial import
    tracked = subprocess.run(["git", "-C", str(tmp_path / "a"), "ls-files"], capture_output=True, text=True,
                             check=True, env=GIT_ENV).stdout.split()
    assert sorted(tracked) == sorted(a.files)
    status = subprocess.run(["git", "-C", str(tmp_path / "a"), "status", "--porcelain"], capture_output=True,
                            text=True, check=True, env=GIT_ENV).stdout
    assert status == ""  # the work tree is the last commit
    # Modules import each other (relations for the lenses), tests sit beside their modules.
    assert any("from pkg_0000." in (tmp_path / "a" / f).read_text() for f in a.files)
    assert any("/tests/test_" in f for f in a.files)


def test_bench_drives_the_real_server_and_sees_each_changed_lens() -> None:
    report = bench_lsp(generate=60, commits=30, files=20, requests=60, saves=3, idle_seconds=1.0, seed=0)
    assert report["workspace_files"] == 60
    assert report["lens"]["requests"] == 60 and report["lens"]["answers_with_lenses"] > 0
    assert 0 < report["lens"]["p50_ms"] <= report["lens"]["p99_ms"]
    save = report["save"]
    # Every save brought a workspace/codeLens/refresh, and the lens then answered from the new index.
    assert save["saves"] == save["refreshes_observed"] == save["lens_current"] == 3
    assert save["lens_updated"] >= 1  # at least one lens shows the newly imported file
    assert all(r["refresh_seen"] for r in save["rounds"])
    assert 0 < save["p50_ms"] <= save["p95_ms"]
    rss = report["rss_mb"]
    assert 0 < rss["after_index"] <= rss["peak"] and 0 < rss["end"] <= rss["peak"]
    assert report["idle_cpu_percent"] >= 0
    figures = {row["figure"] for row in report["table"]}
    assert figures == {"workspace files", "code lens p50", "code lens p99", "save to refreshed lens p95",
                       "RSS after indexing", "RSS at the end", "RSS peak (indexing included)", "idle CPU",
                       "workspace/symbol first query", "workspace/symbol p50"}
    assert report["symbols"]["queries"] == 50 and 0 < report["symbols"]["first_ms"]
    assert 0 < report["symbols"]["p50_ms"] <= report["symbols"]["p95_ms"]
    assert 0 <= save["lens_kept"] <= 3
    assert next(r for r in report["table"] if r["figure"] == "workspace files")["met"] is False  # 60 < 5,000
    json.dumps(report)  # --json prints it as is


def test_bad_input_is_refused_with_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "lsp", "--root", str(tmp_path / "missing")]) != 0
    assert "is not a folder" in capsys.readouterr().err
    assert main(["bench", "lsp", "--generate", "5"]) != 0
    assert "--generate must be a positive number" in capsys.readouterr().err
    with pytest.raises(VjepaError, match="--files must be a positive number"):
        run_bench_lsp(argparse.Namespace(root=tmp_path, generate=None, files=0, requests=1, saves=1),
                      Voice(), Console())
