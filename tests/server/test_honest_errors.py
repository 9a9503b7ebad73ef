"""The language server passes the engine's honest answers on as LSP errors with the same words:
vjepa.relatedFiles on a file skipped as a secret, a folder or no such file, vjepa.search with an
empty query, vjepa.predictNext after an unknown file. The real `vjepa-lsp` over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.fixtures import FAKE_AWS, GitRepo
from tests.server.lsp import command, indexed, session, until, uri


@pytest.mark.asyncio
async def test_bad_questions_get_lsp_errors_that_say_why(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("config/keys.py", f'AWS = "{FAKE_AWS}"\n')
    async with session(repo, tmp_path, options={"trustWorkspace": True, "kindMessages": False}) as client:
        await until(lambda: indexed(client))
        asked = [
            ("vjepa.relatedFiles", [uri(repo, "config/keys.py")], r"holds a secret \(AWS.*\.vjepaallow"),
            ("vjepa.relatedFiles", ["config"], "config is a folder"),
            ("vjepa.relatedFiles", ["nonexistent.py"], "There is no file nonexistent.py"),
            ("vjepa.search", [""], "The search query is empty"),
            ("vjepa.search", ["   "], "The search query is empty"),
            ("vjepa.predictNext", ["nonexistent.py"], "There is no file nonexistent.py"),
        ]
        for name, args, words in asked:
            with pytest.raises(JsonRpcException, match=words):
                await command(client, name, *args)
        # Still serving good questions afterwards.
        assert (await command(client, "vjepa.relatedFiles", "calc.py"))[0]["path"] == "tests/test_calc.py"
