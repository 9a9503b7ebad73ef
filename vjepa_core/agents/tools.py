"""The tools a coding agent calls: related files, next files, code search, project insights, index
status and a re-index. Each answers with small JSON (paths relative to the folder's root) or raises a
ToolError whose sentence says what was wrong and what to do; the engine's own errors (VjepaError)
come through in its words."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field
from typing_extensions import TypedDict

from vjepa_core.agents.folders import INDEXING, Folder, Folders
from vjepa_core.messages import VjepaError

if TYPE_CHECKING:
    from vjepa_core.api import WorkspaceAPI
    from vjepa_core.queries.hits import Hit

MAX_K = 50  # results stay small: an agent's context is precious
SHOWN_CHANGES = 50  # at most this many changed paths in a re-index's answer

Root = Annotated[str | None, Field(description="the workspace folder (absolute path); default: the first folder "
                                               "`vjepa mcp` was started with")]
K = Annotated[int, Field(ge=1, le=MAX_K, description=f"how many results (1 to {MAX_K})")]


class FileHit(TypedDict):
    path: str  # relative to root
    score: float
    reason: str  # temporal, spatial or semantic: the pattern that counted most
    detail: str  # in words: "changed together in 12 commits"


class UnitHit(TypedDict):
    path: str
    name: str
    start_line: int
    end_line: int
    score: float
    reason: str  # which side ranked it: name, text or semantic
    detail: str


class RelatedFiles(TypedDict):
    root: str
    path: str
    files: list[FileHit]


class NextFiles(TypedDict):
    root: str
    after: list[str]  # the recent files the prediction starts from, oldest first
    files: list[FileHit]


class CodeUnits(TypedDict):
    root: str
    query: str
    units: list[UnitHit]


class IndexStatus(TypedDict):
    root: str
    state: str  # "ready", "indexing", "not indexed" or "not opened yet"
    files: int | None
    units: int | None
    model: str | None
    skipped_as_secrets: list[str]
    served_roots: list[str]


class Reindexed(TypedDict):
    root: str
    how: str  # "saved files" (the fast path for `paths`) or "incremental crawl"
    files: int
    units: int
    crawl: dict[str, int] | None  # the crawl's new, changed, deleted and unchanged file counts
    relations_changed: list[str] | None  # saved files: the files whose relations moved (at most 50)
    seconds: float


class AgentTools:
    """The tool functions, bound to the folders the server may read."""

    def __init__(self, folders: Folders) -> None:
        self.folders = folders

    def all(self) -> list[Callable[..., Any]]:
        return [self.related_files, self.next_files, self.search_code, self.project_insights,
                self.index_status, self.reindex]

    def related_files(self, path: Annotated[str, Field(description="a file, relative to the root or absolute")],
                      k: K = 10, root: Root = None) -> RelatedFiles:
        """Files related to `path`, best first, each with the reason: changed together in git
        (temporal), near it or imported by it (spatial), or similar in meaning (semantic)."""
        with self._engine(root, path) as (folder, ws):
            rel = self.folders.relative(folder, path)
            hits = ws.related(str(folder.root / rel), k)  # absolute: the API reads relative paths from the cwd
            return {"root": str(folder.root), "path": rel, "files": self._files(folder, hits)}

    def next_files(self, recent: Annotated[list[str] | None, Field(
            description="files just worked on, oldest first; default: the latest commit's files")] = None,
                   k: K = 10, root: Root = None) -> NextFiles:
        """The files most likely to be worked on next, after `recent`, learned from this project's history."""
        with self._engine(root, recent[0] if recent else None, predicting=True) as (folder, ws):
            after = [self.folders.relative(folder, p) for p in recent] if recent else []
            hits = ws.predict_next([str(folder.root / p) for p in after] or None, k)
            return {"root": str(folder.root), "after": after, "files": self._files(folder, hits)}

    def search_code(self, query: Annotated[str, Field(description="words or a name: 'parse the config', Session")],
                    k: K = 10, root: Root = None) -> CodeUnits:
        """Code units (functions, classes, sections) that match `query`, with their lines and why they matched."""
        if not query.strip():
            raise ToolError(str(VjepaError("search.empty")))
        with self._engine(root) as (folder, ws):
            found = ws.search(query, k)
            hits = [h for h, ok in zip(found, self.folders.visible(folder, [h.path for h in found])) if ok]
            ends = _end_lines(folder, hits)
            return {"root": str(folder.root), "query": query, "units": [
                {"path": h.path, "name": h.name, "start_line": h.line, "end_line": ends.get((h.path, h.line), h.line),
                 "score": round(h.score, 4), "reason": h.reason, "detail": h.detail} for h in hits]}

    def project_insights(self, root: Root = None) -> dict[str, Any]:
        """What the project is about, how people work on it (from its history) and organisation ideas."""
        with self._engine(root) as (folder, ws):
            return {"root": str(folder.root), **brief_insights(ws.insights())}

    def index_status(self, root: Root = None) -> IndexStatus:
        """What the index holds for the folder: files, code units, the model in use, files skipped as secrets."""
        folder = self._folder(root)
        out: IndexStatus = {"root": str(folder.root), "state": folder.state, "files": None, "units": None,
                            "model": None, "skipped_as_secrets": [],
                            "served_roots": [str(r) for r in self.folders.given]}
        if folder.state == INDEXING:  # it answers once the first index is done
            return out
        if not folder.has_index():
            out["state"] = "not indexed"
            return out
        with self._engine(root) as (folder, ws):
            indexed = ws.workspace.indexed_files()
            model = ws.workspace.model_status()
            out.update(state="ready", files=len(indexed.paths), units=indexed.units,
                       model=f"{model.name} {model.version}".strip(),
                       skipped_as_secrets=[s.path for s in ws.workspace.secret_skips()])
        return out

    def reindex(self, paths: Annotated[list[str] | None, Field(
            description="files just changed (fast); default: look at the whole folder for changes")] = None,
                root: Root = None) -> Reindexed:
        """Bring the index up to date after files changed: only changed files are read again."""
        with self._engine(root, paths[0] if paths else None) as (folder, ws):
            started = time.perf_counter()
            rels = [self.folders.relative(folder, p) for p in paths] if paths else []
            touched = ws.workspace.update_files(rels) if rels else None  # None: it needs the crawl
            crawl = None
            if touched is None:
                report = ws.workspace.index(voice=folder.voice).crawl
                crawl = {"new": report.new, "changed": report.changed, "deleted": report.deleted,
                         "unchanged": report.unchanged}
            indexed = ws.workspace.indexed_files()
            return {"root": str(folder.root), "how": "incremental crawl" if crawl else "saved files",
                    "files": len(indexed.paths), "units": indexed.units, "crawl": crawl,
                    "relations_changed": None if touched is None else sorted(touched)[:SHOWN_CHANGES],
                    "seconds": round(time.perf_counter() - started, 3)}

    # --- shared -----------------------------------------------------------------------------------
    def _folder(self, root: str | None, path: str | None = None) -> Folder:
        try:
            return self.folders.folder(root, path=path)
        except VjepaError as err:
            raise ToolError(str(err)) from err

    @contextmanager
    def _engine(self, root: str | None, path: str | None = None, *, predicting: bool = False
                ) -> Iterator[tuple[Folder, WorkspaceAPI]]:
        """The allowed folder and its open workspace, one engine call at a time; the engine's
        errors become tool errors in its words."""
        folder = self._folder(root, path)
        try:
            with folder.predicting() if predicting else folder.using() as ws:
                yield folder, ws
        except VjepaError as err:
            raise ToolError(str(err)) from err

    def _files(self, folder: Folder, hits: list[Hit]) -> list[FileHit]:
        shown = self.folders.visible(folder, [h.path for h in hits])
        return [{"path": h.path, "score": round(h.score, 4), "reason": h.reason, "detail": h.detail}
                for h, ok in zip(hits, shown) if ok]


def _end_lines(folder: Folder, hits: list[Hit]) -> dict[tuple[str, int], int]:
    """(path, start line) -> end line of the units found (hits carry the start line only)."""
    if not hits:
        return {}
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in sorted({h.path for h in hits}))
    t = folder.workspace.store.visible_units(["path", "start_line", "end_line"], where=f"path IN ({quoted})")
    return {(p, s): e for p, s, e in zip(*(t[c].to_pylist() for c in ("path", "start_line", "end_line")))}


INSIGHT_ITEMS = 5  # patterns and suggestions an agent gets (the strongest first): a small answer


def brief_insights(full: dict[str, Any]) -> dict[str, Any]:
    """The insights cut to what an agent reads: the summary's sentences, counts, people, and the
    strongest few patterns and suggestions in words with their numbers (`vjepa insights --json`
    has everything)."""
    summary = full.get("summary", {})
    return {
        "summary": {k: summary[k] for k in ("sentence", "detail", "languages") if k in summary},
        "counts": full.get("counts", {}),
        "people": full.get("people", {}),
        "patterns": [{k: p[k] for k in ("sentence", "support", "against", "p_value") if k in p}
                     for p in full.get("patterns", [])[:INSIGHT_ITEMS]],
        "suggestions": [{k: s[k] for k in ("sentence", "files", "target", "level", "reason", "evidence") if k in s}
                        for s in full.get("suggestions", [])[:INSIGHT_ITEMS]],
        "more": {"patterns": max(0, len(full.get("patterns", [])) - INSIGHT_ITEMS),
                 "suggestions": max(0, len(full.get("suggestions", [])) - INSIGHT_ITEMS)},
    }
