"""The crawl's summary and `vjepa status` count the same index alike (relations by pattern, the
semantic ones drawn at embedding time included), and a crawl of an unchanged folder reports 0
changed: files skipped as before (binary, too large, undecodable) are not changes. Through
`vjepa_core.cli.main` on a real git repository, with the shipped model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from vjepa_core.cli import main
from vjepa_core.workspace import Workspace


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _similar_project(repo: GitRepo) -> GitRepo:
    """Files that mean alike (semantic links) in folders, changed together (temporal links)."""
    parsers = {f"parsers/{kind}_parser.py": (
        f'def parse_{kind}(text):\n    """Parse {kind} text into a dictionary of settings."""\n'
        f"    settings = {{}}\n    for line in text.splitlines():\n        key, value = line.split('=')\n"
        f"        settings[key.strip()] = value.strip()\n    return settings\n") for kind in ("ini", "env", "conf")}
    repo.commit("parsers", parsers)
    repo.commit("tests", {"tests/test_parsers.py": "from parsers.ini_parser import parse_ini\n\n\n"
                                                    "def test_ini():\n    assert parse_ini('a=1') == {'a': '1'}\n"})
    for i in range(3):
        repo.commit(f"tune {i}", {"parsers/ini_parser.py": parsers["parsers/ini_parser.py"] + f"\nLEVEL = {i}\n",
                                  "tests/test_parsers.py": f"# round {i}\n"})
    return repo


def test_crawl_summary_and_status_agree(git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _similar_project(git_repo)
    idx = str(tmp_path / "idx")
    assert Workspace(repo.path, idx).model_dir is not None  # the shipped model: vectors and semantic links
    crawl = _json(capsys, "crawl", str(repo.path), "--index-dir", idx, "--quiet")
    status = _json(capsys, "status", str(repo.path), "--index-dir", idx)
    by = crawl["relations_by_pattern"]
    assert by.get("semantic", 0) > 0 and by.get("temporal", 0) > 0 and by.get("spatial", 0) > 0
    assert crawl["embedded"]["semantic_relations"] == by["semantic"]
    assert status["relations_by_pattern"] == {k: by.get(k, 0) for k in ("temporal", "spatial", "semantic")}
    assert status["tables"]["relations"] == crawl["relations_total"] == sum(by.values())
    assert status["tables"]["files"] == crawl["files_seen"] and status["tables"]["units"] == crawl["units"]

    # The table and the messages say the same numbers.
    assert main(["crawl", str(repo.path), "--index-dir", idx]) == 0
    out, err = capsys.readouterr()
    table = " ".join(out.split())
    assert f"relations {crawl['relations_total']} (temporal {by['temporal']}, spatial {by['spatial']}, " \
           f"semantic {by['semantic']})" in table
    assert f"{by['semantic']} semantic links" in err
    assert f"{by['temporal'] + by['spatial']} relations from history, folders and imports" in " ".join(err.split())


def test_an_unchanged_recrawl_reports_nothing_changed(git_repo: GitRepo, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.commit("start", {
        "app.py": "def app():\n    return 1\n",
        "logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),  # binary by name
        "data.bin.dat": b"\x00\x01\x02" * 50,  # binary by content
        "latin.txt": "caf\xe9 cr\xe8me ".encode("utf-16-le")[:-1],  # text that cannot be decoded
        "big.py": "x = 1\n" * 400,  # over --max-bytes below
    })
    idx = str(tmp_path / "idx")
    args = ("crawl", str(git_repo.path), "--index-dir", idx, "--no-embed", "--quiet", "--max-bytes", "1000")
    first = _json(capsys, *args)
    assert first["new"] == 5 and first["files_indexed"] == 1
    assert sum(first["skipped"].values()) >= 4
    # The table adds up: 1 indexed and 4 listed by name are the 5 new files `status` counts.
    assert main(list(args[:-4]) + ["--max-bytes", "1000"]) == 0
    assert "1 indexed, 4 by name only (skipped: binary, too large, ...) of 5 seen (0 new, 0 changed, 5 unchanged" \
        in " ".join(capsys.readouterr().out.split())
    assert _json(capsys, "status", str(git_repo.path), "--index-dir", idx)["tables"]["files"] == 5
    for _ in range(2):  # the second crawl could still meet the racy-clean window; the third cannot
        again = _json(capsys, *args)
        assert (again["new"], again["changed"], again["deleted"]) == (0, 0, 0)
        assert again["unchanged"] == 5
        assert again["skipped"] == first["skipped"]  # still skipped, and still said

    # Touched but the same bytes: still not a change. Changed bytes: one change.
    stamp = (git_repo.path / "logo.png").stat().st_mtime_ns + 5_000_000_000
    os.utime(git_repo.path / "logo.png", ns=(stamp, stamp))
    touched = _json(capsys, *args)
    assert (touched["changed"], touched["unchanged"]) == (0, 5)
    (git_repo.path / "data.bin.dat").write_bytes(b"\x00\x09" * 80)
    edited = _json(capsys, *args)
    assert (edited["changed"], edited["unchanged"]) == (1, 4)
