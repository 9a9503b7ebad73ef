"""The secret rules (~40 MB compiled) leave the server once nothing was written for the user's idle
time, and a save after that is screened as before: its secret never reaches the index. The real
`vjepa-lsp` over stdio on a real git repo, `idleSeconds` short."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from tests.fixtures import FAKE_AWS, GitRepo
from tests.server.lsp import command, session, until, uri
from vjepa_core.workspace import Workspace

LET_GO = "the secret rules are let go"


def _let_go(client: object) -> int:
    return sum(LET_GO in m.message for m in client.log_messages)  # type: ignore[attr-defined]


def _save(client: object, repo: GitRepo, rel: str, text: str) -> None:
    repo.write(rel, text)
    client.text_document_did_save(types.DidSaveTextDocumentParams(  # type: ignore[attr-defined]
        text_document=types.TextDocumentIdentifier(uri=uri(repo, rel))))


def _skipped(client: object) -> list[str]:
    last = client.statuses[-1] if client.statuses else {}  # type: ignore[attr-defined]
    return [s["path"] for f in last.get("folders", []) for s in f.get("secret_skips", [])]


@pytest.mark.asyncio
async def test_rules_go_when_quiet_and_come_back_for_the_next_save(repo: GitRepo, tmp_path: Path) -> None:
    options = {"trustWorkspace": True, "watch": False, "idleSeconds": 1, "idleTraining": False}
    async with session(repo, tmp_path, options=options) as client:
        await until(lambda: client.lens_refreshes >= 1, timeout=90)  # type: ignore[attr-defined]
        await until(lambda: _let_go(client) == 1, timeout=30)  # the first index screened every file
        # A clean save: its write screens it with the compiled rules again, which go again after.
        _save(client, repo, "util.py", "def helper():\n    return 2\n")
        await until(lambda: _let_go(client) == 2, timeout=90)
        # A save with a key: screened as ever, the file leaves the index.
        _save(client, repo, "util.py", "def helper():\n    return 3\n\naws_access_key_id = '" + FAKE_AWS + "'\n")
        await until(lambda: _skipped(client) == ["util.py"], timeout=90)
        assert (await command(client, "vjepa.status"))["state"] == "idle"
    store = Workspace.under(repo.path, tmp_path / "index").store
    assert dict(store.secret_skips()) == {"util.py": "AWS access key"}
    assert FAKE_AWS.encode() not in b"".join(p.read_bytes() for p in (tmp_path / "index").rglob("*") if p.is_file())
