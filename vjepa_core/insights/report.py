"""Insights: how you work, where files might belong, and what the project is about.

Everything here reads the index and the git history; nothing is moved or written. Three parts,
one module each:

- work patterns (habits.py): ordered habits over file roles, languages and folders ("tests after
  modules", "Swift first, then Python"), each with its support, a sign test against the reverse
  order and the commits or editor sessions that show it;
- organisation suggestions (organisation.py): clusters of modules that both change together and
  share words but live in different folders ("these 4 files might belong in utils/"), with reason
  and confidence;
- a project summary (summary.py): themes from clusters of code units (top terms per cluster),
  languages and the most central files (PageRank over the relations).

`compute(ws)` returns all three as one JSON-able dict (for the CLI, the server and the API).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from vjepa_core.insights.habits import editor_events, work_patterns
from vjepa_core.insights.organisation import file_words, organisation_suggestions
from vjepa_core.insights.summary import project_summary


def compute(ws: Any) -> dict[str, Any]:  # ws: a Workspace (insights sit below it: no import)
    """Work patterns, organisation suggestions and the project summary of a `Workspace`, as JSON-able data."""
    from vjepa_core.harvest.history import read_commits

    store = ws.store
    rows = store.read("files", ["path", "status", "language"]).to_pylist()
    files = {r["path"]: r["language"] for r in rows if r["status"] == "ok"}
    relations = store.read("relations", ["a", "b", "pattern", "kind", "weight", "count"]).to_pylist()
    commits = read_commits(ws.root)
    events = editor_events(store)
    patterns = work_patterns(commits, events)
    suggestions = organisation_suggestions(files, file_words(store), relations)
    summary = project_summary(store, files, relations)
    return {
        "root": str(ws.root),
        "counts": {"files": len(files), "commits": len(commits), "events": len(events),
                   "relations": len(relations)},
        "patterns": [asdict(p) for p in patterns],
        "suggestions": [asdict(s) for s in suggestions],
        "summary": asdict(summary),
    }
