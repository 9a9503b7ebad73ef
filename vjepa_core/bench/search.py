"""Semantic-search benchmark (shared/BENCHMARKS.md section 2): docstring -> code.

Each Python function or method whose docstring's first sentence has at least three words
gives a query (that sentence) and a target (the function with its docstring removed). Every
function in the tree, docstrings removed, is a candidate. The index never sees the target
docstrings. The baseline is BM25 over identifier-split tokens, computed in the same run.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from vjepa_core.harvest.safety import IgnoreRules, check_root
from vjepa_core.harvest.units import extract
from vjepa_core.harvest.walk import read_text, walk
from vjepa_core.queries.lexical import LexicalIndex, words
from vjepa_core.queries.ranking import MODEL_WEIGHT, Candidates, rank

_SENTENCE_END = re.compile(r"\.(\s|$)|\n\s*\n")


def bm25_tokens(text: str) -> list[str]:
    """Identifier-split tokens less English stop words (bm25s' list): the stronger baseline."""
    return words(text)


@dataclass(frozen=True, slots=True)
class Function:
    path: str
    name: str
    code: str  # the function with its docstring removed
    query: str | None  # first sentence of its docstring, when it has >= 3 words


def first_sentence(docstring: str) -> str:
    text = docstring.strip()
    m = _SENTENCE_END.search(text)
    sentence = text[: m.start()] if m else text
    return " ".join(sentence.split())


def strip_docstring(code: str) -> tuple[str, str | None]:
    """(code without its docstring, the docstring) for one function's source text."""
    dedented = textwrap.dedent(code)
    try:
        tree = ast.parse(dedented)
    except SyntaxError:
        return code, None
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None or not fn.body:
        return code, None
    first = fn.body[0]
    doc = ast.get_docstring(fn, clean=True)
    if doc is None or not isinstance(first, ast.Expr):
        return code, None
    lines = dedented.splitlines()
    start, end = first.lineno - 1, (first.end_lineno or first.lineno)
    kept = lines[:start] + lines[end:]
    return "\n".join(kept), doc


def collect_functions(root: Path) -> list[Function]:
    """Every Python function and method under `root`, read through the same safe walk as a crawl."""
    rootp = check_root(root, allow_home=True, allow_system=True)
    out: list[Function] = []
    for entry in walk(rootp, IgnoreRules(rootp)).files:
        if not entry.rel.endswith(".py"):
            continue
        read = read_text(entry)
        if read.text is None:
            continue
        for unit in extract(entry.rel, read.text, "python").units:
            if unit.kind not in ("function", "method"):
                continue
            code, doc = strip_docstring(unit.text)
            query = None
            if doc:
                sentence = first_sentence(doc)
                if len(sentence.split()) >= 3:
                    query = sentence
            out.append(Function(entry.rel, unit.name, code, query))
    return out


def metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """MRR@10, hit@1 and hit@10 from 0-based ranks of the target (None: not retrieved)."""
    n = max(len(ranks), 1)
    return {
        "mrr@10": sum(1.0 / (r + 1) for r in ranks if r is not None and r < 10) / n,
        "hit@1": sum(1 for r in ranks if r is not None and r < 1) / n,
        "hit@10": sum(1 for r in ranks if r is not None and r < 10) / n,
    }


def bm25_scores(functions: Sequence[Function], queries: Sequence[str]) -> np.ndarray:
    """[Q, N] BM25 scores of every candidate for every query, over identifier-split tokens."""
    # An empty document would break the index; "_" never matches a query token.
    corpus = [bm25_tokens(f.code) or ["_"] for f in functions]
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return np.stack([index.get_scores(bm25_tokens(q)) for q in queries]) if queries else \
        np.zeros((0, len(functions)))


def ranks_from_scores(scores: np.ndarray, targets: Sequence[int]) -> list[int | None]:
    out: list[int | None] = []
    for row, t in zip(scores, targets):
        # Rank = how many candidates score strictly higher (ties resolved in the target's favour
        # would flatter; count ties ahead of it by index order instead).
        higher = int(np.sum(row > row[t])) + int(np.sum(row[:t] == row[t]))
        out.append(higher)
    return out


Scorer = Callable[[Sequence[Function], Sequence[str]], np.ndarray]


def bench_search(root: Path, scorers: dict[str, Scorer] | None = None) -> dict:
    """Run the protocol; `scorers` adds methods (name -> [Q, N] scores) beside BM25."""
    functions = collect_functions(root)
    targets = [i for i, f in enumerate(functions) if f.query]
    queries = [functions[i].query or "" for i in targets]
    methods: dict[str, dict[str, float]] = {}
    all_scorers: dict[str, Scorer] = {"bm25": bm25_scores, **(scorers or {})}
    for name, scorer in all_scorers.items():
        scores = scorer(functions, queries)
        methods[name] = metrics(ranks_from_scores(scores, targets))
    return {"root": str(root), "queries": len(queries), "candidates": len(functions), "methods": methods}


def lexical_scores(functions: Sequence[Function], queries: Sequence[str]) -> np.ndarray:
    """[Q, N] the product's lexical half (vjepa_core.queries.lexical: stemmed words, the name boosted)."""
    index = LexicalIndex([(f.code, f.name) for f in functions])
    return np.stack([index.scores(q) for q in queries]) if queries else np.zeros((0, len(functions)))


def model_scorers(checkpoint_dir: Path, model_weight: float = MODEL_WEIGHT) -> dict[str, Scorer]:
    """`model` (query -> code vectors, cosine), `product` (what `vjepa search` ranks by: lexical,
    the model and the ranking features, queries/ranking.py) and `lexical` (its lexical half alone)."""
    from vjepa_core.model.encoder.encode import embed_queries, embed_units, load_model

    ckpt = load_model(checkpoint_dir)
    cache: dict[str, np.ndarray] = {}

    def model(functions: Sequence[Function], queries: Sequence[str]) -> np.ndarray:
        if "model" not in cache:
            code = embed_units(ckpt, [f.code for f in functions])
            cache["model"] = embed_queries(ckpt, list(queries)) @ code.T
        return cache["model"]

    def lexical(functions: Sequence[Function], queries: Sequence[str]) -> np.ndarray:
        if "lexical" not in cache:
            cache["lexical"] = lexical_scores(functions, queries)
        return cache["lexical"]

    def product(functions: Sequence[Function], queries: Sequence[str]) -> np.ndarray:
        cands = Candidates([f.path for f in functions], [f.name for f in functions], ["function"] * len(functions))
        lex, sem = lexical(functions, queries), model(functions, queries)
        return np.stack([rank(q, cands, lex[i], sem[i], model_weight) for i, q in enumerate(queries)]) \
            if queries else np.zeros((0, len(functions)))

    return {"model": model, "product": product, "lexical": lexical}


def bench_search_cli(root: Path, checkpoint_dir: Path | None) -> dict:
    from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR

    model_dir = checkpoint_dir or DEFAULT_MODEL_DIR
    scorers = model_scorers(model_dir) if (Path(model_dir) / "config.json").exists() else {}
    result = bench_search(root, scorers)
    result["model"] = str(model_dir) if scorers else None
    return result
