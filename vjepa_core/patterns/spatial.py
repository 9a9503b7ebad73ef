"""The spatial pattern: files that live together (same folder, a folder's head files, name twins
across folders) or import each other (resolved from tree-sitter import nodes).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable

from vjepa_core.harvest.imports import resolve_imports
from vjepa_core.paths import subject_stem
from vjepa_core.patterns.relation import Relation

# Folders with more files than this get no same-folder pairs: past it, sharing a folder says little.
MAX_SAME_DIR = 200
# Name-twin groups larger than this are generic names (utils, index), not twins.
MAX_TWINS = 8

HEAD_FILES = frozenset({
    "__init__.py", "__main__.py", "mod.rs", "lib.rs", "main.rs", "main.go", "index.js", "index.ts",
    "index.tsx", "index.jsx", "index.mjs", "package.json", "cargo.toml", "go.mod", "pyproject.toml",
    "setup.py", "setup.cfg", "cmakelists.txt", "makefile", "readme.md", "readme", "readme.rst", "package.swift",
})


def spatial(files: Iterable[str], imports: dict[str, tuple[str | None, list[str]]]) -> list[Relation]:
    """Spatial relations among workspace files. `imports`: path -> (language, raw specifiers)."""
    paths = sorted(set(files))
    out: list[Relation] = []
    by_dir: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        by_dir[posixpath.dirname(p)].append(p)

    for group in by_dir.values():
        n = len(group)
        if 2 <= n <= MAX_SAME_DIR:
            w = 1.0 / (n - 1)
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    out.append(Relation(a, b, "spatial", "same_dir", w))

    # parent: each file with the head files (README, __init__, index, mod.rs...) of its
    # folder's parent, which describe the package it belongs to.
    for d, group in by_dir.items():
        if not d:
            continue
        parent = posixpath.dirname(d)
        heads = [h for h in by_dir.get(parent, ()) if posixpath.basename(h).lower() in HEAD_FILES]
        for f in group:
            for h in heads:
                out.append(Relation(f, h, "spatial", "parent", 0.5))

    # sibling: name twins in different folders (src/foo.py ~ tests/test_foo.py, foo.c ~ include/foo.h).
    twins: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        stem = subject_stem(p)
        if stem and posixpath.basename(p).lower() not in HEAD_FILES:
            twins[stem].append(p)
    for group in twins.values():
        if 2 <= len(group) <= MAX_TWINS:
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    if posixpath.dirname(a) != posixpath.dirname(b):
                        out.append(Relation(a, b, "spatial", "sibling", 1.0))

    out.extend(import_relations(frozenset(paths), imports))
    return out


def import_relations(known: frozenset[str], imports: dict[str, tuple[str | None, list[str]]]) -> list[Relation]:
    """Import relations of the files in `imports`, resolved against the workspace files `known`."""
    out: list[Relation] = []
    for p, (language, specs) in sorted(imports.items()):
        if not language or not specs or p not in known:
            continue
        for target in sorted(resolve_imports(p, specs, language, known)):
            out.append(Relation(p, target, "spatial", "import", 1.0))
    return out
