"""A save's first answer, before anything is written: what the saved files import now, and
which files their content is now most like.

The editor wants the saved file's lens at once; the index write (units, vectors, relations, the
purge: a few hundred milliseconds of LanceDB work on 5,000 files) can follow a moment later. This
reads, screens and parses the saved files exactly as `crawl.update_files` will, embeds their units
as `vectors.embed_files` will, and writes nothing. It answers None whenever that write would not be
a plain save (a file not indexed whole, now skipped or unparsable, an ignore-rule file): the caller
then takes the usual path. The secret screen runs here only while the process holds the compiled
rules (a server lets them go after its full index): else the write screens, and a secret found
there takes the file out of the index and its lenses, and the kept rows are read again.
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
from vjepa_core.harvest.secrets import rules_ready
from vjepa_core.index.crawl import _entry_for, process_file
from vjepa_core.index.store import FILE_VECTORS, in_predicates
from vjepa_core.index.vectors import PATH_WEIGHT, path_text, vector_matrix
from vjepa_core.model.encoder.encode import embed_units
from vjepa_core.patterns.semantic import SEMANTIC_MIN_COSINE, SEMANTIC_NEIGHBOURS, semantic
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
        # Screened here only when the rules are compiled already: else the write screens it (half
        # a second later), and a secret found then takes the file out of the index and its lenses.
        o = process_file(entry, k["hash"], screen=not allow.allowed(path) and rules_ready())
        if o.status not in ("ok", "unchanged") or o.parse_error:
            return None
        now = (o.language, list(o.imports)) if o.status == "ok" else (k["language"], list(k["imports"] or []))
        if o.status == "ok":
            texts[path] = [u.text for u in o.units]
        found[path] = (k["language"], list(k["imports"] or []), *now)
    ok = _ok_files(store)
    before = import_relations(ok, {p: (lang, specs) for p, (lang, specs, _, _) in found.items()})
    after = import_relations(ok, {p: (lang, specs) for p, (_, _, lang, specs) in found.items()})
    return Saved({p: ({r.b for r in before if r.a == p}, {r.b for r in after if r.a == p}) for p in found}, texts)


def answer_save(root: Path, store: Store, paths: list[str], excluded: Callable[[str], bool],
                links: dict[str, dict[str, tuple[float, float]]], ckpt: UnitModel | None, key: str | None
                ) -> set[str] | None:
    """A save answered from memory: the ranker's `links` learn the saved files' imports and their
    new content's nearest files (in place); returns the files whose Related lens to rank again, or
    None when the save is more than a plain edit (`Workspace.preview_save`). No paths: what an
    answer needs is loaded (the kept rows), and nothing is answered."""
    if not paths:
        if key is not None:
            neighbours(store, key)
        return set()
    saved = read_saved(root, store, paths, excluded)
    if saved is None:
        return None
    rows, before = None, None
    if ckpt is not None and key is not None and saved.texts:
        rows = neighbours(store, key)
        before = None if rows is None else rows.preview(ckpt, saved.texts)
        if before is None:
            return None  # the write embeds more than these files: its own answer
    moved = relink_imports(links, saved.imports)
    if rows is not None and before is not None:
        moved |= relink_similarity(links, rows.rows, before)
    return set(saved.imports) | moved


_OK: dict[str, tuple[int, frozenset[str]]] = {}  # per index folder: (files table version, its indexed files)


def _ok_files(store: Store) -> frozenset[str]:
    """The files indexed whole, the same set object while the files table is unchanged (import
    resolution keeps its module map for one set object)."""
    version = store.table("files").version
    kept = _OK.get(str(store.path))
    if kept is None or kept[0] != version:
        files = store.read("files", ["path"], where="status = 'ok'")
        kept = _OK[str(store.path)] = (version, frozenset(files["path"].to_pylist()))
    return kept[1]


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



@dataclass
class Neighbours:
    """Every file's frame vector and semantic neighbour row, as a save's answer from memory needs
    them, kept between saves: loaded from the index once, then brought forward by each preview
    exactly as the write will (`vectors.embed_files`), and kept across that write (`writing`,
    `written`); any other write to the index makes it load again."""

    paths: list[str]
    index: dict[str, int]
    frames: np.ndarray  # [files, dim], unit-normalised
    rows: dict[str, dict[str, float]]  # a -> {b: cosine}: the semantic relations a -> b
    pointing: defaultdict[str, set[str]]  # b -> the files whose row holds b
    weakest: np.ndarray  # per file: the cosine another file must reach to enter its row
    versions: tuple[int, int]  # (file vectors, relations) table versions it agrees with
    model: str
    pending: set[str] = field(default_factory=set)  # previewed, not written yet

    @classmethod
    def load(cls, store: Store, model: str) -> Neighbours:
        vt = store.read(FILE_VECTORS, ["path", "vector"])
        paths = vt["path"].to_pylist()
        sem = store.read("relations", ["a", "b", "weight"], where="pattern = 'semantic'")
        rows: defaultdict[str, dict[str, float]] = defaultdict(dict)
        pointing: defaultdict[str, set[str]] = defaultdict(set)
        for a, b, w in zip(*(sem[c].to_pylist() for c in ("a", "b", "weight"))):
            rows[a][b] = float(w)
            pointing[b].add(a)
        out = cls(paths, {p: i for i, p in enumerate(paths)}, vector_matrix(vt["vector"]), dict(rows), pointing,
                  np.full(len(paths), SEMANTIC_MIN_COSINE, np.float32), _versions(store), model)
        for a in rows:
            out._weigh(a)
        return out

    def _weigh(self, x: str) -> None:
        """x's entry bar, as `semantic.rows_to_recompute` sets it: its weakest neighbour when its row
        is full, else the minimum cosine."""
        if x not in self.index:
            return
        row = self.rows.get(x, {})
        full = len(row) >= min(SEMANTIC_NEIGHBOURS, len(self.index) - 1)
        self.weakest[self.index[x]] = min(row.values()) if full and row else SEMANTIC_MIN_COSINE

    def preview(self, ckpt: UnitModel, texts: dict[str, list[str]]) -> dict[str, dict[str, float]] | None:
        """The saved files' new frames (their units embedded now) and the neighbour rows they move,
        redone where the write will redo them; returns those rows as they were (`rows` holds them
        as they are now). None when a saved file has no frame yet (the write's own work)."""
        if any(p not in self.index for p in texts):
            return None
        saved = sorted(texts)
        vecs = embed_units(ckpt, [t for p in saved for t in texts[p]] + [path_text(p) for p in saved])
        at = 0
        for j, p in enumerate(saved):
            n = len(texts[p])
            unit_mean = vecs[at:at + n].mean(axis=0) if n else np.zeros(self.frames.shape[1], np.float32)
            at += n
            v = unit_mean + PATH_WEIGHT * vecs[len(vecs) - len(saved) + j]
            self.frames[self.index[p]] = (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)
        cols = np.array([self.index[p] for p in saved], dtype=np.int64)
        sims = self.frames[cols] @ self.frames.T  # [saved, all]: what `rows_to_recompute` decides on
        sims[np.arange(len(cols)), cols] = -np.inf
        redo = set(saved) | {x for p in saved for x in self.pointing.get(p, ())}
        redo.update(self.paths[i] for i in np.flatnonzero(sims.max(axis=0) >= self.weakest))
        after: dict[str, dict[str, float]] = {x: {} for x in redo}
        for r in semantic(self.paths, self.frames, np.array(sorted(self.index[x] for x in redo), dtype=np.int64)):
            after[r.a][r.b] = float(r.weight)
        before = {x: self.rows.get(x, {}) for x in redo}
        for x, row in after.items():
            for b in self.rows.get(x, {}):
                self.pointing[b].discard(x)
            self.rows[x] = row
            for b in row:
                self.pointing[b].add(x)
            self._weigh(x)
        self.pending.update(saved)
        return before


_KEPT: dict[str, Neighbours] = {}  # per index folder


def _versions(store: Store) -> tuple[int, int]:
    return store.table(FILE_VECTORS).version, store.table("relations").version


def neighbours(store: Store, model: str) -> Neighbours | None:
    """The index's `Neighbours`, kept while nothing but the previewed saves wrote to the index;
    None when the index has no file vectors of `model` (the write then embeds everything)."""
    if store.meta().get("model") != model or not store.has_table(FILE_VECTORS):
        return None
    kept = _KEPT.get(str(store.path))
    if kept is None or kept.model != model or kept.versions != _versions(store):
        kept = _KEPT[str(store.path)] = Neighbours.load(store, model)
    return kept


def writing(store: Store, paths: list[str]) -> bool:
    """Before the index write of `paths`: whether it is exactly the write of the saves previewed
    since the kept rows last agreed with the index (then `written` keeps them)."""
    kept = _KEPT.get(str(store.path))
    return kept is not None and kept.pending == set(paths) and kept.versions == _versions(store)


def written(store: Store, keep: bool) -> None:
    """After that write (and its purge): the kept rows agree with the index again, or are dropped."""
    kept = _KEPT.get(str(store.path))
    if kept is None:
        return
    if keep and store.count(FILE_VECTORS) == len(kept.paths):  # else a saved file left the index (a secret)
        kept.versions, kept.pending = _versions(store), set()
    else:
        _KEPT.pop(str(store.path), None)


def relink_similarity(links: dict[str, dict[str, tuple[float, float]]], rows: dict[str, dict[str, float]],
                      before: dict[str, dict[str, float]]) -> set[str]:
    """Bring the ranker's `links` up to date with redone neighbour rows, in place: a pair's
    similarity is the larger of its two directed rows (as `related.links_from_rows` reads them).
    `rows`: every directed row as it is now; `before`: the redone ones as they were. Returns the
    files whose similarity to another file changed."""
    pairs = {(x, b) for x, old in before.items() for b in (*old, *rows.get(x, {}))}
    moved: set[str] = set()
    for x, y in pairs:
        sim = max(rows.get(x, {}).get(y, 0.0), rows.get(y, {}).get(x, 0.0))
        for a, b in ((x, y), (y, x)):
            imp, old_sim = links.get(a, {}).get(b, (0.0, 0.0))
            if old_sim == sim:
                continue
            moved.update((a, b))
            if imp or sim:
                links.setdefault(a, {})[b] = (imp, sim)
            else:
                links.get(a, {}).pop(b, None)
    return moved
