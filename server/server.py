"""The server object: options, consent, approved folders, the one engine thread, and the hooks other
parts of VJEPA attach to (`on_user_activity` for the idle-training scheduler, `extra_commands`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .consent import ConsentBook
from .events import EventLog
from .folders import Folder
from .options import Options


class WorkProgress:
    """One job's $/progress: `report` may be called from the engine thread, `end` from the loop."""

    def __init__(self, ls: VjepaServer, token: str | None) -> None:
        self.ls, self.token = ls, token

    def report(self, loop: asyncio.AbstractEventLoop, message: str, percentage: int) -> None:
        if self.token is not None:
            loop.call_soon_threadsafe(self.ls.work_done_progress.report, self.token,
                                      types.WorkDoneProgressReport(message=message, percentage=percentage))

    def end(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))


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
        # Folders with a re-index queued: the saved files to update, or None for a full re-crawl.
        self.pending: dict[Path, set[str] | None] = {}
        self.client_name = "lsp"  # clientInfo.name from initialize: the events' source
        self.active: str | None = None  # the file last opened, changed or saved (a URI): the "current" one
        self.training = False  # a vjepa.trainNow is running
        self.events = EventLog()  # editor events (path, time, kind; never content), written in batches
        self.stopping = asyncio.Event()  # set on shutdown: the watchers and the event flusher end
        self.progress: dict[str, int] | None = None  # done/total/percentage of the running job
        self._last_status: dict[str, Any] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def on_user_activity(self, path: str | None = None) -> None:
        """The one hook for "the user is working now" (didOpen, didChange, didSave; `path` is
        workspace-relative): every folder's idle-training scheduler (`Folder.scheduler`, e.g.
        vjepa_core.swarm.scheduler.IdleScheduler) restarts its idle clock and stops a running training,
        wherever the edit is, since training and typing share the same CPU."""
        for folder in self.folders:
            if folder.scheduler is not None:
                folder.scheduler.touch()

    @property
    def state(self) -> str:
        if self.training:
            return "training"
        if self.index_lock.locked() or self.pending:
            return "indexing"
        idle_training = (f.idle_training.get("state") for f in self.folders)
        return "training" if any(s in ("training", "stopping") for s in idle_training) else "idle"

    def picks(self) -> bool:
        """Whether command results are also offered as a pick list (window/showMessageRequest):
        `pickResults`, else for clients that show no code lenses and ignore command results."""
        if self.options.pick_results is not None:
            return self.options.pick_results
        return self.client_name.lower() == "helix"

    def set_progress(self, progress: dict[str, int] | None) -> None:
        """The running job's progress for `vjepa/status` (None when it ends); called on the loop."""
        self.progress = progress
        self.publish_status()

    def publish_status(self) -> None:
        """Send `vjepa/status` when anything in it changed (state, counts, model)."""
        from .status import snapshot

        now = snapshot(self)
        if now != self._last_status:
            self._last_status = now
            self.protocol.notify("vjepa/status", now)

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

    def say(self, message: str) -> None:
        """A kind message: shown (window/showMessage), or only logged when `kindMessages` is off."""
        if self.options.kind_messages:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))
        else:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=message))

    def _capability(self, *names: str) -> object:
        node: object = self.client_capabilities
        for name in names:
            node = getattr(node, name, None)
            if node is None:
                return None
        return node

    def supports_progress(self) -> bool:
        return bool(self._capability("window", "work_done_progress"))

    async def begin_progress(self, title: str) -> WorkProgress:
        """A $/progress bar for one job, begun now; every call on it is a no-op for a client
        without work-done progress."""
        bar = WorkProgress(self, str(uuid.uuid4()) if self.supports_progress() else None)
        if bar.token is not None:
            await self.work_done_progress.create_async(bar.token)
            self.work_done_progress.begin(bar.token, types.WorkDoneProgressBegin(
                title=title, percentage=0, cancellable=False))
        return bar

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
