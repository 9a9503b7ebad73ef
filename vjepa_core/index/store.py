"""The index: one embedded LanceDB database per workspace, on disk.

One place for the schema. Writes are batched (LanceDB writes a version per write) and the
store is compacted after a crawl so old versions do not pile up.

Crash safety without transactions: a file's units are written *before* its row in `files`,
and readers only see units whose (path, file_hash) matches a row in `files`. A crawl killed
at any point therefore leaves at worst orphan units, invisible to readers, which `repair()`
deletes at the start of the next crawl.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

# Lance logs warnings such as 'No existing dataset ... it will be created' to stderr: not for users.
os.environ.setdefault("LANCEDB_LOG", "error")

import lancedb
import platformdirs
import pyarrow as pa

from vjepa_core.index.memory import tune_allocators
from vjepa_core.messages import VjepaError

if TYPE_CHECKING:
    from vjepa_core.patterns.relation import Relation

tune_allocators()  # before the first table is read or written

# LanceDB's default caches are sized for servers; an editor's index needs little.
CACHE_BYTES = 32 * 1024 * 1024

SCHEMA_VERSION = 1
APP_NAME = "vjepa-swarm"
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
META = pa.schema([("key", pa.string()), ("value", pa.string())])
TABLES: dict[str, pa.Schema] = {
    "files": FILES, "units": UNITS, "relations": RELATIONS, "dirs": DIRS, "events": EVENTS,
}


def default_index_dir(root: Path) -> Path:
    """<user data dir>/workspaces/<name>-<hash of the absolute root>."""
    digest = hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()
    return Path(platformdirs.user_data_dir(APP_NAME)) / "workspaces" / f"{root.name or 'root'}-{digest}"


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

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: Path | None, root: Path, *, rebuild: bool = False, create: bool = True) -> Store:
        path = Path(index_dir) if index_dir else default_index_dir(root)
        if rebuild and path.exists():
            shutil.rmtree(path)
        if not create and not path.exists():
            raise FileNotFoundError(path)
        path.mkdir(parents=True, exist_ok=True)
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

    def delete_stale_units(self, current: dict[str, str]) -> None:
        """Delete units of these paths whose file_hash is not the path's current hash."""
        clauses = [f"(path = {sql_quote(p)} AND file_hash != {sql_quote(h)})" for p, h in sorted(current.items())]
        for i in range(0, len(clauses), _BATCH_PREDICATE):
            self.table("units").delete(" OR ".join(clauses[i:i + _BATCH_PREDICATE]))

    def delete_paths(self, paths: Sequence[str]) -> None:
        paths = sorted(paths)
        for pred in in_predicates("path", paths):
            # File rows first: their units become invisible at once, then go.
            self.table("files").delete(pred)
            self.table("units").delete(pred)

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
                self.table("units").delete(" OR ".join(clauses[i:i + _BATCH_PREDICATE]))
        return count

    def replace(self, name: str, rows: pa.Table) -> None:
        """Swap a derived table's whole content in one write (one new version, atomic)."""
        self.db.create_table(name, data=rows.cast(TABLES[name]), mode="overwrite")
        self._tables.pop(name, None)

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
