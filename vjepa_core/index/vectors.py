"""Unit and file vectors in the store, incrementally, and the semantic relations drawn from them.

Vectors live in two derived tables beside the index: `unit_vectors` (one row per distinct unit
text hash and model) and `file_vectors` (one row per file); their names are in store.py with the
rest of the schema. Only units whose hash has no vector
for the active model are encoded, so a re-crawl that changed one function re-embeds one unit.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from vjepa_core.index.memory import release_freed_memory
from vjepa_core.index.store import (
    FILE_VECTORS,
    UNIT_VECTORS,
    Store,
    in_predicates,
    relations_table,
    sql_quote,
    write_streamed,
)
from vjepa_core.model.encoder.encode import embed_units, model_dim
from vjepa_core.model.encoder.static import CONFIG_NAME
from vjepa_core.patterns.semantic import rows_to_recompute, semantic, top_neighbours

if TYPE_CHECKING:
    from vjepa_core.model.encoder.encode import UnitModel

EMBED_SLICE = 2048  # texts tokenised and encoded at a time (bounds the peak memory)
PATH_WEIGHT = 0.5  # how much a file's path counts in its frame vector, beside its units


# config.json settings that change a unit's vector without changing the weights file, at their
# "no effect" values (a config without them, or with these, keys by its weights alone, as before)
POOLING = {"head_weight": 1.0, "position_tau": 0.0}


def model_key(checkpoint_dir: Path) -> str:
    """Identifies a model by its weights' digest and the settings that shape a unit's vector, so
    vectors of another model (or of the same weights pooled otherwise) are never mixed in."""
    path = Path(checkpoint_dir) / CONFIG_NAME
    st = path.stat()
    return _model_key(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _model_key(path: str, mtime_ns: int, size: int) -> str:  # the config holds the tokenizer: slow to parse
    config = json.loads(Path(path).read_text(encoding="utf-8"))
    pooling = {k: float(config.get(k, v)) for k, v in POOLING.items()}
    if pooling == POOLING:
        return str(config["weights_sha256"])[:16]
    import hashlib

    text = json.dumps({"weights": config["weights_sha256"], **pooling}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def path_text(path: str) -> str:
    """'src/pkg/http_client.py' -> 'src pkg http client py': a path as words for the encoder."""
    return " ".join(path.replace("/", " ").replace("_", " ").replace(".", " ").replace("-", " ").split())


@dataclass
class EmbedReport:
    units_embedded: int = 0
    units_reused: int = 0
    files: int = 0
    semantic_relations: int = 0


def _vector_schema(dim: int, key_fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema([*key_fields, ("model", pa.string()), ("vector", pa.list_(pa.float32(), dim))])


def vector_matrix(column: pa.ChunkedArray) -> np.ndarray:
    """A fixed-size-list column as a float32 [N, D] matrix of its own (one copy of the values,
    not the two that combining the chunks and then converting took)."""
    dim = column.type.list_size
    parts = [chunk.flatten().to_numpy(zero_copy_only=False) for chunk in column.chunks]
    flat = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return flat.astype(np.float32, copy=False).reshape(-1, dim)


def has_table(store: Store, name: str) -> bool:
    """Whether the store holds table `name` (the vector tables exist only once a model embedded)."""
    return store.has_table(name)


def embed_index(store: Store, ckpt: UnitModel, key: str, *, batch_size: int | None = None) -> EmbedReport:
    """Bring unit vectors, file vectors and semantic relations up to date for model `key`.

    Streamed: unit texts are read, encoded and written a slice at a time, and each file's frame
    is summed as its unit vectors pass, so the peak holds one slice of vectors and the files'
    sums, never every unit's text and vector (5,000 files: ~40 MB less). Vectors already stored
    for this model are kept where they are; the table is rewritten only when some must go."""
    report = EmbedReport()
    dim = model_dim(ckpt)
    units = store.visible_units(["path", "hash"])
    files = store.read("files", ["path", "hash", "status"])
    ok = [(p, fh) for p, fh, s in zip(*(files[c].to_pylist() for c in ("path", "hash", "status"))) if s == "ok"]
    frames = _FrameSums([p for p, _ in ok], dim)
    for p, h in zip(units["path"].to_pylist(), units["hash"].to_pylist()):
        frames.member(h, p)
    valid = {(p, fh) for p, fh in zip(files["path"].to_pylist(), files["hash"].to_pylist())}
    del units, files
    # What needs a vector: every distinct unit text, and every file's path as words (keyed "p:").
    wanted = set(frames.members) | {f"p:{p}" for p, _ in ok}
    stored, stale = _stored_keys(store, key, dim, wanted)
    todo_units = frames.members.keys() - stored
    todo_paths = [p for p, _ in ok if f"p:{p}" not in stored]
    report.units_reused = len(frames.members) - len(todo_units)
    report.units_embedded = len(todo_units)
    schema = _vector_schema(dim, [("hash", pa.string())])

    def new_rows() -> Iterator[pa.RecordBatch]:  # encoded here, on this thread (MLX's streams are per thread)
        for keys, texts in _texts_to_embed(store, todo_units, valid, todo_paths):
            matrix = embed_units(ckpt, texts, batch_size).astype(np.float32, copy=False)
            frames.add(keys, matrix)
            yield _vector_batch(keys, key, matrix, schema)

    def kept_rows() -> Iterator[pa.RecordBatch]:
        seen: set[str] = set()
        for batch in store.scan(UNIT_VECTORS, ["hash", "model", "vector"]):
            hashes, models = batch.column(0).to_pylist(), batch.column(1).to_pylist()
            take = [i for i, (h, m) in enumerate(zip(hashes, models)) if m == key and h in wanted and h not in seen]
            if take:
                keys = [hashes[i] for i in take]
                seen.update(keys)
                matrix = vector_matrix(pa.chunked_array([batch.column(2).take(pa.array(take, pa.int64()))]))
                frames.add(keys, matrix)
                yield _vector_batch(keys, key, matrix, schema)

    if stale:  # vectors no unit needs (or another model's) go: the table anew, one atomic write
        store.removing(UNIT_VECTORS, FILE_VECTORS)
        # The old version is read as the new one is written (the new becomes visible at its commit).
        write_streamed(lambda rows: store.db.create_table(UNIT_VECTORS, data=rows, mode="overwrite"),
                       schema, itertools.chain(kept_rows(), new_rows()))
    else:
        if stored:
            for _ in kept_rows():  # sums only: those rows stay as they are
                pass
        if todo_units or todo_paths:  # appended to the rows kept, or the table's first rows
            add = store.table(UNIT_VECTORS).add if stored else \
                (lambda rows: store.db.create_table(UNIT_VECTORS, data=rows, mode="overwrite"))
            write_streamed(add, schema, new_rows())
    release_freed_memory()  # the tokenizer's and MLX's scratch, before the tables are built

    if ok:
        matrix = frames.frames()
        del frames  # from here the frames are all it needs
        store.db.create_table(FILE_VECTORS, data=pa.table({
            "path": [p for p, _ in ok], "file_hash": [h for _, h in ok], "model": [key] * len(ok),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), dim)},
            schema=_vector_schema(dim, [("path", pa.string()), ("file_hash", pa.string())])), mode="overwrite")
        report.files = len(ok)
        report.semantic_relations = _semantic_relations(store, [p for p, _ in ok], matrix)
    # No LanceDB full-text index: search's full-text side is lexical.py (BM25 over stemmed
    # identifier words), which ranked better; building an index nobody read cost time and memory.
    store.set_meta(model=key)
    store.purge()
    return report


class _FrameSums:
    """Each file's frame, summed as unit vectors pass: the mean of its units' vectors (a text the
    file holds twice counts twice) plus PATH_WEIGHT times its path's vector, normalised."""

    def __init__(self, paths: list[str], dim: int) -> None:
        self.row = {p: i for i, p in enumerate(paths)}
        self.members: dict[str, list[int]] = {}  # unit text hash -> the rows of the files holding it
        self.sums = np.zeros((len(paths), dim), np.float64)
        self.counts = np.zeros(len(paths), np.int64)
        self.path_vectors = np.zeros((len(paths), dim), np.float32)

    def member(self, unit_hash: str, path: str) -> None:
        i = self.row.get(path)
        rows = self.members.setdefault(unit_hash, [])
        if i is not None:
            rows.append(i)
            self.counts[i] += 1

    def add(self, keys: list[str], matrix: np.ndarray) -> None:
        for k, v in zip(keys, matrix):
            if k.startswith("p:"):
                i = self.row.get(k[2:])
                if i is not None:
                    self.path_vectors[i] = v
            else:
                for i in self.members.get(k, ()):
                    self.sums[i] += v

    def frames(self) -> np.ndarray:
        means = self.sums / np.maximum(self.counts, 1)[:, None]
        v = (means + PATH_WEIGHT * self.path_vectors).astype(np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1), 1e-12)[:, None]


def _stored_keys(store: Store, key: str, dim: int, wanted: set[str]) -> tuple[set[str], bool]:
    """The wanted keys already stored for model `key`, and whether any stored row must go (not
    wanted any more, another model's, a duplicate). A table of another width goes as a whole."""
    if not has_table(store, UNIT_VECTORS):
        return set(), False
    if store.table(UNIT_VECTORS).schema.field("vector").type.list_size != dim:
        return set(), True
    t = store.read(UNIT_VECTORS, ["hash", "model"])
    stored: set[str] = set()
    stale = False
    for h, m in zip(t["hash"].to_pylist(), t["model"].to_pylist()):
        if m != key or h not in wanted or h in stored:
            stale = True
        else:
            stored.add(h)
    return stored, stale


def _texts_to_embed(store: Store, unit_hashes: Iterable[str], valid: set[tuple[str, str]],
                    paths: list[str]) -> Iterator[tuple[list[str], list[str]]]:
    """(keys, texts) in slices of EMBED_SLICE: the units' texts read from the table a batch at a
    time (a unit of a half-written file is not read), then the paths as words."""
    need = set(unit_hashes)
    keys: list[str] = []
    texts: list[str] = []
    if need:
        cols = ["path", "file_hash", "hash", "text"]
        for batch in store.scan("units", cols):
            p, fh, h = (batch.column(c).to_pylist() for c in cols[:3])
            take = [i for i in range(len(h)) if h[i] in need and (p[i], fh[i]) in valid]
            if not take:
                continue
            chosen = batch.column(3).take(pa.array(take, pa.int64())).to_pylist()
            for i, text in zip(take, chosen):
                if h[i] in need:  # two units of one text: the first is read
                    need.discard(h[i])
                    keys.append(h[i])
                    texts.append(text)
                    if len(keys) >= EMBED_SLICE:
                        yield keys, texts
                        keys, texts = [], []
    for p in paths:
        keys.append(f"p:{p}")
        texts.append(path_text(p))
        if len(keys) >= EMBED_SLICE:
            yield keys, texts
            keys, texts = [], []
    if keys:
        yield keys, texts


def _vector_batch(keys: list[str], key: str, matrix: np.ndarray, schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array(keys, pa.string()), pa.array([key] * len(keys), pa.string()),
         pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), matrix.shape[1])], schema=schema)


def _semantic_relations(store: Store, paths: list[str], frames: np.ndarray) -> int:
    """Top neighbours by cosine as relations of pattern 'semantic' (the others are kept)."""
    top = top_neighbours(frames, np.arange(len(paths)))
    names = pa.array(paths, pa.string())
    n = len(top)
    rels = pa.table({  # as columns: 25k Relation objects cost ~40 MB of peak on 5,000 files
        "a": names.take(pa.array([a for a, _, _ in top], pa.int64())),
        "b": names.take(pa.array([b for _, b, _ in top], pa.int64())),
        "pattern": pa.array(["semantic"] * n, pa.string()), "kind": pa.array(["similar"] * n, pa.string()),
        "weight": pa.array([w for _, _, w in top], pa.float32()), "count": pa.array([1] * n, pa.int32())})
    del top
    others = store.read("relations", where="pattern != 'semantic'")
    store.replace("relations", pa.concat_tables([others, rels.cast(others.schema)]))
    return n


def embed_files(store: Store, ckpt: UnitModel, key: str, paths: list[str], *,
                purge: bool = True) -> set[str] | None:
    """After `crawl.update_files` changed `paths`: their unit vectors, file vectors and the semantic
    relations that depend on them, without reading or rewriting the rest. Returns the files whose
    relations changed (`paths` included), or None when there is nothing to update from (no vectors
    of this model yet): then `embed_index` does the whole job.

    Exact, not approximate: a file's neighbour row is recomputed when the changed file was among its
    neighbours or now beats its weakest one."""
    if store.meta().get("model") != key or not (has_table(store, UNIT_VECTORS) and has_table(store, FILE_VECTORS)):
        return None
    paths = sorted(set(paths))
    if not paths:
        return set()
    dim = model_dim(ckpt)
    in_paths = " OR ".join(in_predicates("path", paths))
    units = store.visible_units(["path", "hash", "text"], where=in_paths)
    wanted: dict[str, str] = dict(zip(units["hash"].to_pylist(), units["text"].to_pylist()))
    wanted.update({f"p:{p}": path_text(p) for p in paths})
    keys = sorted(wanted)
    have: dict[str, np.ndarray] = {}
    for i in range(0, len(keys), 400):
        found = store.read(UNIT_VECTORS, ["hash", "vector"], where=f"model = {sql_quote(key)} AND hash IN "
                           f"({', '.join(sql_quote(h) for h in keys[i:i + 400])})")
        if found.num_rows:
            have.update(zip(found["hash"].to_pylist(), vector_matrix(found["vector"])))
    todo = [h for h in keys if h not in have]
    if todo:
        vecs = embed_units(ckpt, [wanted[h] for h in todo]).astype(np.float32, copy=False)
        have.update(zip(todo, vecs))
        batch = _vector_batch(todo, key, vecs, _vector_schema(dim, [("hash", pa.string())]))
        store.table(UNIT_VECTORS).add(pa.Table.from_batches([batch]))

    files = store.read("files", ["path", "hash", "status"], where=in_paths)
    file_hash = {p: h for p, h, st in zip(*(files[c].to_pylist() for c in ("path", "hash", "status"))) if st == "ok"}
    ok_paths = [p for p in paths if p in file_hash]
    sums = _FrameSums(ok_paths, dim)  # the frames as embed_index makes them
    for p, h in zip(units["path"].to_pylist(), units["hash"].to_pylist()):
        sums.member(h, p)
    sums.add(list(have), np.stack(list(have.values())))  # `have` holds every saved file's path vector
    new_frames: dict[str, np.ndarray] = dict(zip(ok_paths, sums.frames()))
    store.delete(FILE_VECTORS, in_paths)
    if new_frames:
        store.table(FILE_VECTORS).add(pa.table({
            "path": list(new_frames), "file_hash": [file_hash[p] for p in new_frames], "model": [key] * len(new_frames),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(np.stack(list(new_frames.values())).reshape(-1)), dim)},
            schema=_vector_schema(dim, [("path", pa.string()), ("file_hash", pa.string())])))

    # Semantic rows to recompute: the changed files', and every row the changed files enter or leave.
    vt = store.read(FILE_VECTORS, ["path", "vector"])
    all_paths = vt["path"].to_pylist()
    frames = vector_matrix(vt["vector"])
    index = {p: i for i, p in enumerate(all_paths)}
    sem = store.read("relations", ["a", "b", "weight"], where="pattern = 'semantic'")
    row_of: defaultdict[str, list[tuple[str, float]]] = defaultdict(list)
    for a, b, w in zip(*(sem[c].to_pylist() for c in ("a", "b", "weight"))):
        row_of[a].append((b, w))
    redo = rows_to_recompute(frames, index, row_of, new_frames)
    redo |= {p for p in paths if p not in index}  # gone from the vectors: its row goes too
    rows = np.array(sorted(index[p] for p in redo if p in index), dtype=np.int64)
    fresh = semantic(all_paths, frames, rows)
    touched = set(paths) | redo
    for x in redo:
        touched.update(b for b, _ in row_of.get(x, []))
    touched.update(r.b for r in fresh)
    # Delete the recomputed rows, add them anew: two small writes (a kill between them loses these
    # rows until the next full embed, which every start of the server runs).
    listed = sorted(redo)
    for i in range(0, len(listed), 400):
        store.delete("relations", f"pattern = 'semantic' AND a IN ({', '.join(sql_quote(p) for p in listed[i:i + 400])})")
    if fresh:
        store.table("relations").add(relations_table(fresh))
    if purge:  # False: the caller purges once, after all its writes
        store.purge()  # the old rows leave the files on disk
    return touched


def file_vectors(store: Store) -> dict[str, np.ndarray]:
    if not has_table(store, FILE_VECTORS):
        return {}
    t = store.read(FILE_VECTORS, ["path", "vector"])
    return dict(zip(t["path"].to_pylist(), vector_matrix(t["vector"]))) if t.num_rows else {}
