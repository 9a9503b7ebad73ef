"""`vjepa crawl`: walk -> read -> screen -> parse -> relate -> store, incrementally.

Only files whose size or mtime changed are read again, and only those whose content hash
changed are parsed again. Writes are batched; the index is compacted at the end, and whenever
rows were removed (a file deleted, changed, excluded or now holding a secret) it is purged, so
the old text is gone from the files on disk too (`Store.purge`).
"""

from __future__ import annotations

import os
import posixpath
import stat
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from vjepa_core.harvest.allow import ALLOW_FILE, AllowRules
from vjepa_core.harvest.history import GitError, head_sha
from vjepa_core.harvest.languages import language_for
from vjepa_core.harvest.safety import IgnoreRules, check_root, denied_location
from vjepa_core.harvest.secrets import find_secret
from vjepa_core.harvest.units import CodeUnit, extract
from vjepa_core.harvest.walk import DEFAULT_MAX_BYTES, SKIP_SECRET, FileEntry, WalkResult, read_text, walk
from vjepa_core.index.lock import Holder, writer_lock
from vjepa_core.index.memory import release_freed_memory
from vjepa_core.index.store import (
    DIRS,
    FILES,
    SECRET_SKIPS,
    UNITS,
    Store,
    default_index_dir,
    in_predicates,
    relations_table,
    sql_quote,
)
from vjepa_core.messages import Voice, text
from vjepa_core.patterns.spatial import import_relations, spatial
from vjepa_core.patterns.temporal import temporal

# Files per write batch: bigger batches mean fewer LanceDB versions; tunable for tests and tiny machines.
FLUSH_FILES = int(os.environ.get("VJEPA_CRAWL_BATCH", "500"))
FLUSH_UNITS = 10_000  # bounds the memory a batch holds

ProgressFn = Callable[[int, int, str], None]


@dataclass
class Outcome:
    """What reading one file gave."""

    entry: FileEntry
    hash: str
    status: str  # "ok", "unchanged" or a skip reason
    language: str | None = None
    encoding: str = "utf-8"
    units: list[CodeUnit] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    parse_error: str | None = None
    kept_units: int = 0  # unit count of an unchanged file (its units stay as they are)
    secret: str | None = None  # the rule family that matched, for a file skipped as a secret


def process_file(entry: FileEntry, known_hash: str | None, max_bytes: int = DEFAULT_MAX_BYTES, *,
                 screen: bool = True, rescreen: bool = False) -> Outcome:
    """Read, screen and parse one file. `screen`: False for a file .vjepaallow lists; `rescreen`:
    screen it even when its content is unchanged (it was indexed under an allow rule now gone)."""
    read = read_text(entry, max_bytes)
    if read.text is None:
        return Outcome(entry, read.hash, read.skip or "unreadable")
    unchanged = known_hash is not None and read.hash == known_hash
    if unchanged and not rescreen:
        return Outcome(entry, read.hash, "unchanged", encoding=read.encoding)
    # Screen before anything derived from the content exists.
    family = find_secret(read.text) if screen else None
    if family:
        return Outcome(entry, "", SKIP_SECRET, secret=family)
    if unchanged:
        return Outcome(entry, read.hash, "unchanged", encoding=read.encoding)
    language = language_for(entry.rel)
    parsed = extract(entry.rel, read.text, language)
    return Outcome(entry, read.hash, "ok", language, read.encoding, parsed.units, parsed.imports, parsed.error)


@dataclass
class CrawlReport:
    root: str
    index_dir: str
    files_seen: int = 0
    files_indexed: int = 0  # files with text in the index after this crawl
    units: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    repaired: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_paths: list[tuple[str, str]] = field(default_factory=list)
    secret_skips: list[tuple[str, str]] = field(default_factory=list)  # (path, rule family), never the value
    purged: bool = False  # rows were removed, and the index files were written anew without them
    parse_errors: list[tuple[str, str]] = field(default_factory=list)
    relations: Counter[str] = field(default_factory=Counter)  # "pattern/kind" -> count
    languages: Counter[str] = field(default_factory=Counter)
    extensions: Counter[str] = field(default_factory=Counter)
    commits: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def relations_total(self) -> int:
        return sum(self.relations.values())

    def by_pattern(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for key, n in self.relations.items():
            out[key.split("/")[0]] += n
        return out


class _Batch:
    """Accumulates rows and writes them in the crash-safe order: units, then file rows.

    Writes run on one background thread (LanceDB's Rust side releases the GIL), overlapping
    with parsing the next batch; at most one batch is in flight, so memory stays bounded.
    """

    def __init__(self, store: Store, pool: ThreadPoolExecutor | None = None) -> None:
        self.store = store
        self.pool = pool
        self.pending: Future[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.units: dict[str, list] = {name: [] for name in UNITS.names}
        self.files: dict[str, list] = {name: [] for name in FILES.names}
        self.current: dict[str, str] = {}  # path -> hash, for previously known paths that changed
        self.n_files = 0

    def add(self, o: Outcome, previously_known: bool) -> None:
        e = o.entry
        for u in o.units:
            self.units["path"].append(u.path)
            self.units["file_hash"].append(o.hash)
            self.units["kind"].append(u.kind)
            self.units["name"].append(u.name)
            self.units["start_line"].append(u.start_line)
            self.units["end_line"].append(u.end_line)
            self.units["text"].append(u.text)
            self.units["hash"].append(u.hash)
        status = "ok" if o.status == "unchanged" else o.status
        row = {"path": e.rel, "size": e.size, "mtime_ns": e.mtime_ns, "language": o.language,
               "hash": o.hash, "status": status, "encoding": o.encoding, "n_units": len(o.units) or o.kept_units,
               "imports": o.imports}
        for k, v in row.items():
            self.files[k].append(v)
        if previously_known and o.status != "unchanged":
            self.current[e.rel] = o.hash
        self.n_files += 1

    def full(self) -> bool:
        return self.n_files >= FLUSH_FILES or len(self.units["path"]) >= FLUSH_UNITS

    def flush(self) -> None:
        if not self.n_files:
            return
        units, files = pa.table(self.units, schema=UNITS), pa.table(self.files, schema=FILES)
        current = self.current
        self._reset()
        self.wait()
        if self.pool is None:
            self._write(units, files, current)
        else:
            self.pending = self.pool.submit(self._write, units, files, current)

    def _write(self, units: pa.Table, files: pa.Table, current: dict[str, str]) -> None:
        self.store.add_units(units)
        self.store.upsert_files(files)
        self.store.delete_stale_units(current)
        del units, files
        release_freed_memory()

    def wait(self) -> None:
        """Block until the batch in flight is written; re-raises its error, if any."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()


def _unchanged_row(known: dict, entry: FileEntry) -> Outcome:
    return Outcome(entry, known["hash"], "unchanged", known["language"], known["encoding"] or "utf-8",
                   imports=list(known["imports"] or []), kept_units=known["n_units"])


def crawl(
    root: str | os.PathLike[str],
    index_dir: str | os.PathLike[str] | None = None,
    *,
    voice: Voice | None = None,
    progress: ProgressFn | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_home: bool = False,
    allow_system: bool = False,
    rebuild: bool = False,
    history: bool = True,
    exclude: tuple[str, ...] | list[str] = (),
) -> CrawlReport:
    """Index `root` into `index_dir` (default: the per-user folder), incrementally. One writer per
    index: when another crawl (or an editor's save) is writing it, this one says so and waits."""
    voice = voice or Voice(quiet=True)
    root_path = check_root(root, allow_home=allow_home, allow_system=allow_system)
    index_path = Path(index_dir) if index_dir else default_index_dir(root_path)
    with writer_lock(index_path, "crawl", waiting_voice(voice)):
        return _crawl(root_path, index_path, voice, progress, max_bytes, rebuild, history, exclude)


def waiting_voice(voice: Voice | None) -> Callable[[Holder | None], None]:
    """What a writer says when it has to wait for the index's writer lock (nothing without a voice)."""
    def say(who: Holder | None) -> None:
        if voice is None:
            return
        if who is None:
            voice.warn("index.waiting_unknown")
        else:
            voice.warn("index.waiting", job=who.job, pid=who.pid, since=who.since or "a moment ago")
    return say


def _crawl(root_path: Path, index_path: Path, voice: Voice, progress: ProgressFn | None, max_bytes: int,
           rebuild: bool, history: bool, exclude: tuple[str, ...] | list[str]) -> CrawlReport:
    started = time.perf_counter()
    store = Store.open(index_path, root_path, rebuild=rebuild)
    report = CrawlReport(str(root_path), str(store.path))
    voice.say("crawl.start", root=root_path)

    report.repaired = store.repair()
    if report.repaired:
        voice.say("crawl.repair", count=report.repaired)

    # The index may live inside the workspace (an editor's indexDir setting): never crawl it.
    own = [f"/{store.path.resolve().relative_to(root_path).as_posix()}/"] \
        if root_path in store.path.resolve().parents else []
    walked: WalkResult = walk(root_path, IgnoreRules(root_path, [*exclude, *own]))
    report.files_seen = len(walked.files)
    report.skipped.update(walked.skipped)
    report.skipped_paths.extend(walked.skipped_paths)
    voice.say("crawl.walk", files=len(walked.files))

    known = store.file_rows()
    allow = AllowRules.read(root_path)
    meta = store.meta()
    screen_again: set[str] = set()  # files the previous allow file listed and this one does not
    if meta.get("allow", "") != allow.text:
        before = AllowRules(meta.get("allow", "").splitlines())
        screen_again = {p for p in known if before.allowed(p) and not allow.allowed(p)}
    # Racy-clean guard (as git does): a file modified within a second of the previous crawl may
    # have changed again with the same size and mtime, so only older mtimes are trusted.
    trust_before = int(meta.get("crawl_started_ns", "0")) - 1_000_000_000
    crawl_started_ns = time.time_ns()
    seen = {e.rel for e in walked.files}
    gone = set(known) - seen
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vjepa-writer") as pool:
        batch = _Batch(store, pool)
        _read_all(walked, known, batch, report, gone, max_bytes, progress, trust_before, allow, screen_again)
        batch.flush()
        batch.wait()

    if gone:
        store.delete_paths(sorted(gone))
    report.deleted = len(gone)

    # Relations are derived from the whole index and replaced in one write.
    files = store.read("files", ["path", "status", "language", "imports", "n_units"])
    ok_paths: list[str] = []
    imports: dict[str, tuple[str | None, list[str]]] = {}
    for path, status, language, imps, n_units in zip(*(files[c].to_pylist() for c in files.column_names)):
        ext = posixpath.splitext(path)[1].lower() or "(none)"
        report.extensions[ext] += 1
        if status != "ok":
            continue
        ok_paths.append(path)
        report.languages[language or "text"] += 1
        report.units += n_units
        if imps:
            imports[path] = (language, imps)
    report.files_indexed = len(ok_paths)
    relations = spatial(ok_paths, imports)
    if history:
        try:
            cochange, report.commits = temporal(root_path, set(ok_paths))
            if report.commits:
                voice.say("crawl.history", commits=report.commits)
            else:  # said, and kept in the summary: `next` and co-change need a history
                report.warnings.append(text("crawl.no_history", root=root_path))
                voice.warn("crawl.no_history", root=root_path)
            relations += cochange
        except GitError as exc:
            report.warnings.append(str(exc))
            voice.warn("git.failed", reason=exc)
    for r in relations:
        report.relations[f"{r.pattern}/{r.kind}"] += 1
    store.replace("relations", relations_table(relations))
    store.replace("dirs", _skeleton(walked, seen))
    report.secret_skips.sort()
    if report.secret_skips != store.secret_skips():  # a write only when the list changed
        store.replace("secret_skips", pa.table({"path": [p for p, _ in report.secret_skips],
                                                "family": [f for _, f in report.secret_skips]}, schema=SECRET_SKIPS))

    store.set_meta(last_crawl=time.strftime("%Y-%m-%d %H:%M:%S"), commits=str(report.commits),
                   crawl_started_ns=str(crawl_started_ns), head=head_sha(root_path) if history else "",
                   allow=allow.text)
    voice.say("crawl.compact")
    report.purged = store.purge()
    store.compact()
    if report.secret_skips:
        voice.say("crawl.secrets", count=len(report.secret_skips), allow=ALLOW_FILE)
    report.seconds = time.perf_counter() - started
    voice.say("crawl.done", files=report.files_indexed, units=report.units, relations=report.relations_total)
    return report


@dataclass
class UpdateReport:
    """What `update_files` did: the files it re-read, and every file whose relations it changed."""

    changed: list[str] = field(default_factory=list)  # content changed (re-parsed, units replaced)
    unchanged: list[str] = field(default_factory=list)  # same content (size/mtime refreshed)
    touched: set[str] = field(default_factory=set)  # changed files and both ends of changed relations
    seconds: float = 0.0


def _entry_for(root: Path, rules: IgnoreRules, rel: str) -> FileEntry | None:
    """The walk's verdict on one path, without walking: None when the walk would not list it
    (denied, ignored at any level, a symlink, not a regular file, gone). Only names are checked
    before the one lstat."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or ".." in parts or rules.excluded(rel):
        return None
    path = os.path.join(str(root), *parts)
    if denied_location(Path(path)):
        return None
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return FileEntry(rel, path, st.st_size, st.st_mtime_ns)


def update_files(root: str | os.PathLike[str], index_dir: str | os.PathLike[str] | None, paths: list[str], *,
                 max_bytes: int = DEFAULT_MAX_BYTES, allow_home: bool = False, allow_system: bool = False,
                 exclude: tuple[str, ...] | list[str] = (), store: Store | None = None,
                 purge: bool = True) -> UpdateReport | None:
    """Bring a few known files up to date without walking the workspace (an editor's save).

    Handles what a save does: files already indexed whose content changed (or did not). Anything
    else changes the set of indexed files, the folder skeleton or the history: a new, deleted,
    newly ignored or newly unreadable file, a file now holding a secret, or a new commit. Then it
    writes nothing and returns None, and the caller runs a full (incremental) `crawl`.
    Import relations of the changed files are replaced; the other relations depend only on the set
    of files and the history, which did not change. `store`: an open handle on the same index.
    `purge`: False when the caller purges itself, once, after more writes (`Workspace.update_files`).
    """
    root_path = check_root(root, allow_home=allow_home, allow_system=allow_system)
    store = store or Store.open(Path(index_dir) if index_dir else None, root_path)
    with writer_lock(store.path, "save"):
        return _update_files(root_path, store, paths, max_bytes, exclude, purge)


def _update_files(root_path: Path, store: Store, paths: list[str], max_bytes: int,
                  exclude: tuple[str, ...] | list[str], purge: bool) -> UpdateReport | None:
    started = time.perf_counter()
    meta = store.meta()
    if "head" not in meta or meta["head"] != head_sha(root_path):
        return None  # never crawled whole by this version, or the history moved
    if any(posixpath.basename(p) in (".gitignore", ".vjepaignore", ALLOW_FILE) for p in paths):
        return None  # the rules changed: what is indexed may change anywhere
    own = [f"/{store.path.resolve().relative_to(root_path).as_posix()}/"] \
        if root_path in store.path.resolve().parents else []
    rules = IgnoreRules(root_path, [*exclude, *own])
    allow = AllowRules.read(root_path)
    wanted = sorted(set(paths))
    known = {r["path"]: r for pred in in_predicates("path", wanted)
             for r in store.read("files", where=pred).to_pylist()}
    outcomes: list[tuple[Outcome, dict]] = []
    for path in sorted(set(paths)):
        k = known.get(path)
        entry = _entry_for(root_path, rules, path)
        if k is None or k["status"] != "ok" or entry is None:
            return None
        o = process_file(entry, k["hash"], max_bytes, screen=not allow.allowed(path))
        if o.status not in ("ok", "unchanged") or o.parse_error:
            return None
        outcomes.append((o, k))
    report = UpdateReport()
    batch = _Batch(store)
    changed_imports: dict[str, tuple[str | None, list[str]]] = {}
    for o, k in outcomes:
        if o.status == "unchanged":
            batch.add(_unchanged_row(k, o.entry), previously_known=True)
            report.unchanged.append(o.entry.rel)
            continue
        batch.add(o, previously_known=True)
        report.changed.append(o.entry.rel)
        if sorted(o.imports) != sorted(k["imports"] or []) or o.language != k["language"]:
            changed_imports[o.entry.rel] = (o.language, o.imports)
    batch.flush()
    report.touched.update(report.changed)
    if changed_imports:
        files = store.read("files", ["path"], where="status = 'ok'")
        ok = frozenset(files["path"].to_pylist())
        listed = ", ".join(sql_quote(p) for p in sorted(changed_imports))
        stale = f"pattern = 'spatial' AND kind = 'import' AND a IN ({listed})"
        report.touched.update(store.read("relations", ["b"], where=stale)["b"].to_pylist())
        new = import_relations(ok, changed_imports)
        report.touched.update(r.b for r in new)
        # Two small writes, not a rewrite of every relation. A kill between them loses these
        # imports until the next full crawl (every start of the server runs one).
        store.delete("relations", stale)
        if new:
            store.table("relations").add(relations_table(new))
    if purge:
        store.purge()  # the saved files' old units: gone from the files on disk too
    report.seconds = time.perf_counter() - started
    return report


def _read_all(walked: WalkResult, known: dict[str, dict], batch: _Batch, report: CrawlReport, gone: set[str],
              max_bytes: int, progress: ProgressFn | None, trust_before: int, allow: AllowRules,
              screen_again: set[str]) -> None:
    """Read, screen and parse every walked file that changed, feeding the batch writer."""
    total = len(walked.files)
    for i, entry in enumerate(walked.files):
        k = known.get(entry.rel)
        rescreen = entry.rel in screen_again
        if (k and k["status"] == "ok" and k["size"] == entry.size and k["mtime_ns"] == entry.mtime_ns
                and entry.mtime_ns < trust_before and not rescreen):
            report.unchanged += 1
        else:
            o = process_file(entry, k["hash"] if k and k["status"] == "ok" else None, max_bytes,
                             screen=not allow.allowed(entry.rel), rescreen=rescreen)
            if o.status == "unchanged":
                report.unchanged += 1
                batch.add(_unchanged_row(k, entry), previously_known=True)  # refresh size/mtime only
            elif k and o.status not in ("ok", SKIP_SECRET) and o.status == k["status"] and o.hash == k["hash"]:
                # Skipped as before (binary, too large, ...), and no different: not a change.
                report.unchanged += 1
                report.skipped[o.status] += 1
                report.skipped_paths.append((entry.rel, o.status))
                if (k["size"], k["mtime_ns"]) != (entry.size, entry.mtime_ns):
                    batch.add(o, previously_known=False)  # refresh size/mtime only
            elif o.status == SKIP_SECRET:
                # Only its path and the rule's family are kept; if an older clean version was stored, it goes now.
                report.skipped[SKIP_SECRET] += 1
                report.secret_skips.append((entry.rel, o.secret or "secret"))
                if k:
                    gone.add(entry.rel)
            else:
                if o.status != "ok":
                    report.skipped[o.status] += 1
                    report.skipped_paths.append((entry.rel, o.status))
                if o.parse_error:
                    report.parse_errors.append((entry.rel, o.parse_error))
                if k:
                    report.changed += 1
                else:
                    report.new += 1
                batch.add(o, previously_known=bool(k and k["n_units"]))  # units to replace
            if batch.full():
                batch.flush()
        if progress:
            progress(i + 1, total, entry.rel)


def _skeleton(walked: WalkResult, files: set[str]) -> pa.Table:
    n_files: Counter[str] = Counter(posixpath.dirname(p) for p in files)
    n_dirs: Counter[str] = Counter(posixpath.dirname(d) for d in walked.dirs if d)
    dirs = sorted(walked.dirs)
    return pa.table({
        "path": dirs,
        "depth": [d.count("/") + 1 if d else 0 for d in dirs],
        "n_files": [n_files[d] for d in dirs],
        "n_dirs": [n_dirs[d] for d in dirs],
    }, schema=DIRS)
