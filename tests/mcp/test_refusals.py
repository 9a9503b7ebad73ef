"""What `vjepa mcp` refuses, and how: folders nobody allowed, folders marked "never", paths outside the
folder or on the deny list, bad arguments. Each refusal is an MCP error result with one clear
sentence, and the server keeps serving after it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from tests.mcp.agents import ROOT, consent_path, error_text, indexes, payload, session, write_consent


@pytest.mark.asyncio
async def test_a_folder_never_allowed_is_not_read(repo: GitRepo, other: GitRepo, data: Path) -> None:
    async with session(repo.path, data=data) as client:
        for tool, args in [("index_status", {}), ("search_code", {"query": "plan"}),
                           ("related_files", {"path": "secret_plans.py"})]:
            said = error_text(await client.call_tool(tool, {**args, "root": str(other.path)}))
            assert f"You haven't allowed me to read {other.path}" in said
        assert payload(await client.call_tool("related_files", {"path": "calc.py"}))["files"]  # still serving
    assert [name.rsplit("-", 1)[0] for name in indexes(data)] == ["repo"]  # nothing of `other` was indexed
    assert json.loads(consent_path(data).read_text()) == {str(repo.path): "allow"}


@pytest.mark.asyncio
async def test_a_folder_marked_never_stays_unread_even_when_named(repo: GitRepo, other: GitRepo, data: Path) -> None:
    write_consent(data, {other.path: "never"})
    async with session(other.path, repo.path, data=data) as client:
        said = error_text(await client.call_tool("search_code", {"query": "plan"}))  # the default root: `other`
        assert f"You asked me never to read {other.path}" in said and str(consent_path(data)) in said
        error_text(await client.call_tool("index_status", {"root": str(other.path)}))
        assert payload(await client.call_tool("related_files", {"path": "calc.py", "root": str(repo.path)}))["files"]
    assert json.loads(consent_path(data).read_text()) == {str(other.path): "never", str(repo.path): "allow"}
    assert [name.rsplit("-", 1)[0] for name in indexes(data)] == ["repo"]


@pytest.mark.asyncio
async def test_without_a_root_only_a_folder_allowed_before_is_read(repo: GitRepo, data: Path) -> None:
    async with session(data=data, cwd=repo.path) as client:
        said = error_text(await client.call_tool("related_files", {"path": "calc.py"}))
        assert "There's no folder to answer about" in said
    assert indexes(data) == []
    write_consent(data, {repo.path: "allow"})  # as the language server leaves it after "Allow"
    async with session(data=data, cwd=repo.path) as client:
        related = payload(await client.call_tool("related_files", {"path": "calc.py"}))
    assert related["root"] == str(repo.path) and related["files"][0]["path"] == "tests/test_calc.py"


@pytest.mark.asyncio
async def test_a_subfolder_marked_never_is_left_out(repo: GitRepo, data: Path) -> None:
    write_consent(data, {repo.path / "tests": "never"})
    async with session(repo.path, data=data) as client:
        related = payload(await client.call_tool("related_files", {"path": "calc.py"}))
        said = error_text(await client.call_tool("related_files", {"path": "tests/test_calc.py"}))
        found = payload(await client.call_tool("search_code", {"query": "test_add add"}))
    assert related["files"] and all(not f["path"].startswith("tests/") for f in related["files"])
    assert f"never to read {repo.path / 'tests'}" in said
    assert all(not u["path"].startswith("tests/") for u in found["units"])


@pytest.mark.asyncio
async def test_paths_outside_the_folder_or_denied_are_refused(repo: GitRepo, other: GitRepo, data: Path) -> None:
    (repo.path / "link.py").symlink_to(other.path / "secret_plans.py")
    async with session(repo.path, data=data) as client:
        for path in ["../other/secret_plans.py", str(other.path / "secret_plans.py"), "link.py", "/etc/passwd"]:
            said = error_text(await client.call_tool("related_files", {"path": path}))
            assert f"{path} is outside the workspace {repo.path}" in said, said
        said = error_text(await client.call_tool("next_files", {"recent": ["calc.py", "../other/secret_plans.py"]}))
        assert "outside the workspace" in said
        assert "privacy deny list" in error_text(await client.call_tool("related_files", {"path": ".env"}))
        assert "privacy deny list" in error_text(await client.call_tool("reindex", {"paths": [".env"]}))
        assert "won't read it" in error_text(await client.call_tool("related_files", {"path": ".git/config"}))
        assert payload(await client.call_tool("related_files", {"path": "calc.py"}))["files"]  # still serving


BAD = [
    ("related_files", {}, "path is missing"),
    ("related_files", {"path": 5}, "path must be a valid string (got 5)"),
    ("related_files", {"path": "calc.py", "k": 0}, "k must be greater than or equal to 1 (got 0)"),
    ("related_files", {"path": "calc.py", "k": -3}, "k must be greater than or equal to 1 (got -3)"),
    ("next_files", {"k": 500}, "k must be less than or equal to 50 (got 500)"),
    ("next_files", {"recent": "calc.py"}, "recent must be a valid list"),
    ("search_code", {"query": "add", "k": "many"}, "k must be a valid integer"),
    ("search_code", {}, "query is missing"),
    ("search_code", {"query": ""}, "The search query is empty"),
    ("search_code", {"query": "   "}, "The search query is empty"),
    ("index_status", {"root": 3}, "root must be a valid string"),
    ("reindex", {"paths": [1, 2]}, "paths.0 must be a valid string"),
]


@pytest.mark.asyncio
async def test_bad_arguments_get_clear_errors_and_the_server_keeps_serving(repo: GitRepo, data: Path) -> None:
    async with session(repo.path, data=data) as client:
        for tool, args, expected in BAD:
            said = error_text(await client.call_tool(tool, args))
            assert expected in said, (tool, args, said)
        said = error_text(await client.call_tool("related_files", {"k": 0}))
        assert "path is missing; k must be" in said and "It takes path (string, required), k (integer, 1 to 50)" in said
        assert "Unknown tool" in error_text(await client.call_tool("delete_everything", {}))
        assert payload(await client.call_tool("search_code", {"query": "add", "k": 1}))["units"]


def test_help_explains_the_command() -> None:
    res = subprocess.run([sys.executable, "-m", "vjepa_core.cli", "mcp", "--help"], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    assert res.returncode == 0
    assert res.stdout.startswith("usage: vjepa mcp") and "ROOT" in res.stdout and "docs/agents.md" in res.stdout


def test_a_missing_root_fails_before_serving(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "vjepa_core.cli", "mcp", str(tmp_path / "nowhere")], cwd=ROOT,
                         capture_output=True, text=True, check=False, env={"XDG_DATA_HOME": str(tmp_path / "data"),
                                                                          "PATH": "/usr/bin:/bin"}, timeout=60)
    assert res.returncode == 2 and res.stdout == ""
    assert f"I can't find the folder {tmp_path / 'nowhere'}" in res.stderr
