"""The index: one embedded LanceDB database per workspace, on disk.

One place for the schema. Writes are batched (LanceDB writes a version per write) and the
store is compacted after a crawl so old versions do not pile up.

Purge: LanceDB's delete only marks rows deleted, and old versions keep every row they had, so a
removed file's text would stay in the data files. Whenever rows were removed, `purge()` writes
those tables anew and cleans up every older version at once (a kill before that is caught by the
`purge` mark in meta, and the next crawl purges).

Crash safety without transactions: a file's units are written *before* its row in `files`,
and readers only see units whose (path, file_hash) matches a row in `files`. A crawl killed
at any point therefore leaves at worst orphan units, invisible to readers, which `repair()`
deletes at the start of the next crawl.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

# Lance logs warnings such as 'No existing dataset ... it will be created' to stderr: not for users.
os.environ.setdefault("LANCEDB_LOG", "error")

import pyarrow as pa

from vjepa_core.index.lancedb_import import load_lancedb
from vjepa_core.index.locations import APP_NAME, default_index_dir  # noqa: F401 (kept importable from here)
from vjepa_core.index.lock import LOCK_FILE
from vjepa_core.index.memory import release_freed_memory, tune_allocators
from vjepa_core.messages import VjepaError

if TYPE_CHECKING:
    import lancedb

    from vjepa_core.patterns.relation import Relation

tune_allocators()  # before the first table is read or written

# LanceDB's default caches are sized for servers; an editor's index needs little. Each save writes
# new table versions, and their metadata filled the cache: at 32 MB the server grew by ~1 MB a save
# (+19 MB over 20 saves on 5,000 files), at 8 MB it stays flat, the saves as fast.
CACHE_BYTES = 8 * 1024 * 1024
SCAN_ROWS = 4096  # rows a page of `Store.scan`

SCHEMA_VERSION = 1
_BATCH_PREDICATE = 400  # paths per delete predicate
COMPACT_FRAGMENTS = 24  # compact a table once it has more fragments than this
COMPACT_VERSIONS = 16  # ... or more versions than this

FILES = pa.schema([
    ("path", pa.string()),
    ("size", pa.int64()),
    ("mtime_ns", pa.int64()),
    ("language", pa.string()),
    ("hash", pa.string()),
    ("status", pa.string()),  # "ok" or the reason it was not read (binary, too large, ...)
    ("encoding", pa.string()),
    ("n_units", pa.int32()),
    ("imports", pa.list_(pa.string())),
])
UNITS = pa.schema([
    ("path", pa.string()),
    ("file_hash", pa.string()),
    ("kind", pa.string()),
    ("name", pa.string()),
    ("start_line", pa.int32()),
    ("end_line", pa.int32()),
    ("text", pa.string()),
    ("hash", pa.string()),
])
RELATIONS = pa.schema([
    ("a", pa.string()),
    ("b", pa.string()),
    ("pattern", pa.string()),  # temporal | spatial | semantic
    ("kind", pa.string()),  # cochange, same_dir, parent, sibling, import, ...
    ("weight", pa.float32()),
    ("count", pa.int32()),
])
DIRS = pa.schema([
    ("path", pa.string()),
    ("depth", pa.int32()),
    ("n_files", pa.int32()),
    ("n_dirs", pa.int32()),
])
EVENTS = pa.schema([
    ("time_ms", pa.int64()),
    ("path", pa.string()),
    ("kind", pa.string()),  # open | save | change | close
    ("source", pa.string()),  # which editor or tool reported it
])
SECRET_SKIPS = pa.schema([  # files skipped by content screening: never their text, nor the value
    ("path", pa.string()),
    ("family", pa.string()),  # the rule that matched ("AWS access key", ...)
])
META = pa.schema([("key", pa.string()), ("value", pa.string())])
TABLES: dict[str, pa.Schema] = {
    "files": FILES, "units": UNITS, "relations": RELATIONS, "dirs": DIRS, "events": EVENTS,
    "secret_skips": SECRET_SKIPS,
}
# Derived tables that exist once a model embedded (their schemas, sized by the model, are in vectors.py).
UNIT_VECTORS = "unit_vectors"  # one row per distinct unit text hash (and "p:<path>") and model
FILE_VECTORS = "file_vectors"  # one row per file


def relations_table(relations: Sequence[Relation]) -> pa.Table:
    """Relations as rows of the RELATIONS table."""
    return pa.table({
        "a": [r.a for r in relations],
        "b": [r.b for r in relations],
        "pattern": [r.pattern for r in relations],
        "kind": [r.kind for r in relations],
        "weight": pa.array([r.weight for r in relations], type=pa.float32()),
        "count": pa.array([r.count for r in relations], type=pa.int32()),
    }, schema=RELATIONS)


def sql_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def in_predicates(column: str, values: Sequence[str]) -> Iterable[str]:
    for i in range(0, len(values), _BATCH_PREDICATE):
        chunk = values[i:i + _BATCH_PREDICATE]
        yield f"{column} IN ({', '.join(sql_quote(v) for v in chunk)})"


class Store:
    """The workspace index. Open with `Store.open(index_dir, root)`."""

    def __init__(self, db: lancedb.DBConnection, path: Path, root: Path) -> None:
        self.db = db
        self.path = path
        self.root = root
        self._tables: dict[str, lancedb.table.Table] = {}
        self._marked = False  # meta's `purge` mark is set (before the first removal, cleared by purge)
        self._removed = False  # rows were removed since the last purge
        self._deleted: set[str] = set()  # tables rows were deleted from: written anew by the purge
        self._stale: set[str] = set()  # tables written whole since: their older versions go too

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: Path | None, root: Path, *, rebuild: bool = False, create: bool = True) -> Store:
        path = Path(index_dir) if index_dir else default_index_dir(root)
        if rebuild and path.exists():
            for child in path.iterdir():  # all but the writer lock, which the rebuilding crawl holds
                if child.name == LOCK_FILE:
                    continue
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        if not create and not path.exists():
            raise FileNotFoundError(path)
        path.mkdir(parents=True, exist_ok=True)
        # here, not at the top: what only names the schema (a fit, a CLI search) stays light
        lancedb = load_lancedb()

        try:
            # read_consistency_interval=0: a long-lived handle (the server, a Workspace) always sees
            # what another handle or process wrote last, never a stale version.
            db = lancedb.connect(str(path), read_consistency_interval=timedelta(0), session=lancedb.Session(
                index_cache_size_bytes=CACHE_BYTES, metadata_cache_size_bytes=CACHE_BYTES))
            existing = set(db.list_tables().tables)
        except Exception as exc:  # a damaged folder: say so exactly
            raise VjepaError("index.unreadable", path=path, reason=exc, root=root) from exc
        store = cls(db, path, root)
        if "meta" in existing:
            meta = store.meta()
            found = meta.get("schema_version")
            if found != str(SCHEMA_VERSION):
                raise VjepaError("index.schema", path=path, found=found, expected=SCHEMA_VERSION)
            if meta.get("root") and meta["root"] != str(root):
                raise VjepaError("index.other_root", path=path, other=meta["root"], root=root)
        elif existing:
            # Tables but no meta: written by something else (or an unknown older version).
            raise VjepaError("index.schema", path=path, found="unknown", expected=SCHEMA_VERSION)
        else:
            # Meta first: a creation killed midway is completed by the next open.
            db.create_table("meta", data=pa.table(
                {"key": ["schema_version", "root"], "value": [str(SCHEMA_VERSION), str(root)]},
                schema=META))
            existing.add("meta")
        for name, schema in TABLES.items():
            if name not in existing:
                db.create_table(name, schema=schema, exist_ok=True)
        return store

    def table(self, name: str) -> lancedb.table.Table:
        if name not in self._tables:
            self._tables[name] = self.db.open_table(name)
        return self._tables[name]

    def meta(self) -> dict[str, str]:
        rows = self.table("meta").to_arrow().to_pydict()
        return dict(zip(rows["key"], rows["value"]))

    def set_meta(self, **values: str) -> None:
        data = pa.table({"key": list(values), "value": [str(v) for v in values.values()]}, schema=META)
        (self.table("meta").merge_insert("key").when_matched_update_all()
         .when_not_matched_insert_all().execute(data))

    # -- reading -------------------------------------------------------------------------
    def read(self, name: str, columns: list[str] | None = None, where: str | None = None) -> pa.Table:
        q = self.table(name).search()
        if where:
            q = q.where(where)
        if columns:
            q = q.select(columns)
        return q.limit(None).to_arrow()

    def scan(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Every row of a table at its version now, SCAN_ROWS at a time, for a reader on the caller's
        thread: one plain scan reads whole columns ahead (~36 MB for 30,000 unit vectors, in the index
        child's peak and at every save's purge); a page at a time, ~12. As a write's data only through
        `write_streamed` (read on this thread): LanceDB's writer pulling it would call into itself."""
        table = self.db.open_table(name)
        table.checkout(table.version)  # pinned: a write meanwhile (the rewrite it feeds) moves no page
        for start in range(0, table.count_rows(), SCAN_ROWS):
            q = table.search().select(columns) if columns else table.search()
            yield from q.offset(start).limit(SCAN_ROWS).to_arrow().to_batches()

    def file_rows(self) -> dict[str, dict]:
        """path -> the stored row, for incremental crawls."""
        t = self.read("files")
        return {row["path"]: row for row in t.to_pylist()}

    def visible_units(self, columns: list[str] | None = None, where: str | None = None) -> pa.Table:
        """Units of completely indexed files only: never a half-written crawl's leftovers."""
        cols = None if columns is None else sorted(set(columns) | {"path", "file_hash"})
        units = self.read("units", cols, where)
        files = self.read("files", ["path", "hash"])
        valid = {(p, h) for p, h in zip(files["path"].to_pylist(), files["hash"].to_pylist())}
        keys = zip(units["path"].to_pylist(), units["file_hash"].to_pylist())
        mask = pa.array([k in valid for k in keys], type=pa.bool_())
        return units.filter(mask)

    def secret_skips(self) -> list[tuple[str, str]]:
        """(path, rule family) of the files the last crawl skipped as holding secrets, by path."""
        t = self.read("secret_skips")
        return sorted(zip(t["path"].to_pylist(), t["family"].to_pylist()))

    def has_table(self, name: str) -> bool:
        return name in set(self.db.list_tables().tables)

    def count(self, name: str) -> int:
        return self.table(name).count_rows()

    def counts(self) -> dict[str, int]:
        return {name: self.table(name).count_rows() for name in TABLES}

    # -- writing -------------------------------------------------------------------------
    def add_units(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self.table("units").add(rows)

    def upsert_files(self, rows: pa.Table) -> None:
        if rows.num_rows:
            (self.table("files").merge_insert("path").when_matched_update_all()
             .when_not_matched_insert_all().execute(rows))

    def delete(self, name: str, predicate: str) -> int:
        """Delete rows, and remember to purge them from the files on disk (`purge`). Returns how many."""
        self._mark()
        deleted = self.table(name).delete(predicate).num_deleted_rows
        if deleted:
            self._removed = True
            self._deleted.add(name)
        return deleted

    def removing(self, *overwritten: str) -> None:
        """The caller is about to write the tables `overwritten` whole, without rows they had:
        the next `purge` must run and clean up their older versions."""
        self._mark()
        self._removed = True
        self._stale.update(overwritten)

    def _mark(self) -> None:
        """Before anything is removed, meta says a purge is due: a kill before the purge leaves
        the mark for the next crawl's `repair`."""
        if not self._marked:
            if self.meta().get("purge") != "pending":
                self.set_meta(purge="pending")
            self._marked = True

    def delete_stale_units(self, current: dict[str, str]) -> None:
        """Delete units of these paths whose file_hash is not the path's current hash."""
        clauses = [f"(path = {sql_quote(p)} AND file_hash != {sql_quote(h)})" for p, h in sorted(current.items())]
        for i in range(0, len(clauses), _BATCH_PREDICATE):
            self.delete("units", " OR ".join(clauses[i:i + _BATCH_PREDICATE]))

    def delete_paths(self, paths: Sequence[str]) -> None:
        """Delete files (their rows, units and file vectors). Relations are the caller's: derived."""
        paths = sorted(paths)
        vectors = self.has_table(FILE_VECTORS)
        for pred in in_predicates("path", paths):
            # File rows first: their units become invisible at once, then go.
            self.delete("files", pred)
            self.delete("units", pred)
            if vectors:
                self.delete(FILE_VECTORS, pred)

    def delete_orphan_vectors(self) -> int:
        """Delete the vectors of what is no longer indexed: unit vectors no visible unit and no
        indexed path needs, file vectors of files gone or no longer indexed whole. Returns how many."""
        files = self.read("files", ["path", "hash", "status"])
        ok = {p: h for p, h, s in zip(*(files[c].to_pylist() for c in ("path", "hash", "status"))) if s == "ok"}
        count = 0
        if self.has_table(UNIT_VECTORS):
            live = set(self.visible_units(["hash"])["hash"].to_pylist()) | {f"p:{p}" for p in ok}
            orphans = sorted({h for h in self.read(UNIT_VECTORS, ["hash"])["hash"].to_pylist() if h not in live})
            for pred in in_predicates("hash", orphans):
                self.delete(UNIT_VECTORS, pred)
            count += len(orphans)
        if self.has_table(FILE_VECTORS):
            vt = self.read(FILE_VECTORS, ["path"])
            gone = sorted({p for p in vt["path"].to_pylist() if p not in ok})
            for pred in in_predicates("path", gone):
                self.delete(FILE_VECTORS, pred)
            count += len(gone)
        return count

    def repair(self) -> int:
        """Delete units that no file row vouches for (left by a killed crawl). Returns how many."""
        files = self.read("files", ["path", "hash"])
        valid = {(p, h) for p, h in zip(files["path"].to_pylist(), files["hash"].to_pylist())}
        units = self.read("units", ["path", "file_hash"])
        orphans: dict[str, set[str]] = {}
        count = 0
        for p, h in zip(units["path"].to_pylist(), units["file_hash"].to_pylist()):
            if (p, h) not in valid:
                orphans.setdefault(p, set()).add(h)
                count += 1
        if orphans:
            clauses = [f"(path = {sql_quote(p)} AND file_hash IN ({', '.join(sql_quote(h) for h in hs)}))"
                       for p, hs in sorted(orphans.items())]
            for i in range(0, len(clauses), _BATCH_PREDICATE):
                self.delete("units", " OR ".join(clauses[i:i + _BATCH_PREDICATE]))
        if self.meta().get("purge") == "pending":  # a purge was cut short: redo it, every table
            self._marked = self._removed = True
            self._deleted.update(n for n in self.db.list_tables().tables if n != "meta")
        return count

    def replace(self, name: str, rows: pa.Table) -> None:
        """Swap a derived table's whole content in one write (one new version, atomic). Its older
        versions are cleaned up by the next purge, if there is one."""
        self.db.create_table(name, data=rows.cast(TABLES[name]), mode="overwrite")
        self._tables.pop(name, None)
        self._stale.add(name)

    def purge(self) -> bool:
        """When rows were removed since the last purge: drop the unit vectors no unit needs any
        more, write each table rows were deleted from anew (its live rows, one atomic write), then
        drop every older version of every table written, so no removed row stays in the files on
        disk. Returns whether it ran.

        A delete only marks rows, and compaction leaves a table whose few deleted rows sit in
        one fragment as it is; so the tables are rewritten, not compacted."""
        if self._marked and not self._removed:  # deletes that matched nothing
            self.set_meta(purge="")
            self._marked = False
        if not self._removed:
            return False
        self.delete_orphan_vectors()  # the vectors of removed units
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            present = set(self.db.list_tables().tables)
            for name in sorted(self._deleted & present - {"meta"}):
                table = self.table(name)
                # Read a page at a time on this thread and handed over (`scan`, `write_streamed`): a plain
                # scan read whole columns ahead, ~36 MB of unit vectors at every save's purge.
                write_streamed(lambda rows, n=name, schema=table.schema: self.db.create_table(
                    n, data=rows, schema=schema, mode="overwrite"), table.schema, self.scan(name))
                self._tables.pop(name, None)
            for name in sorted((self._deleted | self._stale) & present - {"meta"}):
                self.table(name).optimize(cleanup_older_than=timedelta(0))
            self.set_meta(purge="")  # only once nothing removed is left on disk
            self.table("meta").optimize(cleanup_older_than=timedelta(0))
        self._marked = self._removed = False
        self._deleted.clear()
        self._stale.clear()
        release_freed_memory()  # the rewrite streamed every row: ~20 MB a long-lived process kept till its next job
        return True

    def add_events(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self.table("events").add(rows.cast(EVENTS))

    def compact(self, *, force: bool = False) -> None:
        """Merge fragments and drop old versions once they pile up, so the index does not bloat.

        LanceDB's optimize rewrites a table (time and memory) and offers no prune-only step, so
        it runs when a table passes COMPACT_VERSIONS versions or COMPACT_FRAGMENTS fragments.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in ("meta", *TABLES):
                table = self.table(name)
                piled = (len(table.list_versions()) > COMPACT_VERSIONS
                         or table.stats()["fragment_stats"]["num_fragments"] > COMPACT_FRAGMENTS)
                if force or piled:
                    table.optimize(cleanup_older_than=timedelta(0))

    def disk_bytes(self) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.path):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(dirpath, f))
                except OSError:
                    pass
        return total


def write_streamed(write: Callable[[pa.RecordBatchReader], object], schema: pa.Schema,
                   batches: Iterator[pa.RecordBatch]) -> None:
    """One write of `batches`, made on this thread and written as they come: LanceDB pulls a
    reader from its own threads, so the batches are made here and handed over two at a time (MLX
    encodes only on the thread that owns its stream; a `scan`'s pages call LanceDB, which its own
    writer thread must not). If making them fails, the write is aborted: nothing of it lands."""
    handoff: queue.Queue[pa.RecordBatch | BaseException | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def rows() -> Iterator[pa.RecordBatch]:
        while (item := handoff.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def run() -> None:
        try:
            write(pa.RecordBatchReader.from_batches(schema, rows()))
        except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
            failure.append(exc)
            while True:  # drain, so the producer never waits on a writer that is gone
                try:
                    handoff.get_nowait()
                except queue.Empty:
                    break

    writer = threading.Thread(target=run, name="vjepa-index-writer", daemon=True)
    writer.start()

    def put(item: pa.RecordBatch | BaseException | None) -> None:
        while writer.is_alive():
            try:
                handoff.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    try:
        for batch in batches:
            if failure:
                break
            put(batch)
    except BaseException:
        put(RuntimeError("the batches to write failed; nothing was written"))
        writer.join()
        raise
    put(None)
    writer.join()
    if failure:
        raise failure[0]
