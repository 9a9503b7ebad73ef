"""What the workspace facade (`vjepa_core.workspace`) answers with, beside hits: plain tuples, kept
here so that importing them stays light (no LanceDB, no model)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from vjepa_core.index.crawl import CrawlReport
    from vjepa_core.index.vectors import EmbedReport


class IndexReport(NamedTuple):
    """What `Workspace.index` did: the crawl's report, and the embedding's (None: not embedded)."""

    crawl: CrawlReport
    embedded: EmbedReport | None


class EditorEvent(NamedTuple):
    """One editor event for the temporal predictor; never content."""

    time_ms: int
    path: str  # workspace-relative
    kind: str  # "open", "change" or "save"
    source: str  # the editor (LSP clientInfo.name)


class IndexedFiles(NamedTuple):
    """The files indexed whole (status ok) and their code units."""

    paths: list[str]
    units: int


class SecretSkip(NamedTuple):
    """A file the last crawl skipped because its content looked like it holds a secret: its path
    and the rule family that matched ("AWS access key", ...), never the value. `.vjepaallow`
    lets a false alarm in."""

    path: str  # workspace-relative
    family: str


class ModelStatus(NamedTuple):
    """Which model serves a workspace: "workspace" (trained here), "default" (shipped) or "none",
    and its weights' digest ("" without a model)."""

    name: str
    version: str
