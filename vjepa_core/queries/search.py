"""Hybrid search over code units: the lexical score plus, when a model exists, the query's cosine
to the unit vectors; each hit says which side ranked it and where."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vjepa_core.queries.hits import Hit
from vjepa_core.queries.lexical import LexicalIndex

if TYPE_CHECKING:  # the search benchmark takes MODEL_WEIGHT from here without loading LanceDB
    from vjepa_core.index.store import Store
    from vjepa_core.model.encoder.checkpoint import Checkpoint

# Weight of the model beside the lexical score in the product: the shipped model is small
# (CPU-trained for minutes), so it nudges the lexical ranking rather than overruling it.
MODEL_WEIGHT = 0.25

# Lexical indexes kept between searches, per index folder, until the units table changes.
_LEXICAL: dict[str, tuple[int, LexicalIndex]] = {}


def _lexical_index(store: Store, texts: list[str], names: list[str]) -> LexicalIndex:
    key, version = str(store.path), store.table("units").version
    cached = _LEXICAL.get(key)
    if cached is None or cached[0] != version or cached[1].size != len(texts):
        _LEXICAL[key] = (version, LexicalIndex(list(zip(texts, names))))
    return _LEXICAL[key][1]


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9)


def search(store: Store, ckpt: Checkpoint | None, query: str, k: int = 10) -> list[Hit]:
    """Hybrid search over code units: the lexical score (stemmed identifier words, names boosted)
    plus, when a model exists, the query's cosine to the unit vectors, standardised and added with
    the weight the search benchmark measures (docs/BENCHMARKS.md)."""
    from vjepa_core.index.vectors import UNIT_VECTORS, has_table, vector_matrix
    from vjepa_core.model.encoder.embedding import embed_queries

    units = store.visible_units(["path", "name", "start_line", "hash", "text"])
    paths, names, lines, hashes, texts = (units[c].to_pylist() for c in ("path", "name", "start_line", "hash", "text"))
    if not paths:
        return []
    lex = _lexical_index(store, texts, names).scores(query)
    parts = {"text": _z(lex) if lex.any() else np.zeros(len(paths))}
    raw = {"text": lex}
    if ckpt is not None and has_table(store, UNIT_VECTORS):
        vt = store.read(UNIT_VECTORS, ["hash", "vector"])
        row_of = {h: i for i, h in enumerate(vt["hash"].to_pylist())}
        sims = vector_matrix(vt["vector"]) @ embed_queries(ckpt, [query])[0]
        sem = np.array([sims[row_of[h]] if h in row_of else -1.0 for h in hashes], dtype=np.float32)
        parts["semantic"] = MODEL_WEIGHT * _z(sem)
        raw["semantic"] = sem
    total = sum(parts.values())
    hits = []
    for i in np.argsort(-total, kind="stable")[:k]:
        i = int(i)
        if not lex[i] and "semantic" not in parts:
            break  # nothing matched the words and there is no model: no evidence left
        by = {m: int(np.sum(v > v[i])) for m, v in raw.items() if m == "semantic" or v[i] > 0}
        reason = max(parts, key=lambda m: parts[m][i])
        detail = " and ".join(f"{m} rank {r + 1}" for m, r in sorted(by.items(), key=lambda kv: kv[1]))
        hits.append(Hit(paths[i], float(total[i]), reason, detail, names[i], lines[i]))
    return hits
