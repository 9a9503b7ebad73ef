"""The server object: options, consent, approved folders and the one engine thread."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .consent import ConsentBook
from .folders import Folder
from .options import Options


class VjepaServer(LanguageServer):
    """State lives here, not in globals."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.options = Options()
        self.consent = ConsentBook()
        self.folders: list[Folder] = []
        # One thread for every engine call: LanceDB and MLX work never runs on the event loop, and
        # calls never race each other on the same index.
        self.engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vjepa-engine")
        self.index_lock = asyncio.Lock()  # one crawl at a time
        self.pending: set[Path] = set()  # folders with a re-crawl queued
        self._tasks: set[asyncio.Task[None]] = set()

    def background(self, work: Coroutine[object, object, None]) -> None:
        """Run `work` as a task on the loop, keeping a reference so it is not collected."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:  # say it, exactly; keep serving
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error, message=f"vjepa: {task.exception()!r}"))

    def _capability(self, *names: str) -> object:
        node: object = self.client_capabilities
        for name in names:
            node = getattr(node, name, None)
            if node is None:
                return None
        return node

    def supports_progress(self) -> bool:
        return bool(self._capability("window", "work_done_progress"))

    def supports_show_document(self) -> bool:
        return bool(self._capability("window", "show_document", "support"))

    def supports_lens_refresh(self) -> bool:
        return bool(self._capability("workspace", "code_lens", "refresh_support"))

    def workspace_roots(self) -> list[Path]:
        """The session's folders (workspaceFolders, else rootUri), resolved, without duplicates."""
        uris = [f.uri for f in self.workspace.folders.values()]
        if not uris and self.workspace.root_uri:
            uris = [self.workspace.root_uri]
        roots: list[Path] = []
        for uri in uris:
            path = to_fs_path(uri)
            if path and Path(path).resolve() not in roots:
                roots.append(Path(path).resolve())
        return roots
