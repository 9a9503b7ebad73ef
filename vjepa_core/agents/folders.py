"""The folders `vjepa mcp` answers about: only those the user allowed (the consent store the language
server uses; a root named on the command line counts as a yes), each opened on first use and indexed
first when it has no index yet. Paths that agents pass in are checked here: inside the folder, not on
the deny list, not under a folder the user said never to."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vjepa_core.api import WorkspaceAPI
from vjepa_core.consent import ALLOW, NEVER, ConsentBook
from vjepa_core.messages import VjepaError, Voice
from vjepa_core.workspace import Workspace

NEW, INDEXING, READY = "not opened yet", "indexing", "ready"


class Folder:
    """One allowed folder and its workspace. Engine calls on it run one at a time (`using`)."""

    def __init__(self, workspace: Workspace, voice: Voice) -> None:
        self.workspace = workspace
        self.voice = voice
        self.state = NEW
        self._api: WorkspaceAPI | None = None
        self._lock = threading.Lock()
        # The next-file predictor has a lock of its own: fitting it reads the git history, not the index,
        # so the first fit (a minute on a long history) runs in the background without holding up
        # the other questions. Order: this lock, then the engine's.
        self._next_lock = threading.Lock()

    @property
    def root(self) -> Path:
        return self.workspace.root

    def has_index(self) -> bool:
        try:
            self.workspace.store  # noqa: B018 - opening it is the check
        except VjepaError as err:
            if err.key != "index.missing":
                raise
            return False
        return True

    @contextmanager
    def using(self) -> Iterator[WorkspaceAPI]:
        """The open workspace, for one engine call at a time; indexed first if it has no index."""
        with self._lock:
            if self._api is None:
                if not self.has_index():
                    self.voice.say("mcp.indexing", root=self.root)
                    self.state = INDEXING
                    try:
                        self.workspace.index(voice=self.voice)
                    finally:
                        self.state = NEW
                self.workspace.prepare_search()
                self._api = WorkspaceAPI(self.workspace)
                self.state = READY
            yield self._api

    @contextmanager
    def predicting(self) -> Iterator[WorkspaceAPI]:
        """`using`, for next-file questions: after any fit of the predictor in progress."""
        with self._next_lock, self.using() as api:
            yield api

    def fit_next(self) -> None:
        """Fit (or load) the next-file predictor now, so the first next-file question is quick."""
        with self._next_lock:
            self.workspace.next_predictor()

    def busy(self) -> bool:
        """Whether an engine call (an index, say) holds the folder right now."""
        return self._lock.locked()


class Folders:
    """The folders an agent may ask about, and the checks on what it passes in."""

    def __init__(self, given: list[str], *, index_base: Path | None = None, allow_home: bool = False,
                 book: ConsentBook | None = None, voice: Voice | None = None) -> None:
        self.book = book or ConsentBook()
        self.voice = voice or Voice()
        self._base = index_base
        self._allow_home = allow_home
        self._open: dict[Path, Folder] = {}
        self.given: list[Path] = []
        for raw in given:  # a bad root (missing, the home folder, a system folder) fails here, said exactly
            folder = self._make(Path(raw))
            if folder.root in self.given:
                continue
            self.given.append(folder.root)
            if self.book.get(folder.root) == NEVER:  # an explicit "never" outlives old client settings
                self.voice.warn("mcp.refused_root", root=folder.root, file=self.book.path)
            else:
                self.book.remember(folder.root, ALLOW)
        self.default = self.given[0] if self.given else self._allowed_cwd()

    def _allowed_cwd(self) -> Path | None:
        cwd = Path.cwd().resolve()
        return cwd if self.book.get(cwd) == ALLOW else None

    def _make(self, root: Path) -> Folder:
        workspace = Workspace.under(root.expanduser(), self._base, allow_home=self._allow_home)
        folder = self._open.setdefault(workspace.root, Folder(workspace, self.voice))
        return folder

    def folder(self, root: str | None = None, *, path: str | None = None) -> Folder:
        """The allowed folder named by `root` (default: the folder holding an absolute `path`, else the
        first root given, else the current folder when it was allowed before). Refuses the rest."""
        if root is not None:
            wanted = Path(root).expanduser().resolve()
        elif path is not None and Path(path).is_absolute():
            inside = [r for r in self.given if Path(path).resolve().is_relative_to(r)]
            wanted = max(inside, key=lambda r: len(r.parts)) if inside else self._need_default()
        else:
            wanted = self._need_default()
        answer = self.book.get(wanted)  # read each time: a "never" said in the editor counts at once
        if answer == NEVER:
            raise VjepaError("mcp.refused", root=wanted, file=self.book.path)
        if answer != ALLOW and wanted not in self.given:
            raise VjepaError("mcp.not_approved", root=wanted)
        return self._open.get(wanted) or self._make(wanted)

    def _need_default(self) -> Path:
        if self.default is None:
            raise VjepaError("mcp.no_root")
        return self.default

    def refused_within(self, folder: Folder) -> list[str]:
        """Sub-folders of `folder` the user said never to (relative, posix): never answered about."""
        out = []
        for key, answer in self.book.answers().items():
            where = Path(key)
            if answer == NEVER and where != folder.root and where.is_relative_to(folder.root):
                out.append(where.relative_to(folder.root).as_posix())
        return out

    def relative(self, folder: Folder, raw: str) -> str:
        """`raw` (relative to the folder, or absolute inside it) as a folder-relative posix path;
        refuses paths outside the folder, on the deny list, or under a folder the user said never to."""
        given = Path(raw).expanduser()
        resolved = (given if given.is_absolute() else folder.root / given).resolve()
        try:
            rel = resolved.relative_to(folder.root).as_posix()
        except ValueError:
            raise VjepaError("path.outside", path=raw, root=folder.root) from None
        reason = folder.workspace.denied(rel) or ("version control internals" if rel.split("/")[0] == ".git" else None)
        if reason:
            raise VjepaError("path.denied", path=raw, reason=reason)
        for refused in self.refused_within(folder):
            if rel == refused or rel.startswith(refused + "/"):
                raise VjepaError("mcp.refused", root=folder.root / refused, file=self.book.path)
        return rel

    def visible(self, folder: Folder, paths: list[str]) -> list[bool]:
        """For each result path, whether it may be shown (not under a folder the user said never to)."""
        refused = self.refused_within(folder)
        return [not any(p == r or p.startswith(r + "/") for r in refused) for p in paths]
