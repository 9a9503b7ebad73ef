"""The server core: `VjepaServer` (options, consent, approved folders, the one engine thread) and the
services every feature shares: engine calls and their results (`engine_call`, `as_result`),
progress bars, kind messages, showing a file, lens refresh and `vjepa/status`.

It also serves initialize, initialized, shutdown and textDocument/didOpen, didChange, didSave, and
fans each out to the features that subscribed in `VjepaServer.hooks` (pygls keeps one handler per
LSP method, and one place for them keeps the order readable). Features never import each other:
what two of them need lives here, in folders.py, arguments.py or picking.py. Under it, protocol.py
answers every malformed message and keeps tracebacks out of the replies.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException, JsonRpcInternalError
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from vjepa_core.messages import VjepaError, text

from .consent import ConsentBook, approve
from .folders import NO_MODEL, Elsewhere, Folder, idle_state, locate, make_folder
from .options import Options
from .protocol import VjepaProtocol

if TYPE_CHECKING:
    from vjepa_core.workspace import Hit

T = TypeVar("T")
# What features subscribe to (see Hooks); `kind` of an edit is "open", "change" or "save".
StartHook = Callable[["VjepaServer"], None]
FolderHook = Callable[["VjepaServer", Folder], Awaitable[None]]
EditHook = Callable[["VjepaServer", Folder, str, str], None]  # (ls, folder, rel path, kind)
StopHook = Callable[["VjepaServer"], Awaitable[None]]


@dataclass
class Hooks:
    """The features' subscriptions; each list is called in the order the features registered
    (main.FEATURES), one after another."""

    started: list[StartHook] = field(default_factory=list)  # `initialized`, before any folder is read
    folder_approved: list[FolderHook] = field(default_factory=list)  # a folder the user allowed joined
    indexed: list[FolderHook] = field(default_factory=list)  # a full (re-)index ended, caches filled
    edited: list[EditHook] = field(default_factory=list)  # didOpen/didChange/didSave in an approved folder
    shutdown: list[StopHook] = field(default_factory=list)  # `shutdown`, once the watchers are told to stop


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


def as_result(hit: Hit) -> dict[str, Any]:
    """A hit as a command's JSON result: {path, score, reason, detail} (+ name, line for a unit)."""
    out: dict[str, Any] = {"path": hit.path, "score": round(float(hit.score), 6), "reason": hit.reason,
                           "detail": hit.detail}
    if hit.name:
        out.update(name=hit.name, line=hit.line)
    return out


class VjepaServer(LanguageServer):
    """State lives here, not in globals. Its protocol (protocol.py) answers every malformed message."""

    protocol: VjepaProtocol

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("protocol_cls", VjepaProtocol)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.options = Options()
        self.consent = ConsentBook()
        self.folders: list[Folder] = []
        self.hooks = Hooks()
        # One thread for every engine call: LanceDB and MLX work never runs on the event loop, and
        # calls never race each other on the same index.
        self.engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vjepa-engine")
        self.index_lock = asyncio.Lock()  # one crawl at a time
        # Folders with a re-index queued: the saved files to update, or None for a full re-crawl.
        self.pending: dict[Path, set[str] | None] = {}
        # Saved files whose lenses were answered from memory and whose index write is still to come.
        self.unwritten: dict[Path, set[str]] = {}
        self.client_name = "lsp"  # clientInfo.name from initialize: the events' source
        self.active: str | None = None  # the file last opened, changed or saved (a URI): the "current" one
        self.training = False  # a vjepa.trainNow is running
        self.stopping = asyncio.Event()  # set on shutdown: the watchers and the event flusher end
        # done/total/percentage of the running job (not `progress`: pygls has a method of that name)
        self.job_progress: dict[str, int] | None = None
        self._last_status: dict[str, Any] | None = None
        # Lets the secret rules go once nothing was written for the user's idle time (features/indexing.py).
        self.rules_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def report_server_error(self, error: Exception, source: object) -> None:
        """pygls' out-of-band errors. From the read loop (`source` JsonRpcException), a ValueError or
        RecursionError is a body that json.loads could not read: ParseError to id null. Request errors
        were answered already; anything else is said in one line, its traceback in the log."""
        if source is JsonRpcException and isinstance(error, (ValueError, RecursionError)):
            self.protocol.refuse_unparsable(error)
            return
        if source is FeatureRequestError:
            return
        if not isinstance(error, JsonRpcException):
            self.protocol.log_failure("The server", error)
        message = error.message if isinstance(error, JsonRpcException) else f"{type(error).__name__}: {error}"
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=f"vjepa: {message}"))

    async def engine_call(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(*args)` in the engine thread; an engine error becomes an LSP error with its exact words."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self.engine, fn, *args)
        except VjepaError as exc:  # exact words from the catalogue
            raise JsonRpcInternalError(str(exc)) from exc

    def edited(self, uri: str, kind: str) -> None:
        """The user worked on `uri` (didOpen, didChange, didSave): it becomes the current file and
        the features hear of it. Outside the approved folders or denied: not even the path is kept."""
        try:
            folder, rel = locate(self.folders, uri)
        except Elsewhere:
            return
        except JsonRpcException as exc:  # an unusable URI: a notification has no reply, so it is logged
            self.log(exc.message, types.MessageType.Warning)
            return
        self.active = uri
        for hook in self.hooks.edited:
            hook(self, folder, rel, kind)

    async def folder_indexed(self, folder: Folder) -> None:
        """Called by the indexing feature after each full (re-)index, before it says it is done."""
        for hook in self.hooks.indexed:
            await hook(self, folder)

    @property
    def state(self) -> str:
        if self.training:
            return "training"
        if self.index_lock.locked() or self.pending or self.unwritten:
            return "indexing"
        idle_training = (f.idle_training.get("state") for f in self.folders)
        return "training" if any(s in ("training", "stopping") for s in idle_training) else "idle"

    def status(self) -> dict[str, Any]:
        """The `vjepa/status` data (features/status.py describes it), from the caches only (no engine
        call): cheap enough to send on every change."""
        folders: list[dict[str, Any]] = [{"root": str(f.root), "indexed": f.indexed, "files": f.files, "units": f.units,
                    "model": f.model, "idle_training": f.idle_training,
                    "secret_skips": f.secret_skips} for f in self.folders]
        first = next((f for f in folders if f["indexed"]), None)
        out = {"state": self.state, "files": sum(f["files"] for f in folders),
               "units": sum(f["units"] for f in folders), "model": dict(first["model"] if first else NO_MODEL),
               "idle_training": idle_state(self.folders), "folders": folders}
        if self.job_progress and out["state"] != "idle":
            out.update(self.job_progress)
        return out

    def set_progress(self, progress: dict[str, int] | None) -> None:
        """The running job's progress for `vjepa/status` (None when it ends); called on the loop."""
        self.job_progress = progress
        self.publish_status()

    def publish_status(self) -> None:
        """Send `vjepa/status` when anything in it changed (state, counts, model)."""
        now = self.status()
        if now != self._last_status:
            self._last_status = now
            self.protocol.notify("vjepa/status", now)

    def picks(self) -> bool:
        """Whether command results are also offered as a pick list (window/showMessageRequest):
        `pickResults`, else for clients that show no code lenses and ignore command results."""
        if self.options.pick_results is not None:
            return self.options.pick_results
        return self.client_name.lower() == "helix"

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
            self.log(message)

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        """A line in the client's log (window/logMessage)."""
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    async def show_file(self, target: Path) -> dict[str, Any]:
        """Open `target` in the editor (window/showDocument), else show its path in a message:
        {"path", "shown"}."""
        if self.supports_show_document():
            shown = await self.window_show_document_async(types.ShowDocumentParams(
                uri=from_fs_path(str(target)) or "", take_focus=True))
            return {"path": str(target), "shown": bool(shown and shown.success)}
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=str(target)))
        return {"path": str(target), "shown": False}

    async def refresh_lenses(self) -> None:
        """Ask the client to ask for code lenses again (workspace/codeLens/refresh), once the caches
        behind them changed."""
        if not self.supports_lens_refresh() or not any(f.indexed for f in self.folders):
            return
        try:
            await self.workspace_code_lens_refresh_async(None)
        except JsonRpcException as exc:  # a client that claims the capability but fails it: lenses still work
            self.log(f"workspace/codeLens/refresh failed: {exc}", types.MessageType.Warning)

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


def initialize(ls: VjepaServer, params: types.InitializeParams) -> None:
    """initialize: read the options (a bad value is logged and its default used) and the client's name."""
    ls.options, problems = Options.parse(params.initialization_options)
    if params.client_info and params.client_info.name:
        ls.client_name = params.client_info.name
    for problem in problems:
        ls.log(problem, types.MessageType.Warning)


def initialized(ls: VjepaServer, params: types.InitializedParams) -> None:
    ls.background(start(ls))


async def start(ls: VjepaServer) -> None:
    """Ask consent for each folder, then hand the approved ones to the features (index, watch,
    train when idle), one folder at a time; then one lens refresh."""
    for started in ls.hooks.started:
        started(ls)
    for root in ls.workspace_roots():
        if not await approve(ls, root):
            ls.log(text("server.no_consent", root=root), types.MessageType.Info)
            continue
        try:
            folder = make_folder(root, ls.options.index_dir)
        except VjepaError as exc:  # e.g. the home folder or a system folder: said exactly, then skipped
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=str(exc)))
            continue
        ls.folders.append(folder)
        for approved in ls.hooks.folder_approved:
            await approved(ls, folder)
    await ls.refresh_lenses()


def did_open(ls: VjepaServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.edited(params.text_document.uri, "open")


def did_change(ls: VjepaServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.edited(params.text_document.uri, "change")


def did_save(ls: VjepaServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.edited(params.text_document.uri, "save")


async def shutdown(ls: VjepaServer, params: None) -> None:
    """Stop the watchers, let the features finish (the last events, idle training), then drop queued
    engine work (a running crawl finishes its file; the index stays consistent if killed)."""
    ls.stopping.set()
    for stop in ls.hooks.shutdown:
        await stop(ls)
    ls.engine.shutdown(wait=False, cancel_futures=True)


def register(server: VjepaServer) -> None:
    """The lifecycle and document-sync handlers, registered once; the features subscribe to them."""
    server.feature(types.SHUTDOWN)(shutdown)
    server.feature(types.INITIALIZE)(initialize)
    server.feature(types.INITIALIZED)(initialized)
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(did_save)
