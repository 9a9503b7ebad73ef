"""Related files: the files you will want with a file. The learned ranker behind the Next lens ranks
them when a fit exists (co-change with lineage and recency, imports, name twins, folders, content
similarity, the editor's sessions, the temporal model: `NextFilePredictor.rank` with no session);
before the first fit, and without history, every pattern's relations are weighed and summed.
Each hit says its strongest reason."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from vjepa_core.patterns.relation import describe
from vjepa_core.queries.hits import Hit

if TYPE_CHECKING:
    import pyarrow as pa

    from vjepa_core.index.store import Store
    from vjepa_core.model.nextfile.features import Links
    from vjepa_core.model.nextfile.runtime import NextFilePredictor

# How much each relation kind counts towards "related". Co-change confidence is in [0, 1];
# semantic weights are cosines; spatial weights are set by relations.py.
KIND_WEIGHT = {
    "cochange": 2.0, "import": 1.0, "sibling": 0.8, "parent": 0.3, "same_dir": 0.5, "similar": 1.0,
}
# Symmetric kinds are stored once per pair; directional ones (cochange) once per direction.
SYMMETRIC = {"same_dir", "sibling", "parent", "import", "similar"}


def _quoted(paths: Iterable[str]) -> str:
    """The paths as SQL string literals, sorted and comma-separated (the store's own quoting,
    imported here: the lens fit's process uses this module without pyarrow)."""
    from vjepa_core.index.store import sql_quote

    return ", ".join(sql_quote(p) for p in sorted(paths))


def related(store: Store, path: str, k: int = 10, predictor: NextFilePredictor | None = None,
            alive: set[str] | None = None) -> list[Hit]:
    """Files related to `path`, best first, each with its strongest reason: from the fitted
    `predictor` when given (over `alive`, the indexed files), else from the relations."""
    if predictor is not None and predictor.fitted is not None and alive is not None and path in alive:
        return [Hit(p, s, pattern, words) for p, s, pattern, words in predictor.rank([], path, alive - {path}, k)]
    q = _quoted([path])
    rows = store.read("relations", where=f"a = {q} OR b = {q}").to_pylist()
    return _rank_related(path, rows, k)


def related_many(store: Store, paths: list[str] | None = None, k: int = 10,
                 predictor: NextFilePredictor | None = None, alive: set[str] | None = None) -> dict[str, list[Hit]]:
    """`related` for many files (default: every indexed file) from one read of the relations, or
    from the fitted `predictor` over `alive`."""
    if predictor is not None and predictor.fitted is not None and alive is not None:
        return {p: related(store, p, k, predictor, alive) for p in (sorted(alive) if paths is None else paths)}
    wanted = set(paths) if paths is not None else None
    rows_of: dict[str, list[dict]] = defaultdict(list)
    where = None
    if wanted is not None and len(wanted) <= 2000:  # a few files: read only their relations
        listed = _quoted(wanted)
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
            best[other] = (contribution, r["pattern"], describe(r["kind"], float(r["weight"]), int(r["count"])))
    ranked = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(p, s, best[p][1], best[p][2]) for p, s in ranked]


def content_links(store: Store, paths: list[str] | None = None) -> Links:
    """What the index knows of the files' content, for the ranker: file -> other file ->
    (imports it or is imported by it: 1/0, the encoder's cosine when the two are similar, else 0).
    With `paths`, only the links that touch them (a save's)."""
    where = "kind IN ('import', 'similar')"
    if paths is not None:
        listed = _quoted(paths)
        where += f" AND (a IN ({listed}) OR b IN ({listed}))" if paths else " AND false"
    return links_from_rows(store.read("relations", ["a", "b", "kind", "weight"], where=where))


def links_from_rows(rows: pa.Table | Mapping[str, list]) -> Links:
    """`content_links` from import and similarity relation rows (columns a, b, kind, weight; an
    Arrow table, or lists as the links file gives them to the lens fit: index/links.py), both ways."""
    out: defaultdict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    columns = (rows[c] for c in ("a", "b", "kind", "weight"))
    for a, b, kind, w in zip(*(c if isinstance(c, list) else c.to_pylist() for c in columns)):
        for x, y in ((a, b), (b, a)):
            imp, sim = out[x].get(y, (0.0, 0.0))
            out[x][y] = (1.0, sim) if kind == "import" else (imp, max(sim, float(w)))
    return dict(out)


def relink(links: dict[str, dict[str, tuple[float, float]]], store: Store, paths: list[str]) -> set[str]:
    """Bring `links` up to date for the saved `paths` in place (their links both ways); returns
    the files linked to them before or after (whose Related lens may now say otherwise)."""
    fresh = content_links(store, paths)
    saved = set(paths)
    partners = {g for p in saved for g in links.get(p, {})} | {g for p in saved for g in fresh.get(p, {})}
    for p in saved:
        for g in links.pop(p, {}):
            links.get(g, {}).pop(p, None)
    for x, others in fresh.items():
        for y, link in others.items():
            if x in saved or y in saved:
                links.setdefault(x, {})[y] = link
    return partners - saved
