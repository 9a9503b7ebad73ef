"""End to end: every tool of `vjepa mcp`, called with the MCP SDK's own client over stdio, on a real
git repository in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from tests.mcp.agents import consent_path, indexes, payload, session
from tests.mcp.conftest import CALC

TOOLS = {"related_files", "next_files", "search_code", "project_insights", "index_status", "reindex"}


@pytest.mark.asyncio
async def test_lists_the_tools_with_their_arguments(repo: GitRepo, data: Path) -> None:
    async with session(repo.path, data=data) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert client.server_info is not None and client.server_info.name == "vjepa"
    assert set(listed) == TOOLS
    related = listed["related_files"].input_schema
    assert related["required"] == ["path"]
    assert related["properties"]["k"]["minimum"] == 1 and related["properties"]["k"]["maximum"] == 50
    assert listed["search_code"].input_schema["required"] == ["query"]
    assert all(t.description and t.output_schema for t in listed.values())


@pytest.mark.asyncio
async def test_first_use_indexes_the_folder_records_consent_and_keeps_stdout_clean(repo: GitRepo, data: Path) -> None:
    stray: list[object] = []
    async with session(repo.path, data=data, stray=stray) as client:
        related = payload(await client.call_tool("related_files", {"path": "calc.py"}))  # waits for the index
        status = payload(await client.call_tool("index_status", {}))
    assert related["files"], related
    assert status["state"] == "ready" and status["root"] == str(repo.path)
    assert status["files"] == 4 and status["units"] >= 4  # calc.py, util.py, notes.md, the test; never .env
    assert status["served_roots"] == [str(repo.path)]
    assert stray == []  # only MCP messages reached stdout, the crawl's chatter included
    assert json.loads(consent_path(data).read_text()) == {str(repo.path): "allow"}
    assert [name.rsplit("-", 1)[0] for name in indexes(data)] == ["repo"]


@pytest.mark.asyncio
async def test_related_next_and_search_answer_with_relative_paths_and_reasons(repo: GitRepo, data: Path) -> None:
    async with session(repo.path, data=data) as client:
        related = payload(await client.call_tool("related_files", {"path": str(repo.path / "calc.py"), "k": 3}))
        after = payload(await client.call_tool("next_files", {"recent": ["calc.py"], "k": 2}))
        latest = payload(await client.call_tool("next_files", {}))
        found = payload(await client.call_tool("search_code", {"query": "multiply numbers", "k": 2}))
    assert related["path"] == "calc.py" and related["root"] == str(repo.path)
    first = related["files"][0]
    assert first["path"] == "tests/test_calc.py" and first["reason"] == "temporal"
    assert "changed together" in first["detail"] and len(related["files"]) <= 3
    assert after["after"] == ["calc.py"] and after["files"][0]["path"] == "tests/test_calc.py"
    assert 1 <= len(after["files"]) <= 2
    assert latest["after"] == [] and latest["files"]  # from the latest commit's files
    unit = found["units"][0]
    assert (unit["path"], unit["name"], unit["start_line"], unit["end_line"]) == ("calc.py", "multiply_numbers", 6, 7)
    assert unit["reason"] in ("name", "text", "semantic") and unit["detail"]
    assert all(not Path(u["path"]).is_absolute() for u in found["units"])


@pytest.mark.asyncio
async def test_project_insights_and_status(repo: GitRepo, data: Path) -> None:
    async with session(repo.path, data=data) as client:
        insights = payload(await client.call_tool("project_insights", {}))
        status = payload(await client.call_tool("index_status", {"root": str(repo.path)}))
    assert insights["root"] == str(repo.path)
    assert insights["summary"]["sentence"].startswith("This project")
    assert insights["counts"]["commits"] == 4
    # small: the strongest few, in words (vjepa insights --json has the rest)
    assert set(insights) == {"root", "summary", "counts", "people", "patterns", "suggestions", "more"}
    assert len(insights["patterns"]) <= 5 and all("sentence" in p for p in insights["patterns"])
    assert len(json.dumps(insights)) < 4000
    assert status["model"] and status["skipped_as_secrets"] == []


@pytest.mark.asyncio
async def test_reindex_reads_saved_files_then_the_whole_folder(repo: GitRepo, data: Path) -> None:
    async with session(repo.path, data=data) as client:
        payload(await client.call_tool("index_status", {}))
        before = payload(await client.call_tool("search_code", {"query": "subtract_numbers"}))
        repo.write("calc.py", CALC + "\n\ndef subtract_numbers(a, b):\n    return a - b\n")
        saved = payload(await client.call_tool("reindex", {"paths": ["calc.py"]}))
        after = payload(await client.call_tool("search_code", {"query": "subtract_numbers", "k": 1}))
        repo.write("pkg/strings.py", "def shout(text):\n    return text.upper()\n")
        crawled = payload(await client.call_tool("reindex", {}))
        shouted = payload(await client.call_tool("search_code", {"query": "shout", "k": 1}))
    assert all(u["name"] != "subtract_numbers" for u in before["units"])
    assert saved["how"] == "saved files" and saved["crawl"] is None and saved["files"] == 4
    assert after["units"][0]["name"] == "subtract_numbers" and after["units"][0]["start_line"] == 10
    assert crawled["how"] == "incremental crawl" and crawled["crawl"]["new"] == 1 and crawled["files"] == 5
    assert shouted["units"][0]["path"] == "pkg/strings.py"
