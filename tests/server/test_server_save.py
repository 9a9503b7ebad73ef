"""A save's lens from memory first, the index write a moment later (server/features/indexing.py):
what the lens shows is what the index ranks once written, and nothing of it is lost at shutdown.
The real `vjepa-lsp` over stdio on a real git repo (the ranker fitted inline: VJEPA_LENS_FIT=now)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from tests.fixtures import GitRepo
from tests.server.lsp import CALC, command, session, until, uri
from vjepa_core.workspace import Workspace


def _save(client: object, repo: GitRepo, rel: str, text: str) -> None:
    repo.write(rel, text)
    client.text_document_did_save(types.DidSaveTextDocumentParams(  # type: ignore[attr-defined]
        text_document=types.TextDocumentIdentifier(uri=uri(repo, rel))))


@pytest.mark.asyncio
async def test_the_saved_lens_is_the_written_one(repo: GitRepo, tmp_path: Path) -> None:
    async with session(repo, tmp_path, options={"trustWorkspace": True, "watch": False}) as client:
        await until(lambda: client.lens_refreshes == 1, timeout=90)  # type: ignore[attr-defined]
        params = types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py")))
        _save(client, repo, "calc.py", CALC + "\nimport util\n")
        await until(lambda: client.lens_refreshes == 2, timeout=90)  # type: ignore[attr-defined]
        first = [lens.command.title for lens in await client.text_document_code_lens_async(params)]
        assert "· util.py" in first
        for _ in range(200):  # "indexing" until the write is done
            if (await command(client, "vjepa.status"))["state"] == "idle":
                break
            await asyncio.sleep(0.05)
        assert (await command(client, "vjepa.status"))["state"] == "idle"
        written = [lens.command.title for lens in await client.text_document_code_lens_async(params)]
        assert written == first
        related = await command(client, "vjepa.relatedFiles", uri(repo, "calc.py"))
        assert [f"· {r['path']}" for r in related[1:3]] == first[1:3]


@pytest.mark.asyncio
async def test_a_save_answered_from_memory_is_written_before_shutdown(repo: GitRepo, tmp_path: Path) -> None:
    canary = "VJEPA_OLD_TEXT_" + "77ab01"
    repo.commit("note", {"calc.py": CALC + f"\n\ndef remember():\n    return 'the old text {canary}'\n"})
    async with session(repo, tmp_path, options={"trustWorkspace": True, "watch": False}) as client:
        await until(lambda: client.lens_refreshes == 1, timeout=90)  # type: ignore[attr-defined]
        _save(client, repo, "calc.py", CALC + "\nimport util\n")
        await until(lambda: client.lens_refreshes == 2, timeout=90)  # type: ignore[attr-defined]
        # leaving at once: the shutdown comes before the write's delay is over
    index = tmp_path / "index"
    assert canary.encode() not in b"".join(p.read_bytes() for p in index.rglob("*") if p.is_file())
    store = Workspace.under(repo.path, index).store
    imports = store.read("relations", where="kind = 'import' AND a = 'calc.py'")["b"].to_pylist()
    assert imports == ["util.py"]
