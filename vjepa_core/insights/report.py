"""Insights: how you (or the project's people) work, where files might belong, and what the
project is.

Everything here reads the index, the files the index holds and the git history; nothing is moved
or written. Three parts, one module each:

- work patterns (habits.py): ordered habits over file roles, languages and folders ("tests after
  modules", "Swift first, then Python"), each with its support, a sign test against the reverse
  order, whose sessions show it (people.py) and the commits or editor sessions that show it, quoted
  by the paths the files have now (renames.py);
- organisation suggestions (organisation.py): clusters of modules that both change together and
  share words but live in different folders ("these 4 files might belong in utils/"), only with
  strong evidence, shown per file, and never out of a deliberate folder (structure.py);
- a project summary (summary.py): the project's own words for itself (about.py), themes from
  clusters of code units, languages and the most central files (PageRank over the relations).

`compute(ws)` returns all three as one JSON-able dict (for the CLI, the server and the API).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from vjepa_core.insights.about import project_about
from vjepa_core.insights.habits import editor_events, work_patterns
from vjepa_core.insights.organisation import file_words, organisation_review
from vjepa_core.insights.people import read_people
from vjepa_core.insights.renames import current_names
from vjepa_core.insights.structure import deliberate_folders
from vjepa_core.insights.summary import project_summary


def compute(ws: Any) -> dict[str, Any]:  # ws: a Workspace (insights sit below it: no import)
    """Work patterns, organisation suggestions and the project summary of a `Workspace`, as JSON-able data."""
    from vjepa_core.harvest.history import read_commits

    store = ws.store
    rows = store.read("files", ["path", "status", "language"]).to_pylist()
    files = {r["path"]: r["language"] for r in rows if r["status"] == "ok"}
    existing = {r["path"] for r in rows}  # every path the crawl saw now, readable or not
    relations = store.read("relations", ["a", "b", "pattern", "kind", "weight", "count"]).to_pylist()
    commits = read_commits(ws.root)
    people = read_people(ws.root)
    names = current_names(commits, existing)
    events = editor_events(store)
    patterns = work_patterns(commits, events, people, existing)
    review = organisation_review(files, file_words(store), relations, commits, names,
                                 deliberate_folders(existing, commits, names))
    summary = project_summary(store, files, relations, project_about(ws.root, files))
    return {
        "root": str(ws.root),
        "counts": {"files": len(files), "commits": len(commits), "events": len(events),
                   "relations": len(relations)},
        "people": people.as_dict(),
        "patterns": [asdict(p) for p in patterns],
        "suggestions": [asdict(s) for s in review.suggestions],
        "left_alone": review.left_alone,
        "summary": asdict(summary),
    }
