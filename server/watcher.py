"""Keep the index fresh when files change outside the editor: `watchfiles.awatch` on each approved
folder (debounced), filtered by the crawl's own rules (deny catalogue, .gitignore at every level,
.vjepaignore), then one incremental re-crawl for the whole batch of changes.

The filter only looks at paths (and reads .gitignore files); a denied path is never read. A new
commit (`.git/logs/HEAD` moves) also re-crawls, so temporal relations and Next follow the history.
"""

from __future__ import annotations

import asyncio
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING

import watchfiles
from lsprotocol import types

from vjepa_core.harvest.safety import IgnoreRules, denied_location

from .folders import Folder

if TYPE_CHECKING:
    from .server import VjepaServer

HISTORY_MOVED = ".git/logs/HEAD"
RULE_FILES = (".gitignore", ".vjepaignore")


class ChangeFilter:
    """Which changed paths matter to the index of one folder."""

    def __init__(self, folder: Folder) -> None:
        self.root = folder.root
        self.index_dir = folder.workspace.index_dir.resolve()
        self._rules: IgnoreRules | None = None

    def _ignored(self, rel: str) -> bool:
        if self._rules is None:
            self._rules = IgnoreRules(self.root)
        return self._rules.excluded(rel)

    def relevant(self, changes: set[tuple[watchfiles.Change, str]]) -> list[str]:
        """The workspace-relative paths in `changes` that the index cares about (runs off the loop)."""
        if any(posixpath.basename(raw) in RULE_FILES for _, raw in changes):
            self._rules = None  # the rules changed: read them again, before judging any path
        out: set[str] = set()
        for _, raw in changes:
            path = Path(raw)
            if path == self.index_dir or self.index_dir in path.parents:
                continue  # our own writes
            try:
                rel = path.relative_to(self.root).as_posix()
            except ValueError:
                continue
            if rel == HISTORY_MOVED:
                out.add(rel)
                continue
            if rel.split("/", 1)[0] == ".git" or denied_location(path):
                continue
            if not self._ignored(rel):
                out.add(rel)
        return sorted(out)


async def watch(ls: VjepaServer, folder: Folder) -> None:
    """Runs until shutdown: each debounced batch of relevant changes queues one re-crawl."""
    from .lifecycle import queue_reindex

    changes_filter = ChangeFilter(folder)
    async for changes in watchfiles.awatch(folder.root, watch_filter=None, debounce=ls.options.watch_debounce_ms,
                                           stop_event=ls.stopping, ignore_permission_denied=True):
        relevant = await asyncio.to_thread(changes_filter.relevant, changes)
        if relevant:
            ls.window_log_message(types.LogMessageParams(
                type=types.MessageType.Log, message=f"watch: {len(relevant)} changed under {folder.root}"))
            # Edited files take the fast path (it hands added and deleted ones to the full re-crawl);
            # a commit or new ignore rules re-crawl in full.
            full = HISTORY_MOVED in relevant or any(posixpath.basename(r) in RULE_FILES for r in relevant)
            queue_reindex(ls, folder, None if full else set(relevant))
