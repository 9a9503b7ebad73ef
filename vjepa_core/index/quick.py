"""A save's first answer, before anything is written: what the saved files import now, and
which files their content is now most like.

The editor wants the saved file's lens at once; the index write (units, vectors, relations, the
purge: a few hundred milliseconds of LanceDB work on 5,000 files) can follow a moment later. This
reads, screens and parses the saved files exactly as `crawl.update_files` will, embeds their units
as `vectors.embed_files` will, and writes nothing. It answers None whenever that write would not be
a plain save (a file not indexed whole, now skipped or unparsable, an ignore-rule file): the caller
then takes the usual path.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vjepa_core.harvest.allow import ALLOW_FILE, AllowRules
from vjepa_core.index.crawl import _entry_for, process_file
from vjepa_core.index.store import FILE_VECTORS, in_predicates
from vjepa_core.index.vectors import PATH_WEIGHT, path_text, vector_matrix
from vjepa_core.model.encoder.encode import embed_units
from vjepa_core.patterns.semantic import rows_to_recompute, semantic
from vjepa_core.patterns.spatial import import_relations

if TYPE_CHECKING:
    from vjepa_core.index.store import Store
    from vjepa_core.model.encoder.encode import UnitModel

RULE_FILES = (".gitignore", ".vjepaignore", ALLOW_FILE)


class _Excluded:
    """`IgnoreRules`' face (`excluded`) over the workspace's cached rules: no .gitignore read again."""

    def __init__(self, excluded: Callable[[str], bool]) -> None:
        self.excluded = excluded


@dataclass
class Saved:
    """What a plain save changed, read from the files themselves: for each saved path (the
    workspace files it imported as indexed, the ones it imports now), and the unit texts of the
    saved files whose content changed (an unchanged file keeps its vectors)."""

    imports: dict[str, tuple[set[str], set[str]]]
    texts: dict[str, list[str]] = field(default_factory=dict)


def saved_imports(root: Path, store: Store, paths: list[str], excluded: Callable[[str], bool]
                  ) -> dict[str, tuple[set[str], set[str]]] | None:
    """For each saved path: (the workspace files it imported as indexed, the ones it imports now),
    from reading and parsing it; None when the save is not a plain edit of files indexed whole.
    Writes nothing."""
    saved = read_saved(root, store, paths, excluded)
    return None if saved is None else saved.imports


def read_saved(root: Path, store: Store, paths: list[str], excluded: Callable[[str], bool]) -> Saved | None:
    """The saved files read, screened and parsed as the write will; None when the save is not a
    plain edit of files indexed whole. Writes nothing."""
    if any(posixpath.basename(p) in RULE_FILES for p in paths):
        return None
    known = {r["path"]: r for pred in in_predicates("path", sorted(set(paths)))
             for r in store.read("files", ["path", "hash", "status", "language", "imports"], where=pred).to_pylist()}
    allow = AllowRules.read(root)
    rules = _Excluded(excluded)
    found: dict[str, tuple[str | None, list[str], str | None, list[str]]] = {}
    texts: dict[str, list[str]] = {}
    for path in sorted(set(paths)):
        k = known.get(path)
        entry = _entry_for(root, rules, path)  # type: ignore[arg-type]
        if k is None or k["status"] != "ok" or entry is None:
            return None
        o = process_file(entry, k["hash"], screen=not allow.allowed(path))
        if o.status not in ("ok", "unchanged") or o.parse_error:
            return None
        now = (o.language, list(o.imports)) if o.status == "ok" else (k["language"], list(k["imports"] or []))
        if o.status == "ok":
            texts[path] = [u.text for u in o.units]
        found[path] = (k["language"], list(k["imports"] or []), *now)
    files = store.read("files", ["path"], where="status = 'ok'")
    ok = frozenset(files["path"].to_pylist())
    before = import_relations(ok, {p: (lang, specs) for p, (lang, specs, _, _) in found.items()})
    after = import_relations(ok, {p: (lang, specs) for p, (_, _, lang, specs) in found.items()})
    return Saved({p: ({r.b for r in before if r.a == p}, {r.b for r in after if r.a == p}) for p in found}, texts)


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


def saved_similarity(store: Store, ckpt: UnitModel, key: str, texts: dict[str, list[str]]
                     ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]] | None:
    """The semantic neighbour rows as `vectors.embed_files` will leave them once the saved files'
    new content is written: (every directed row a -> {b: cosine} as indexed, the rows the write
    redoes as they will read). The saved files' frames come from their units embedded now, every
    other file's as stored, and rows are redone exactly where the write redoes them. None when the
    index has no vectors of this model or a saved file has no frame yet (the write's own work)."""
    if not texts:
        return {}, {}
    if store.meta().get("model") != key or not store.has_table(FILE_VECTORS):
        return None
    vt = store.read(FILE_VECTORS, ["path", "vector"])
    paths = vt["path"].to_pylist()
    index = {p: i for i, p in enumerate(paths)}
    if any(p not in index for p in texts):
        return None
    frames = vector_matrix(vt["vector"])
    saved = sorted(texts)
    vecs = embed_units(ckpt, [t for p in saved for t in texts[p]] + [path_text(p) for p in saved])
    at = 0
    for j, p in enumerate(saved):
        n = len(texts[p])
        unit_mean = vecs[at:at + n].mean(axis=0) if n else np.zeros(frames.shape[1], np.float32)
        at += n
        v = unit_mean + PATH_WEIGHT * vecs[len(vecs) - len(saved) + j]
        frames[index[p]] = (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)
    sem = store.read("relations", ["a", "b", "weight"], where="pattern = 'semantic'")
    rows: defaultdict[str, dict[str, float]] = defaultdict(dict)
    for a, b, w in zip(*(sem[c].to_pylist() for c in ("a", "b", "weight"))):
        rows[a][b] = float(w)
    redo = rows_to_recompute(frames, index, {a: list(r.items()) for a, r in rows.items()}, set(saved))
    after: dict[str, dict[str, float]] = {x: {} for x in redo}
    for r in semantic(paths, frames, np.array(sorted(index[p] for p in redo), dtype=np.int64)):
        after[r.a][r.b] = float(r.weight)
    return dict(rows), after


def relink_similarity(links: dict[str, dict[str, tuple[float, float]]], rows: dict[str, dict[str, float]],
                      after: dict[str, dict[str, float]]) -> set[str]:
    """Bring the ranker's `links` up to date with the redone neighbour rows `after`, in place: a
    pair's similarity is the larger of its two directed rows (as `related.links_from_rows` reads
    them). `rows`: every directed row before (updated in place). Returns the files whose similarity
    to another file changed."""
    pairs = {(x, b) for x in after for b in (*rows.get(x, {}), *after[x])}
    rows.update(after)
    moved: set[str] = set()
    for x, y in pairs:
        sim = max(rows.get(x, {}).get(y, 0.0), rows.get(y, {}).get(x, 0.0))
        for a, b in ((x, y), (y, x)):
            imp, old = links.get(a, {}).get(b, (0.0, 0.0))
            if old == sim:
                continue
            moved.update((a, b))
            if imp or sim:
                links.setdefault(a, {})[b] = (imp, sim)
            else:
                links.get(a, {}).pop(b, None)
    return moved
