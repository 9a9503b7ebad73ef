"""The Python API for other programs, and the perception adapter a host system can register.

    import vjepa_core
    ws = vjepa_core.open_workspace("~/code/app", index=True)
    ws.related("src/app.py"); ws.predict_next(); ws.search("parse the config"); ws.insights()

A host such as SovereignCore that keeps perceptions behind `register_perception(name, model,
capabilities)` registers the adapter with `FilesystemPerception(ws).register_with(host)`; it then
calls `perception.perceive(capability, **inputs)` (or the perception itself) and gets JSON-able data.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from vjepa_core.messages import VjepaError
from vjepa_core.workspace import Workspace

if TYPE_CHECKING:
    from vjepa_core.queries.hits import Hit

PERCEPTION_NAME = "vjepa_filesystem"
CAPABILITIES = ("predict_next_file", "understand_project", "semantic_search")


@runtime_checkable
class PerceptionHost(Protocol):
    """What a host needs to offer: SovereignCore's `register_perception` shape."""

    def register_perception(self, name: str, model: Any, capabilities: list[str]) -> Any: ...


@runtime_checkable
class Perception(Protocol):
    """What a perception offers a host: a name, its capabilities, and one entry point."""

    name: str
    capabilities: tuple[str, ...]

    def perceive(self, capability: str, **inputs: Any) -> Any: ...


class WorkspaceAPI:
    """One indexed folder, as other programs see it. Results are `Hit`s (path, score, reason, detail,
    name, line); `insights()` is a JSON-able dict."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @property
    def root(self) -> Path:
        return self.workspace.root

    @property
    def index_dir(self) -> Path:
        return self.workspace.index_dir

    def index(self, *, history: bool = True, embed: bool = True) -> dict[str, Any]:
        """Crawl the folder (incremental) and, when a model exists, refresh vectors. Returns counts."""
        report = self.workspace.index(history=history, embed=embed)
        crawled = report.crawl
        out: dict[str, Any] = {"files": crawled.files_indexed, "units": crawled.units,
                               "relations": crawled.relations_total, "commits": crawled.commits}
        if embed and self.workspace.model_dir is not None:
            out["embedded"] = dataclasses.asdict(report.embedded) if report.embedded is not None else None
        return out

    def related(self, path: str, k: int = 10) -> list[Hit]:
        return self.workspace.related(path, _k(k))

    def predict_next(self, after: list[str] | None = None, k: int = 10) -> list[Hit]:
        return self.workspace.predict_next(after, _k(k))

    def search(self, query: str, k: int = 10) -> list[Hit]:
        if not isinstance(query, str) or not query.strip():
            raise VjepaError("api.bad_input", what="query", expected="a non-empty string", got=repr(query))
        return self.workspace.search(query, _k(k))

    def insights(self) -> dict[str, Any]:
        return self.workspace.insights()

    def graph(self, out: str | os.PathLike[str] | None = None) -> Path:
        """Write the knowledge-graph page; returns its path."""
        return self.workspace.graph(out)

    def perception(self) -> FilesystemPerception:
        return FilesystemPerception(self)


def _k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise VjepaError("api.bad_input", what="k", expected="a whole number of at least 1", got=repr(k))
    return k


def open_workspace(path: str | os.PathLike[str] = ".", *, index_dir: str | os.PathLike[str] | None = None,
                   index: bool = False) -> WorkspaceAPI:
    """The workspace at `path`. With `index=True` it is crawled first (incremental); without, it must
    have been indexed already (`vjepa crawl`), else a VjepaError says what to do."""
    ws = WorkspaceAPI(Workspace(Path(path).expanduser(), index_dir))
    if index:
        ws.index()
    else:
        ws.workspace.store  # noqa: B018 - fail now, with what to do, not at the first question
    ws.workspace.prepare_search()  # the snapshot and the model, now: the first question is answered at once
    return ws


def _hits(hits: list[Hit]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(h) for h in hits]


class FilesystemPerception:
    """The "vjepa_filesystem" perception: next files, project understanding and semantic search over
    one workspace, with JSON-able results for any host."""

    name = PERCEPTION_NAME
    capabilities = CAPABILITIES

    def __init__(self, workspace: WorkspaceAPI | str | os.PathLike[str]) -> None:
        self.workspace = workspace if isinstance(workspace, WorkspaceAPI) else open_workspace(workspace)

    def predict_next_file(self, after: list[str] | None = None, k: int = 5) -> list[dict[str, Any]]:
        return _hits(self.workspace.predict_next(after, k))

    def understand_project(self) -> dict[str, Any]:
        return self.workspace.insights()

    def semantic_search(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        return _hits(self.workspace.search(query, k))

    def perceive(self, capability: str, **inputs: Any) -> Any:
        if capability not in self.capabilities:
            raise VjepaError("perception.unknown", capability=capability, known=", ".join(self.capabilities))
        try:
            return getattr(self, capability)(**inputs)
        except TypeError as exc:  # wrong or missing inputs: say which
            raise VjepaError("api.bad_input", what=capability, expected="its documented inputs",
                             got=f"{sorted(inputs)} ({exc})") from exc

    __call__ = perceive

    def registration(self) -> dict[str, Any]:
        """Keyword arguments for `host.register_perception(**...)`."""
        return {"name": self.name, "model": self, "capabilities": list(self.capabilities)}

    def register_with(self, host: PerceptionHost) -> Any:
        if not isinstance(host, PerceptionHost):
            raise VjepaError("perception.bad_host", host=type(host).__name__)
        return host.register_perception(self.name, self, list(self.capabilities))
