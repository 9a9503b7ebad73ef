"""End to end: the real `vjepa-lsp` over stdio (pytest-lsp client) on a real git repo in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import client_capabilities

from tests.fixtures import FAKE_AWS, GitRepo
from tests.server.lsp import CALC, command, indexed, session, until, uri


@pytest.mark.asyncio
async def test_trusted_workspace_indexes_with_progress(repo: GitRepo, tmp_path: Path) -> None:
    async with session(repo, tmp_path, options={"trustWorkspace": True}) as client:
        await until(lambda: indexed(client))
        (reports,) = client.progress_reports.values()
        assert reports[0].kind == "begin" and reports[-1].kind == "end"
        assert any(r.kind == "report" for r in reports)
        texts = [m.message for m in client.messages]
        assert any(t.startswith("Reading ") for t in texts) and any(t.startswith("Learned from") for t in texts)
        assert (tmp_path / "index").is_dir()
        status = await command(client, "vjepa.status")
        assert status["folders"][0]["indexed"] is True


@pytest.mark.asyncio
async def test_consent_never_reads_nothing(repo: GitRepo, tmp_path: Path) -> None:
    async with session(repo, tmp_path, answer="Never") as client:
        await until(lambda: any("no consent" in m.message for m in client.log_messages))
        (asked,) = client.requests_seen  # type: ignore[attr-defined]
        assert asked.message == f"May I learn from {repo.path}? Everything stays on this machine."
        assert [a.title for a in asked.actions] == ["Allow", "Not now", "Never"]
        assert not (tmp_path / "index").exists()
        assert client.progress_reports == {}
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py"))))
        assert not lenses
    consent = json.loads((tmp_path / "data" / "vjepa-swarm" / "consent.json").read_text())
    assert consent == {str(repo.path): "never"}
    # Remembered: the next session does not ask again, and still reads nothing.
    async with session(repo, tmp_path, answer="Allow") as client:
        await until(lambda: any("no consent" in m.message for m in client.log_messages))
        assert client.requests_seen == []  # type: ignore[attr-defined]
        assert not (tmp_path / "index").exists()


@pytest.mark.asyncio
async def test_consent_allow_indexes(repo: GitRepo, tmp_path: Path) -> None:
    async with session(repo, tmp_path, answer="Allow") as client:
        await until(lambda: indexed(client))
        assert len(client.requests_seen) == 1  # type: ignore[attr-defined]
    consent = json.loads((tmp_path / "data" / "vjepa-swarm" / "consent.json").read_text())
    assert consent == {str(repo.path): "allow"}


@pytest.mark.asyncio
async def test_lenses_commands_symbols_and_show_document(repo: GitRepo, tmp_path: Path) -> None:
    async with session(repo, tmp_path, options={"trustWorkspace": True}) as client:
        await until(lambda: indexed(client))
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py"))))
        *related_lenses, next_lens = lenses
        assert 1 <= len(related_lenses) <= 3
        assert lenses[0].command.title == "Related: tests/test_calc.py"
        assert next_lens.command.title == "Next: tests/test_calc.py"
        assert next_lens.command.tooltip.startswith("temporal: changed together in "), next_lens.command.tooltip
        assert next_lens.command.tooltip.endswith("(after calc.py)")
        assert lenses[0].command.command == "vjepa.open"
        assert list(lenses[0].command.arguments or []) == [str(repo.path / "tests/test_calc.py")]
        assert all(lens.range.start.line == 0 for lens in lenses)
        unknown = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, "nope.py"))))
        assert not unknown

        related = await command(client, "vjepa.relatedFiles", uri(repo, "calc.py"))
        assert related[0]["path"] == "tests/test_calc.py"
        assert related[0]["reason"] == "temporal" and "3 commits" in related[0]["detail"]
        assert set(related[0]) >= {"path", "score", "reason", "detail"}

        found = await command(client, "vjepa.search", "multiply numbers")
        assert any(r["path"] == "calc.py" for r in found)

        symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="multiply_numbers"))
        hit = next(s for s in symbols if s.name == "multiply_numbers")
        assert hit.kind == types.SymbolKind.Function
        assert hit.location.uri == uri(repo, "calc.py") and hit.location.range.start.line == 4

        # VS Code shows documents itself: vjepa.open asks it to (window/showDocument).
        result = await command(client, "vjepa.open", "tests/test_calc.py")
        (shown,) = client.shown_documents
        assert shown.uri == uri(repo, "tests/test_calc.py")
        assert result == {"path": str(repo.path / "tests/test_calc.py"), "shown": True}


@pytest.mark.asyncio
async def test_refusals_and_malformed_params(repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 1\n")
    repo.write(".env", "TOKEN=x\n")
    async with session(repo, tmp_path, options={"trustWorkspace": True}) as client:
        await until(lambda: indexed(client))
        for args in ([from_fs_path(str(outside))], [str(outside)], ["../outside.py"], [uri(repo, ".env")]):
            with pytest.raises(JsonRpcException, match="outside|deny list"):
                await command(client, "vjepa.relatedFiles", *args)
        with pytest.raises(JsonRpcException, match="outside"):
            await command(client, "vjepa.open", str(outside))
        with pytest.raises(JsonRpcException, match="outside"):
            await command(client, "vjepa.predictNext", "../outside.py")
        malformed: list[tuple[str, list[Any]]] = [
            ("vjepa.relatedFiles", []), ("vjepa.relatedFiles", [42]), ("vjepa.relatedFiles", [None]),
            ("vjepa.relatedFiles", ["calc.py", "x"]), ("vjepa.relatedFiles", ["a\x00b"]),
            ("vjepa.predictNext", [42]), ("vjepa.predictNext", [{"uri": 1}]), ("vjepa.predictNext", ["a", "b"]),
            ("vjepa.search", []), ("vjepa.search", [{"q": 1}]), ("vjepa.search", [["x"]]),
            ("vjepa.open", []), ("vjepa.open", [3]), ("vjepa.open", [""]),
            ("vjepa.status", ["extra"]), ("vjepa.trainNow", ["extra"]), ("vjepa.nope", []),
        ]
        for name, args in malformed:
            with pytest.raises(JsonRpcException):
                await command(client, name, *args)
        assert client.shown_documents == []
        # Still serving, with the same answers.
        assert (await command(client, "vjepa.relatedFiles", uri(repo, "calc.py")))[0]["path"] == "tests/test_calc.py"
        assert (await command(client, "vjepa.predictNext", "calc.py"))[0]["path"] == "tests/test_calc.py"
        assert (await command(client, "vjepa.status"))["folders"][0]["indexed"] is True


@pytest.mark.asyncio
async def test_old_neovim_gets_a_message_and_kind_messages_off(repo: GitRepo, tmp_path: Path) -> None:
    window = client_capabilities("neovim@v0.7.0").window
    assert window is not None and not (window.show_document and window.show_document.support)
    async with session(repo, tmp_path, client_name="neovim@v0.7.0",
                       options={"trustWorkspace": True, "kindMessages": False}) as client:
        await until(lambda: indexed(client))
        result = await command(client, "vjepa.open", str(repo.path / "calc.py"))
        assert client.shown_documents == [] and result["shown"] is False
        # kindMessages off: the path is the only message shown; the kind ones went to the log.
        assert [m.message for m in client.messages] == [str(repo.path / "calc.py")]
        assert any(m.message.startswith("Learned from repo") for m in client.log_messages)


@pytest.mark.asyncio
async def test_save_refreshes_lenses(repo: GitRepo, tmp_path: Path) -> None:
    # The watcher is off: the save alone must bring the new relation in.
    async with session(repo, tmp_path, options={"trustWorkspace": True, "watch": False}) as client:
        await until(lambda: client.lens_refreshes == 1, timeout=90)  # type: ignore[attr-defined]
        params = types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py")))
        before = {lens.command.title: lens.command.tooltip for lens in await client.text_document_code_lens_async(params)}
        assert not any("imports" in str(t) for t in before.values())
        ends = len(client.progress_reports)
        repo.write("calc.py", CALC + "\nimport util\n")
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py"))))
        await until(lambda: client.lens_refreshes == 2, timeout=90)  # type: ignore[attr-defined]
        # A save of an indexed file takes the fast path (that file only): no full re-crawl, no progress.
        assert len(client.progress_reports) == ends
        related = await command(client, "vjepa.relatedFiles", uri(repo, "calc.py"))
        assert any(r["path"] == "util.py" for r in related)
        after = [(lens.command.title, lens.command.tooltip) for lens in await client.text_document_code_lens_async(params)]
        assert after[0][0] == "Related: tests/test_calc.py" and after[-1][0] == "Next: tests/test_calc.py"
        assert any(title == "· util.py" and tip.startswith("spatial: imports or is imported by it")
                   for title, tip in after), after


@pytest.mark.asyncio
async def test_consent_not_now_asks_again_next_time(repo: GitRepo, tmp_path: Path) -> None:
    async with session(repo, tmp_path, answer="Not now") as client:
        await until(lambda: any("no consent" in m.message for m in client.log_messages))
        assert len(client.requests_seen) == 1  # type: ignore[attr-defined]
        assert not (tmp_path / "index").exists()
        assert (await command(client, "vjepa.status"))["folders"] == []
    assert not (tmp_path / "data" / "vjepa-swarm" / "consent.json").exists()


@pytest.mark.asyncio
async def test_status_lists_secret_skips_without_their_value(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("deploy", {"deploy.py": f'AWS_ACCESS_KEY_ID = "{FAKE_AWS}"\n'})
    async with session(repo, tmp_path, options={"trustWorkspace": True}) as client:
        await until(lambda: indexed(client))
        status = await command(client, "vjepa.status")
        (skip,) = status["folders"][0]["secret_skips"]
        assert skip["path"] == "deploy.py" and skip["family"]
        assert FAKE_AWS not in json.dumps(status)


def _index_bytes(index: Path) -> bytes:
    return b"".join(p.read_bytes() for p in index.rglob("*") if p.is_file())


@pytest.mark.asyncio
async def test_a_saved_files_old_text_leaves_the_disk(repo: GitRepo, tmp_path: Path) -> None:
    """The server purges after the lens refresh (Workspace.update_files(purge=False), then purge())."""
    canary = "VJEPA_OLD_TEXT_" + "5d1e9b"
    repo.commit("note", {"calc.py": CALC + f"\n\ndef remember():\n    return 'the old text {canary}'\n"})
    async with session(repo, tmp_path, options={"trustWorkspace": True, "watch": False}) as client:
        await until(lambda: client.lens_refreshes == 1, timeout=90)  # type: ignore[attr-defined]
        assert canary.encode() in _index_bytes(tmp_path / "index")
        repo.write("calc.py", CALC + "\nimport util\n")
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py"))))
        await until(lambda: client.lens_refreshes == 2, timeout=90)  # type: ignore[attr-defined]
        await until(lambda: canary.encode() not in _index_bytes(tmp_path / "index"), timeout=30)
        related = await command(client, "vjepa.relatedFiles", uri(repo, "calc.py"))  # still serving
        assert any(r["path"] == "util.py" for r in related)
