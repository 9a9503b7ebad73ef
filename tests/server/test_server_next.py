"""End to end over stdio: Next lenses and vjepa.predictNext, vjepa.trainNow, vjepa/status,
editor events in the index, and the file watcher keeping the index fresh."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from server.features.indexing import ChangeFilter
from server.folders import make_folder
from tests.fixtures import GitRepo
from tests.server.lsp import command, indexed, session, until, uri
from vjepa_core.index.store import default_index_dir
from vjepa_core.workspace import Workspace


def index_of(repo: GitRepo, tmp_path: Path) -> Workspace:
    """The server's index, opened read-only from the test (a second reader, as `vjepa status` is)."""
    return Workspace(repo.path, tmp_path / "index" / default_index_dir(repo.path).name)


def lenses_of(client: Any, repo: GitRepo, rel: str) -> Any:
    return client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, rel))))


def idle(client: Any) -> bool:
    return bool(client.statuses) and client.statuses[-1]["state"] == "idle"


@pytest.mark.asyncio
async def test_predict_next_status_events_and_watcher(repo: GitRepo, tmp_path: Path) -> None:
    async with session(repo, tmp_path, options={"trustWorkspace": True, "watchDebounceMs": 50}) as client:
        # Settled: indexed, idle, and the idle-training scheduler (started right after the first
        # index, with a status of its own) waiting.
        await until(lambda: indexed(client) and idle(client) and client.statuses[-1]["idle_training"] == "waiting",
                    timeout=90)
        states = [s["state"] for s in client.statuses]
        assert states[0] == "indexing" and states[-1] == "idle"
        # Status bars get the crawl's progress with it, and nothing of it once idle.
        assert any(s["state"] == "indexing" and s.get("total") == 4 and s.get("percentage") == 100
                   for s in client.statuses)
        assert "percentage" not in client.statuses[-1]
        last = client.statuses[-1]
        assert (last["files"], last["folders"][0]["files"]) == (4, 4)
        assert last["units"] >= 5
        assert last["model"]["name"] == "default" and re.fullmatch(r"[0-9a-f]{16}", last["model"]["version"])
        assert await command(client, "vjepa.status") == last

        # After a file: calc.py and its test change together.
        after_calc = await command(client, "vjepa.predictNext", uri(repo, "calc.py"))
        assert after_calc[0]["path"] == "tests/test_calc.py"
        assert after_calc[0]["reason"] == "temporal"
        assert after_calc[0]["detail"].startswith("changed together in ") and \
            after_calc[0]["detail"].endswith("(after calc.py)"), after_calc[0]
        assert "calc.py" not in [r["path"] for r in after_calc]
        # No file and no edits yet: after the latest commit (calc.py + its test).
        latest = await command(client, "vjepa.predictNext")
        assert latest and latest[0]["detail"].endswith(("(after calc.py)", "(after tests/test_calc.py)"))

        # Editor events: the path and the time go to the index, and edits steer predictNext.
        doc = types.TextDocumentItem(uri=uri(repo, "util.py"), language_id="python", version=1,
                                     text="def helper():\n    return 1\n")
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=doc))
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc.uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="def helper():\n    return 2\n")]))
        after_edit = await command(client, "vjepa.predictNext")
        assert after_edit[0]["detail"].endswith("(after util.py)"), after_edit[0]

        ws = index_of(repo, tmp_path)

        def events() -> list[dict[str, Any]]:
            return ws.store.read("events").to_pylist() if ws.store.count("events") else []

        await until(lambda: len(events()) >= 2)
        rows = sorted(events(), key=lambda r: (r["time_ms"], r["kind"] != "open"))
        assert [(r["path"], r["kind"]) for r in rows] == [("util.py", "open"), ("util.py", "change")]
        assert {r["source"] for r in rows} == {"visual-studio-code"}
        assert set(rows[0]) == {"time_ms", "path", "kind", "source"}  # never content

        # Another tool writes a new file and deletes one; the editor says nothing: the watcher sees it.
        refreshes = client.lens_refreshes
        repo.write("geometry.py", "def triangle_area(base, height):\n    return base * height / 2\n")
        (repo.path / "util.py").unlink()

        def indexed_files() -> set[str]:
            return set(ws.store.read("files", ["path"])["path"].to_pylist())

        expected = {"calc.py", "notes.md", "geometry.py", "tests/test_calc.py"}
        await until(lambda: client.lens_refreshes > refreshes and idle(client) and indexed_files() == expected,
                    timeout=60)
        assert not await lenses_of(client, repo, "util.py")
        symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="triangle_area"))
        assert any(s.name == "triangle_area" and s.location.uri == uri(repo, "geometry.py") for s in symbols)
        assert any(m.message.startswith("watch: ") for m in client.log_messages)


@pytest.mark.asyncio
async def test_train_now_refreshes_model_status_and_lenses(repo: GitRepo, tmp_path: Path) -> None:
    async with session(repo, tmp_path, options={"trustWorkspace": True, "trainSteps": 1}) as client:
        await until(lambda: indexed(client) and idle(client) and client.lens_refreshes == 1, timeout=90)
        default_version = client.statuses[-1]["model"]["version"]
        tokens = set(client.progress_reports)
        (result,) = await command(client, "vjepa.trainNow")
        assert result["root"] == str(repo.path) and result["steps"] == 1
        assert result["model"]["name"] == "workspace" and result["model"]["version"] != default_version
        assert (Path(result["path"]) / "config.json").is_file()
        assert [s["state"] for s in client.statuses[-2:]] == ["training", "idle"]
        assert any(s["state"] == "training" and s.get("percentage") == 99 for s in client.statuses)
        assert client.statuses[-1]["model"] == result["model"]
        (token,) = set(client.progress_reports) - tokens
        reports = client.progress_reports[token]
        assert reports[0].title == "Training on repo" and reports[-1].kind == "end"
        assert reports[-1].message == f"Training finished: model {result['model']['version']} now serves repo."
        assert any(m.message.startswith("Learning how you work in repo (1 step)") for m in client.messages)
        await until(lambda: client.lens_refreshes == 2)
        # The caches were rebuilt with the new model: lenses and search still answer.
        assert (await lenses_of(client, repo, "calc.py"))[0].command.title == "Related: tests/test_calc.py"
        assert any(r["path"] == "calc.py" for r in await command(client, "vjepa.search", "multiply numbers"))


def test_change_filter_applies_the_crawl_rules(repo: GitRepo, tmp_path: Path) -> None:
    repo.write(".gitignore", "*.log\n")
    repo.write("sub/.gitignore", "local_*\n")
    folder = make_folder(repo.path, tmp_path / "index")
    keep = ChangeFilter(folder)
    root = repo.path
    index = folder.workspace.index_dir
    paths = ["calc.py", "sub/mod.py", "sub/local_x.py", "debug.log", ".env", "keys/id_rsa",
             "node_modules/x.js", ".git/objects/ab/cd", ".git/logs/HEAD", "secrets/server.pem"]
    changes = {(1, str(root / p)) for p in paths} | {(2, str(index / "files.lance" / "x"))}
    assert keep.relevant(changes) == [".git/logs/HEAD", "calc.py", "sub/mod.py"]  # type: ignore[arg-type]
    repo.write(".vjepaignore", "sub/\n")  # new rules are read again when a rule file changes
    assert keep.relevant({(1, str(root / ".vjepaignore")), (1, str(root / "sub/mod.py"))}) == \
        [".vjepaignore"]  # type: ignore[arg-type]
