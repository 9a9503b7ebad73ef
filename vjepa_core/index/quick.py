"""A save's first answer, before anything is written: what the saved files import now.

The editor wants the saved file's lens at once; the index write (units, vectors, relations, the
purge: a few hundred milliseconds of LanceDB work on 5,000 files) can follow a moment later. This
reads, screens and parses the saved files exactly as `crawl.update_files` will, and writes nothing.
It answers None whenever that write would not be a plain save (a file not indexed whole, now
skipped or unparsable, an ignore-rule file): the caller then takes the usual path.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vjepa_core.harvest.allow import ALLOW_FILE, AllowRules
from vjepa_core.index.crawl import _entry_for, process_file
from vjepa_core.index.store import in_predicates
from vjepa_core.patterns.spatial import import_relations

if TYPE_CHECKING:
    from vjepa_core.index.store import Store

RULE_FILES = (".gitignore", ".vjepaignore", ALLOW_FILE)


class _Excluded:
    """`IgnoreRules`' face (`excluded`) over the workspace's cached rules: no .gitignore read again."""

    def __init__(self, excluded: Callable[[str], bool]) -> None:
        self.excluded = excluded


def saved_imports(root: Path, store: Store, paths: list[str], excluded: Callable[[str], bool]
                  ) -> dict[str, tuple[set[str], set[str]]] | None:
    """For each saved path: (the workspace files it imported as indexed, the ones it imports now),
    from reading and parsing it; None when the save is not a plain edit of files indexed whole.
    Writes nothing."""
    if any(posixpath.basename(p) in RULE_FILES for p in paths):
        return None
    known = {r["path"]: r for pred in in_predicates("path", sorted(set(paths)))
             for r in store.read("files", ["path", "hash", "status", "language", "imports"], where=pred).to_pylist()}
    allow = AllowRules.read(root)
    rules = _Excluded(excluded)
    found: dict[str, tuple[str | None, list[str], str | None, list[str]]] = {}
    for path in sorted(set(paths)):
        k = known.get(path)
        entry = _entry_for(root, rules, path)  # type: ignore[arg-type]
        if k is None or k["status"] != "ok" or entry is None:
            return None
        o = process_file(entry, k["hash"], screen=not allow.allowed(path))
        if o.status not in ("ok", "unchanged") or o.parse_error:
            return None
        now = (o.language, list(o.imports)) if o.status == "ok" else (k["language"], list(k["imports"] or []))
        found[path] = (k["language"], list(k["imports"] or []), *now)
    files = store.read("files", ["path"], where="status = 'ok'")
    ok = frozenset(files["path"].to_pylist())
    before = import_relations(ok, {p: (lang, specs) for p, (lang, specs, _, _) in found.items()})
    after = import_relations(ok, {p: (lang, specs) for p, (_, _, lang, specs) in found.items()})
    return {p: ({r.b for r in before if r.a == p}, {r.b for r in after if r.a == p}) for p in found}


def relink_imports(links: dict[str, dict[str, tuple[float, float]]],
                   imports: dict[str, tuple[set[str], set[str]]]) -> set[str]:
    """Bring the ranker's `links` up to date with the saved files' imports, in place (both ways;
    similarity stays as it is until the index is written); returns the files whose import link to
    a saved file appeared or went. A link whose other end also imports the saved file may be
    dropped here: the write's exact relink (`queries.related.relink`) puts it back."""
    moved: set[str] = set()
    for p, (old, new) in imports.items():
        for g in new - old:
            for x, y in ((p, g), (g, p)):
                _, sim = links.get(x, {}).get(y, (0.0, 0.0))
                links.setdefault(x, {})[y] = (1.0, sim)
            moved.add(g)
        for g in old - new:
            for x, y in ((p, g), (g, p)):
                _, sim = links.get(x, {}).get(y, (0.0, 0.0))
                if sim:
                    links.setdefault(x, {})[y] = (0.0, sim)
                else:
                    links.get(x, {}).pop(y, None)
            moved.add(g)
    return moved - set(imports)
