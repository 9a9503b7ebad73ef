"""Helpers for the end-to-end server tests: a pytest-lsp client talking to the real `vjepa-lsp`
over stdio (started with `python -m server.main` from the checkout), and small waits and lookups."""

from __future__ import annotations

import asyncio
import contextlib
import json
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


class RawServer:
    """The real server over stdio without a client library: raw frames in (anything, even broken
    JSON or a request no client would build), raw JSON replies out. Requests the server sends
    (progress tokens, lens refresh) are answered with null; notifications are kept."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.replies: dict[str, dict[str, Any]] = {}  # the id as JSON ("null" for id-less errors) -> reply
        self.unmatched: list[dict[str, Any]] = []  # replies to an id already seen, in order
        self.notifications: list[dict[str, Any]] = []
        self.stderr = bytearray()  # read as it comes, so a chatty server never blocks on a full pipe
        self._readers = [asyncio.ensure_future(self._read()), asyncio.ensure_future(self._read_stderr())]

    @classmethod
    @asynccontextmanager
    async def started(cls, repo: GitRepo, tmp_path: Path) -> AsyncIterator[RawServer]:
        """A server on `repo` (trusted, kind messages off), initialized, its first index done."""
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.main", env=env, cwd=str(ROOT), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        raw = cls(process)
        try:
            folder = {"uri": from_fs_path(str(repo.path)) or "", "name": "repo"}
            await raw.request("initialize", {"processId": None, "capabilities": {}, "workspaceFolders": [folder],
                                             "initializationOptions": {"indexDir": str(tmp_path / "index"),
                                                                       "trustWorkspace": True,
                                                                       "kindMessages": False}})
            raw.notify("initialized", {})
            await until(lambda: any(n.get("method") == "vjepa/status" and n["params"]["folders"]
                                    and n["params"]["folders"][0]["indexed"] for n in raw.notifications), 90)
            yield raw
        finally:
            await raw.close()

    def frame(self, body: bytes) -> None:
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))  # type: ignore[union-attr]

    def send(self, message: Any) -> None:
        self.frame(json.dumps(message).encode())

    def notify(self, method: Any, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    async def reply(self, msg_id: Any, timeout: float = 30.0) -> dict[str, Any]:
        key = json.dumps(msg_id)
        await until(lambda: key in self.replies, timeout)
        return self.replies.pop(key)

    async def request(self, method: Any, params: Any = None, msg_id: Any = None) -> dict[str, Any]:
        """Send a request (a fresh id unless given) and wait for its reply, result or error."""
        msg_id = f"raw-{len(self.replies) + len(self.notifications)}-{id(params)}" if msg_id is None else msg_id
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await self.reply(msg_id)

    async def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            length = 0
            while (line := await out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(await out.readexactly(length))
            if "method" in message and "id" in message:  # a request from the server: answer it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.append(message)
            elif json.dumps(message.get("id")) in self.replies:
                self.unmatched.append(message)
            else:
                self.replies[json.dumps(message.get("id"))] = message

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        while chunk := await self.process.stderr.read(65536):
            self.stderr += chunk

    def logs(self) -> str:
        """Everything the server said in window/logMessage and window/showMessage."""
        return "\n".join(n["params"]["message"] for n in self.notifications
                         if n["method"] in ("window/logMessage", "window/showMessage"))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.request("shutdown", None, "shutdown"), 10)
            self.notify("exit")
            await asyncio.wait_for(self.process.wait(), 10)
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        for reader in self._readers:
            reader.cancel()
