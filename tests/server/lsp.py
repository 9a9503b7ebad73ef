"""Helpers for the end-to-end server tests: a pytest-lsp client talking to the real `vjepa-lsp`
over stdio (started with `python -m server.main` from the checkout), and small waits and lookups."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient, client_capabilities, make_test_lsp_client

from tests.fixtures import GitRepo

ROOT = Path(__file__).resolve().parents[2]
CALC = "def add(a, b):\n    return a + b\n\n\ndef multiply_numbers(a, b):\n    return a * b\n"


def plain(value: Any) -> Any:
    """A custom notification's params as JSON data (pygls hands them over as named tuples)."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def tracking_client() -> LanguageClient:
    """A test client that keeps every vjepa/status (as plain data) and counts lens refreshes."""
    client = make_test_lsp_client()
    client.lens_refreshes = 0  # type: ignore[attr-defined]
    client.statuses = []  # type: ignore[attr-defined]

    @client.feature("vjepa/status")
    def _status(params: Any) -> None:
        client.statuses.append(plain(params))  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def _refresh(params: None) -> None:
        client.lens_refreshes += 1  # type: ignore[attr-defined]

    return client


async def start(repo: GitRepo, tmp_path: Path, *, client_name: str = "visual-studio-code",
                options: dict[str, Any] | None = None, answer: str | None = None) -> LanguageClient:
    """A client talking to a freshly started server whose workspace is `repo`."""
    client = tracking_client()
    client.requests_seen = []  # type: ignore[attr-defined]

    if answer is not None:
        @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def _answer(params: types.ShowMessageRequestParams) -> types.MessageActionItem:
            client.requests_seen.append(params)  # type: ignore[attr-defined]
            return types.MessageActionItem(title=answer)

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    await client.start_io(sys.executable, "-m", "server.main", env=env, cwd=str(ROOT))
    init_options = {"indexDir": str(tmp_path / "index"), **(options or {})}
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(client_name), initialization_options=init_options,
        client_info=types.ClientInfo(name=client_name),
        workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(repo.path)) or "", name="repo")]))
    return client


@asynccontextmanager
async def session(repo: GitRepo, tmp_path: Path, *, client_name: str = "visual-studio-code",
                  options: dict[str, Any] | None = None, answer: str | None = None
                  ) -> AsyncIterator[LanguageClient]:
    """`start`, then shut the server down politely at the end."""
    client = await start(repo, tmp_path, client_name=client_name, options=options, answer=answer)
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


async def until(condition: Any, timeout: float = 30.0) -> None:
    """Poll until `condition()` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


def indexed(client: LanguageClient) -> bool:
    return any(r and getattr(r[-1], "kind", None) == "end" for r in client.progress_reports.values())


def uri(repo: GitRepo, rel: str) -> str:
    return from_fs_path(str(repo.path / rel)) or ""


async def command(client: LanguageClient, name: str, *args: Any) -> Any:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=name,
                                                                                   arguments=list(args)))
