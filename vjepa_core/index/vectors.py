"""Unit and file vectors in the store, incrementally, and the semantic relations drawn from them.

Vectors live in two derived tables beside the index: `unit_vectors` (one row per distinct unit
text hash and model) and `file_vectors` (one row per file); their names are in store.py with the
rest of the schema. Only units whose hash has no vector
for the active model are encoded, so a re-crawl that changed one function re-embeds one unit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
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
    """Bring unit vectors, file vectors and semantic relations up to date for model `key`."""
    report = EmbedReport()
    dim = model_dim(ckpt)
    units = store.visible_units(["path", "hash", "text"])
    paths, hashes = (units[c].to_pylist() for c in ("path", "hash"))
    text_col = units["text"]  # stays Arrow: only the texts to embed become Python strings, a slice at a time

    files = store.read("files", ["path", "hash", "status"])
    ok = [(p, fh) for p, fh, s in zip(*(files[c].to_pylist() for c in ("path", "hash", "status"))) if s == "ok"]
    # What needs a vector: every distinct unit text (its row), and every file's path as words (keyed "p:").
    wanted: dict[str, int | str] = {h: i for i, h in enumerate(hashes)}
    wanted.update({f"p:{p}": path_text(p) for p, _ in ok})

    have: dict[str, np.ndarray] = {}
    if has_table(store, UNIT_VECTORS):
        old = store.read(UNIT_VECTORS, where=f"model = {sql_quote(key)}")
        if old.num_rows and old.schema.field("vector").type.list_size == dim:
            have = dict(zip(old["hash"].to_pylist(), vector_matrix(old["vector"])))
    todo = {k: t for k, t in wanted.items() if k not in have}
    report.units_reused = sum(1 for k in wanted if k in have and not k.startswith("p:"))
    if todo:
        keys = list(todo)
        for start in range(0, len(keys), EMBED_SLICE):
            chunk = keys[start:start + EMBED_SLICE]
            rows = [todo[k] for k in chunk]
            taken = iter(text_col.take(pa.array([r for r in rows if isinstance(r, int)], pa.int64())).to_pylist())
            texts = [r if isinstance(r, str) else next(taken) for r in rows]
            have.update(zip(chunk, embed_units(ckpt, texts, batch_size)))
            del texts
        report.units_embedded = sum(1 for k in todo if not k.startswith("p:"))
    del units, text_col, todo
    release_freed_memory()  # the tokenizer's and MLX's scratch, before the tables are built
    # Keep only the vectors still wanted (one write, atomic); vectors dropped now leave the disk too.
    live = sorted(wanted)
    if any(k not in wanted for k in have):
        store.removing(UNIT_VECTORS, FILE_VECTORS)
    if live:
        schema = _vector_schema(dim, [("hash", pa.string())])

        def batches() -> Iterator[pa.RecordBatch]:  # streamed: the whole table never sits in memory
            for start in range(0, len(live), EMBED_SLICE):
                keys = live[start:start + EMBED_SLICE]
                matrix = np.stack([have[k] for k in keys]).astype(np.float32, copy=False)
                yield pa.RecordBatch.from_arrays(
                    [pa.array(keys, pa.string()), pa.array([key] * len(keys), pa.string()),
                     pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), dim)], schema=schema)

        store.db.create_table(UNIT_VECTORS, data=pa.RecordBatchReader.from_batches(schema, batches()),
                              mode="overwrite")

    # File frames: the mean of a file's unit vectors plus its path, normalised.
    by_file: dict[str, list[np.ndarray]] = defaultdict(list)
    for p, h in zip(paths, hashes):
        by_file[p].append(have[h])
    if ok:
        frames = np.zeros((len(ok), dim), dtype=np.float32)
        for i, (p, _) in enumerate(ok):
            unit_mean = np.mean(by_file[p], axis=0) if by_file.get(p) else np.zeros(dim, np.float32)
            v = unit_mean + PATH_WEIGHT * have[f"p:{p}"]
            frames[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        del have, by_file  # written: from here the frames are all it needs (5,000 files: ~40 MB less at its peak)
        store.db.create_table(FILE_VECTORS, data=pa.table({
            "path": [p for p, _ in ok], "file_hash": [h for _, h in ok], "model": [key] * len(ok),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(frames.reshape(-1)), dim)},
            schema=_vector_schema(dim, [("path", pa.string()), ("file_hash", pa.string())])), mode="overwrite")
        report.files = len(ok)
        report.semantic_relations = _semantic_relations(store, [p for p, _ in ok], frames)
    # No LanceDB full-text index: search's full-text side is lexical.py (BM25 over stemmed
    # identifier words), which ranked better; building an index nobody read cost time and memory.
    store.set_meta(model=key)
    store.purge()
    return report


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
        vecs = embed_units(ckpt, [wanted[h] for h in todo])
        have.update(zip(todo, vecs))
        store.table(UNIT_VECTORS).add(pa.table(
            {"hash": todo, "model": [key] * len(todo),
             "vector": pa.FixedSizeListArray.from_arrays(pa.array(vecs.astype(np.float32).reshape(-1)), dim)},
            schema=_vector_schema(dim, [("hash", pa.string())])))

    files = store.read("files", ["path", "hash", "status"], where=in_paths)
    file_hash = {p: h for p, h, st in zip(*(files[c].to_pylist() for c in ("path", "hash", "status"))) if st == "ok"}
    by_file: dict[str, list[np.ndarray]] = defaultdict(list)
    for p, h in zip(units["path"].to_pylist(), units["hash"].to_pylist()):
        by_file[p].append(have[h])
    new_frames: dict[str, np.ndarray] = {}
    for p in paths:
        if p not in file_hash:
            continue
        unit_mean = np.mean(by_file[p], axis=0) if by_file.get(p) else np.zeros(dim, np.float32)
        v = unit_mean + PATH_WEIGHT * have[f"p:{p}"]
        new_frames[p] = (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)
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
