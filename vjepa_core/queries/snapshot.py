"""The search snapshot: what a query needs, built at index time and kept on disk beside the index.

Rows (path, name, kind, lines, hash of every visible unit), their lexical terms, the BM25 index and
the unit vectors aligned to the rows. A query loads it once per process (a few milliseconds) instead
of reading every unit's text and building BM25 first. `refresh` runs after every crawl, embed and
save (Workspace does it); terms are kept per unit hash, so a save re-stems only its own units.

On disk, under `<index>/search/`: one folder per snapshot, named by the units', files' and vectors'
table versions it was built from, and `current.json` naming the live one (written atomically: the
commit point); older folders are removed after the commit. A snapshot that does not match the
tables (a crash before the refresh, an older version) is rebuilt on the next query.

`on_disk` reads the live snapshot without opening the index at all (no LanceDB import, about a
second of a CLI command's start): the tables' versions are read from their manifest files' names.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from pyarrow import ipc

from vjepa_core.index.memory import release_freed_memory
from vjepa_core.model.encoder.atomic import write_json
from vjepa_core.queries.lexical import LexicalIndex, terms
from vjepa_core.queries.ranking import Candidates

FOLDER = "search"
_ROWS = "rows.arrow"
_VECTORS = "vectors.npy"
_SCALES = "scales.npy"
_BM25 = "bm25"
_COLUMNS = ["path", "name", "kind", "start_line", "end_line", "hash"]
_UNIT_VECTORS = "unit_vectors"  # index.store.UNIT_VECTORS, named here so `on_disk` needs no LanceDB

if TYPE_CHECKING:
    from vjepa_core.index.store import Store


@dataclass
class Snapshot:
    key: str
    rows: pa.Table  # _COLUMNS + "terms"
    lexical: LexicalIndex
    vectors: np.ndarray | None  # [N, D] int8, aligned to rows (`quantize`); None without a model
    candidates: Candidates
    model: str = ""  # the model the vectors are of
    scales: np.ndarray | None = None  # [N] float32: row i is about vectors[i] * scales[i]

    @property
    def size(self) -> int:
        return self.rows.num_rows

    def cosines(self, query: np.ndarray) -> np.ndarray:
        """[N] each unit's cosine with the unit-normalised `query` vector (to within about 1%):
        int8 rows times the query in int8, a quarter of float32's bytes to read per query."""
        assert self.vectors is not None and self.scales is not None
        q = np.asarray(query, dtype=np.float32)
        qs = float(np.abs(q).max()) / 127.0 or 1.0
        dots = np.einsum("ij,j->i", self.vectors, np.rint(q / qs).astype(np.int8), dtype=np.int32)
        return dots.astype(np.float32) * (self.scales * np.float32(qs))


_QUANTIZE_ROWS = 4096  # rows at a time: the float temporaries stay a few MB, whatever the count


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 rows, each row's scale): row i is about int8[i] * scale[i], its largest entry exact.
    Quantizing rows made this way again gives them back unchanged."""
    out = np.empty(vectors.shape, np.int8)
    scale = np.ones(len(vectors), np.float32)
    if not vectors.size:
        return out, scale
    for start in range(0, len(vectors), _QUANTIZE_ROWS):
        part = vectors[start:start + _QUANTIZE_ROWS]
        peak = np.abs(part).max(axis=1)
        s = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        out[start:start + len(part)] = np.rint(part / s[:, None])
        scale[start:start + len(part)] = s
    return out, scale


_CACHE: dict[str, Snapshot] = {}  # per index folder, the snapshot this process loaded


def snapshot_key(store: Store) -> str:
    """Which tables a snapshot was built from: their versions (and the model the vectors are of)."""
    from vjepa_core.index.store import UNIT_VECTORS
    from vjepa_core.index.vectors import has_table

    vectors = store.table(UNIT_VECTORS).version if has_table(store, UNIT_VECTORS) else None
    return _key(store.table("units").version, store.table("files").version, vectors)


def _key(units: int, files: int, vectors: int | None) -> str:
    """The snapshot key for these table versions (no vectors table: no `v` part)."""
    return f"u{units}-f{files}" + (f"-v{vectors}" if vectors is not None else "")


def _folder(store: Store) -> Path:
    return Path(store.path) / FOLDER


def _pointer(store: Store) -> dict[str, object]:
    return _pointer_in(_folder(store))


def _pointer_in(folder: Path) -> dict[str, object]:
    """current.json: the live snapshot's key and the model its vectors are of ({} when unreadable)."""
    try:
        pointer = json.loads((folder / "current.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return pointer if isinstance(pointer, dict) else {}


def _current(store: Store) -> str | None:
    key = _pointer(store).get("key")
    return str(key) if key else None


def _manifest_version(table_dir: Path) -> int | None:
    """A Lance table's latest version, from its manifest files' names (`N.manifest`, or, in the
    newer naming, 2**64 - 1 - N); None when there is none to read."""
    try:
        names = [p.name for p in (table_dir / "_versions").iterdir() if p.name.endswith(".manifest")]
        numbers = [int(n.split(".", 1)[0]) for n in names]
    except (OSError, ValueError):
        return None
    if not numbers:
        return None
    return max(2 ** 64 - 1 - n if n >= 2 ** 63 else n for n in numbers)


def on_disk(index_dir: Path) -> Snapshot | None:
    """The live snapshot, read without opening the index, when its tables are still at the versions
    it was built from; None otherwise (the caller takes `get`, which rebuilds what is stale)."""
    index_dir = Path(index_dir)
    cached = _CACHE.get(str(index_dir))
    pointer = _pointer_in(index_dir / FOLDER)
    units, files = (_manifest_version(index_dir / f"{name}.lance") for name in ("units", "files"))
    if units is None or files is None:
        return None
    key = _key(units, files, _manifest_version(index_dir / f"{_UNIT_VECTORS}.lance"))
    if not pointer.get("key") or pointer["key"] != key:
        return None
    if cached is not None and cached.key == key:
        return cached
    return _load_from(index_dir / FOLDER, key, str(pointer.get("model") or ""), str(index_dir))


def get(store: Store) -> Snapshot:
    """The snapshot for the store as it is now: from this process' cache, else from disk, else built."""
    key = snapshot_key(store)
    cached = _CACHE.get(str(store.path))
    if cached is not None and cached.key == key:
        return cached
    snap = _load(store, key) if _current(store) == key else None
    if snap is None:
        snap = refresh(store, key=key)
    return snap


def refresh(store: Store, *, key: str | None = None) -> Snapshot:
    """Build the snapshot for the store as it is now and commit it to disk. Terms and vectors of
    units the previous snapshot already had are reused: only new units' text is read and stemmed."""
    key = key or snapshot_key(store)
    units = store.visible_units(_COLUMNS)
    hashes = units["hash"].to_pylist()
    model = str(store.meta().get("model") or "")
    old_terms, old_vectors = _previous(store, model)
    names = units["name"].to_pylist()
    # A unit's terms hold its name's words: kept per (text, name), as units of one text under two
    # names (two classes' identical __init__) have different terms.
    missing = sorted({h for h, n in zip(hashes, names) if (h, n) not in old_terms})
    texts = _texts(store, missing)
    doc_terms = [old_terms[(h, n)] if (h, n) in old_terms else terms(texts.get(h, ""), n) for h, n in zip(hashes, names)]
    del texts, old_terms, names
    rows = units.select(_COLUMNS).append_column("terms", pa.array(doc_terms, pa.list_(pa.string())))
    lexical = LexicalIndex(doc_terms=doc_terms)
    del doc_terms, units  # the rows and BM25 hold them now: the vectors are read without them
    release_freed_memory()
    aligned = _aligned_vectors(store, hashes, old_vectors) if model else None
    del old_vectors
    vectors, scales = aligned if aligned is not None else (None, None)
    snap = Snapshot(key, rows, lexical, vectors, _candidates(rows), model, scales)
    _save(store, snap)
    # What was built here holds every unit's terms in memory (~45 MB on 5,000 files); the copy
    # just written is mapped instead, as at a process's start: a long-lived process keeps that.
    del rows, lexical, vectors, scales
    loaded = _load(store, key, candidates=snap.candidates)
    if loaded is None:
        _CACHE[str(store.path)] = snap
        return snap
    del snap
    release_freed_memory()
    return loaded


def _candidates(rows: pa.Table) -> Candidates:
    one: dict[str, str] = {}  # a file's units share one string for its path (29,000 units, 5,000 paths)
    paths = [one.setdefault(p, p) for p in rows["path"].to_pylist()]
    return Candidates(paths, rows["name"].to_pylist(), rows["kind"].to_pylist())


def _texts(store: Store, hashes: list[str]) -> dict[str, str]:
    from vjepa_core.index.store import in_predicates

    out: dict[str, str] = {}
    for i in range(0, len(hashes), 400):
        t = store.read("units", ["hash", "text"], where=" OR ".join(in_predicates("hash", hashes[i:i + 400])))
        out.update(zip(t["hash"].to_pylist(), t["text"].to_pylist()))
    return out


def _aligned_vectors(store: Store, hashes: list[str], known: dict[str, tuple[np.ndarray, np.float32]]
                     ) -> tuple[np.ndarray, np.ndarray] | None:
    """The units' vectors aligned to `hashes`, quantized (`quantize`): the previous snapshot's rows
    as they are (`known`: hash -> its int8 row and scale), the others read from the index and
    quantized a batch at a time, so no float32 matrix of every unit is ever made (on 5,000 files
    that and its temporaries were ~110 MB of an index's peak). The same rows as quantizing
    the float32 vectors all at once. None without unit vectors."""
    from vjepa_core.index.store import UNIT_VECTORS, in_predicates
    from vjepa_core.index.vectors import has_table

    if not has_table(store, UNIT_VECTORS):
        return None
    need = sorted({h for h in hashes if h not in known})
    batches: Iterable[pa.RecordBatch] = []
    dim = len(next(iter(known.values()))[0]) if known else None
    if need:
        table = store.table(UNIT_VECTORS)
        dim = table.schema.field("vector").type.list_size
        if len(need) > len(hashes) // 2:  # most are new: the whole table, streamed
            batches = store.scan(UNIT_VECTORS, ["hash", "vector"])
        else:
            batches = [b for i in range(0, len(need), 400) for b in store.read(
                UNIT_VECTORS, ["hash", "vector"], where=" OR ".join(in_predicates("hash", need[i:i + 400]))).to_batches()]
    if dim is None:
        return None
    rows_of: dict[str, list[int]] = {}  # a text repeated in many units has one vector
    for i, h in enumerate(hashes):
        rows_of.setdefault(h, []).append(i)
    out = np.zeros((len(hashes), dim), dtype=np.int8)  # a unit without a vector: cosine 0
    scales = np.ones(len(hashes), dtype=np.float32)
    for h, (row, scale) in known.items():
        if len(row) == dim and h in rows_of:
            out[rows_of[h]], scales[rows_of[h]] = row, scale
    for batch in batches:
        values = batch.column("vector").flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
        q, qs = quantize(values)
        for h, row, scale in zip(batch.column("hash").to_pylist(), q, qs):
            if h in rows_of:
                out[rows_of[h]], scales[rows_of[h]] = row, scale
    return out, scales


def _previous(store: Store, model: str) -> tuple[dict[tuple[str, str], list[str]],
                                                 dict[str, tuple[np.ndarray, np.float32]]]:
    """((hash, name) -> terms, hash -> (int8 vector, scale)) of the last snapshot, from this process or
    from disk; the vectors only when they are of `model`."""
    snap = _CACHE.get(str(store.path))
    if snap is None:
        key = _current(store)
        snap = _load(store, key, cache=False) if key else None
    if snap is None:
        return {}, {}
    hashes = snap.rows["hash"].to_pylist()
    old_terms = dict(zip(zip(hashes, snap.rows["name"].to_pylist()), snap.rows["terms"].to_pylist()))
    vectors = {} if snap.vectors is None or snap.scales is None or snap.model != model else \
        dict(zip(hashes, zip(snap.vectors, snap.scales)))
    return old_terms, vectors


def _save(store: Store, snap: Snapshot) -> None:
    base = _folder(store)
    final = base / snap.key
    tmp = base / f".tmp-{snap.key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with ipc.new_file(tmp / _ROWS, snap.rows.schema) as w:
        w.write_table(snap.rows)
    if snap.vectors is not None and snap.scales is not None:
        np.save(tmp / _VECTORS, snap.vectors)
        np.save(tmp / _SCALES, snap.scales)
    snap.lexical.save(str(tmp / _BM25))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    write_json(base / "current.json", {"key": snap.key, "rows": snap.size, "model": snap.model})  # the commit point
    for old in base.iterdir():
        if old.is_dir() and old.name != snap.key:
            shutil.rmtree(old, ignore_errors=True)


def _load(store: Store, key: str, *, cache: bool = True, candidates: Candidates | None = None) -> Snapshot | None:
    return _load_from(_folder(store), key, str(_pointer(store).get("model") or ""), str(store.path) if cache else None,
                      candidates)


def _load_from(base: Path, key: str, model: str, cache_as: str | None,
               candidates: Candidates | None = None) -> Snapshot | None:
    folder = base / key
    try:
        # Mapped, not read: a query touches a few rows' path, name and line, and only a refresh reads
        # the terms (about 10 of 14 MB on 5,000 files never become resident). POSIX keeps a mapped
        # file readable after the refresh that replaces it removes it.
        rows = ipc.open_file(pa.memory_map(str(folder / _ROWS))).read_all()
        vectors = np.load(folder / _VECTORS) if (folder / _VECTORS).exists() else None
        scales = None
        if vectors is not None and vectors.dtype == np.int8:
            scales = np.load(folder / _SCALES)
            if scales.shape != (len(vectors),):
                return None
        elif vectors is not None:  # a snapshot written before the vectors were int8
            vectors, scales = quantize(vectors.astype(np.float32))
        lexical = LexicalIndex.load(str(folder / _BM25), rows.num_rows)
    except (OSError, ValueError, pa.ArrowInvalid):
        return None  # damaged or half-removed: the caller rebuilds it
    snap = Snapshot(key, rows, lexical, vectors, candidates or _candidates(rows), model, scales)
    if cache_as is not None:
        _CACHE[cache_as] = snap
    return snap


def forget(index_dir: Path) -> None:
    """Let go of the snapshot this process loaded for `index_dir` (after a write made it stale: the
    next query builds the new one from the copy on disk, as a fresh process would)."""
    _CACHE.pop(str(index_dir), None)
