"""The names files have now: each commit's paths followed through later renames to today's path,
or to None when the file is gone. Insights quote only paths that exist, so a habit seen in 2019
under `http3/` is shown with the `httpx/` file it became."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from vjepa_core.harvest.history import Commit


def current_names(commits: Sequence[Commit], existing: Collection[str]) -> list[dict[str, str | None]]:
    """For each commit (oldest first, as read_commits gives them), its files -> their path now
    (None: deleted since, or never seen again). `existing`: the paths that exist now."""
    now: dict[str, str | None] = {p: p for p in existing}  # a name at some time -> its name today
    out: list[dict[str, str | None]] = [{} for _ in commits]
    for i in range(len(commits) - 1, -1, -1):  # newest first: later renames are known when we get here
        c = commits[i]
        # A commit's paths are its names after the commit: resolve them before undoing its renames.
        out[i] = {p: now.get(p) for p in c.files}
        # (A path deleted for good is simply absent from `now`: None. One re-added later keeps its
        # name: an earlier file at the same path is quoted by the path that exists.)
        for old, new in c.renames:
            now[old] = now.get(new)
    return out
