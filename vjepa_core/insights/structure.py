"""Folders someone meant: a package (Python `__init__.py`, a Go package, a Rust module, a JS
package's `index` or `package.json`) or an established folder, used across the history. The
organisation suggestions never take files out of them: a structure people chose and kept is a
decision, not an accident the co-change statistics should undo."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Collection, Sequence

from vjepa_core.harvest.history import Commit
from vjepa_core.insights.roles import folder_of

ESTABLISHED_COMMITS = 20  # commits touching a folder's files before it counts as established ...
ESTABLISHED_DAYS = 180  # ... or this many days between its first and last commit, with
ESTABLISHED_MIN = 5  # at least this many commits
_PACKAGE_FILES = {"__init__.py": "a Python package (it has __init__.py)",
                  "__init__.pyi": "a Python package (it has __init__.pyi)",
                  "mod.rs": "a Rust module (it has mod.rs)", "lib.rs": "a Rust crate (it has lib.rs)",
                  "package.json": "a package (it has package.json)", "go.mod": "a Go module (it has go.mod)",
                  "cargo.toml": "a Rust crate (it has Cargo.toml)",
                  "pyproject.toml": "a Python project (it has pyproject.toml)",
                  "package.swift": "a Swift package (it has Package.swift)"}
_INDEX = ("index.js", "index.ts", "index.tsx", "index.jsx", "index.mjs")


def deliberate_folders(files: Collection[str], commits: Sequence[Commit],
                       names: Sequence[dict[str, str | None]]) -> dict[str, str]:
    """folder -> why it is deliberate. `names`: each commit's files -> their path now (renames.py),
    so a folder renamed once keeps its history."""
    why: dict[str, str] = {}
    for f in files:
        base = posixpath.basename(f).lower()
        folder = folder_of(f)
        if folder == ".":
            continue  # the root is where loose files land: it says nothing about them
        if base in _PACKAGE_FILES:
            why.setdefault(folder, _PACKAGE_FILES[base])
        elif base in _INDEX:
            why.setdefault(folder, f"a JavaScript module folder (it has {base})")
        elif base.endswith(".go"):
            why.setdefault(folder, "a Go package")
    touched: dict[str, list[int]] = defaultdict(list)  # folder -> commit times
    for c, now in zip(commits, names):
        for folder in {folder_of(p) for p in now.values() if p}:
            touched[folder].append(c.time)
    for folder, times in touched.items():
        if folder == "." or folder in why:
            continue
        days = (max(times) - min(times)) / 86400
        if len(times) >= ESTABLISHED_COMMITS or (days >= ESTABLISHED_DAYS and len(times) >= ESTABLISHED_MIN):
            why[folder] = f"an established folder ({len(times)} commits over {round(days)} days)"
    return why
