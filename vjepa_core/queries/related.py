"""Questions the index answers: related files and hybrid semantic search, each with its reason."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from vjepa_core.index.store import Store, sql_quote
from vjepa_core.index.vectors import UNIT_VECTORS, _existing, _matrix
from vjepa_core.model.encoder.checkpoint import Checkpoint
from vjepa_core.queries.lexical import LexicalIndex

# How much each relation kind counts towards "related". Co-change confidence is in [0, 1];
# semantic weights are cosines; spatial weights are set by relations.py.
KIND_WEIGHT = {
    "cochange": 2.0, "import": 1.0, "sibling": 0.8, "parent": 0.3, "same_dir": 0.5, "similar": 1.0,
}
# Symmetric kinds are stored once per pair; directional ones (cochange) once per direction.
SYMMETRIC = {"same_dir", "sibling", "parent", "import", "similar"}

@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    score: float
    reason: str  # "temporal", "spatial" or "semantic": the pattern that contributed most
    detail: str  # in words, e.g. "changed together in 12 commits"
    name: str = ""
    line: int = 0


def _detail(kind: str, weight: float, count: int) -> str:
    return {
        "cochange": f"changed together in {count} commit{'s' if count != 1 else ''} ({weight:.0%} of its changes)",
        "import": "imports or is imported by it",
        "sibling": "name twin in another folder",
        "parent": "head file of its package",
        "same_dir": "in the same folder",
        "similar": f"similar content (cosine {weight:.2f})",
    }.get(kind, kind)


def related(store: Store, path: str, k: int = 10) -> list[Hit]:
    """Files related to `path` by any pattern, best first, each with its strongest reason."""
    q = sql_quote(path)
    rows = store.read("relations", where=f"a = {q} OR b = {q}").to_pylist()
    return _rank_related(path, rows, k)


def related_many(store: Store, paths: list[str] | None = None, k: int = 10) -> dict[str, list[Hit]]:
    """`related` for many files (default: every indexed file) from one read of the relations."""
    wanted = set(paths) if paths is not None else None
    rows_of: dict[str, list[dict]] = defaultdict(list)
    where = None
    if wanted is not None and len(wanted) <= 2000:  # a few files: read only their relations
        listed = ", ".join(sql_quote(p) for p in sorted(wanted))
        where = f"a IN ({listed}) OR b IN ({listed})" if wanted else "false"
    for r in store.read("relations", where=where).to_pylist():
        for end in (r["a"], r["b"]):
            if wanted is None or end in wanted:
                rows_of[end].append(r)
    keys = wanted if wanted is not None else set(rows_of)
    return {p: _rank_related(p, rows_of.get(p, []), k) for p in keys}


def _rank_related(path: str, rows: list[dict], k: int) -> list[Hit]:
    score: dict[str, float] = defaultdict(float)
    best: dict[str, tuple[float, str, str]] = {}
    for r in rows:
        if r["a"] == path:
            other = r["b"]
        elif r["kind"] in SYMMETRIC:
            other = r["a"]
        else:
            continue  # the other direction of a directional relation is stored separately
        # Confidence alone would rank a file changed once with `path` as high as one changed 50 times.
        support = 1.0 + float(np.log1p(r["count"])) if r["kind"] == "cochange" else 1.0
        contribution = KIND_WEIGHT.get(r["kind"], 0.5) * float(r["weight"]) * support
        score[other] += contribution
        if contribution > best.get(other, (-1.0, "", ""))[0]:
            best[other] = (contribution, r["pattern"], _detail(r["kind"], float(r["weight"]), int(r["count"])))
    ranked = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(p, s, best[p][1], best[p][2]) for p, s in ranked]


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
    from vjepa_core.bench.search import MODEL_WEIGHT
    from vjepa_core.model.encoder.jepa import embed_queries

    units = store.visible_units(["path", "name", "start_line", "hash", "text"])
    paths, names, lines, hashes, texts = (units[c].to_pylist() for c in ("path", "name", "start_line", "hash", "text"))
    if not paths:
        return []
    lex = _lexical_index(store, texts, names).scores(query)
    parts = {"text": _z(lex) if lex.any() else np.zeros(len(paths))}
    raw = {"text": lex}
    if ckpt is not None and _existing(store, UNIT_VECTORS):
        vt = store.read(UNIT_VECTORS, ["hash", "vector"])
        row_of = {h: i for i, h in enumerate(vt["hash"].to_pylist())}
        sims = _matrix(vt["vector"]) @ embed_queries(ckpt, [query])[0]
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
