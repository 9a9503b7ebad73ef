"""The lexical half of search: BM25 over stemmed identifier parts, with the unit's name boosted.

Code says `get_netrc_auth`, people ask for "netrc authentication": identifiers are split on case,
underscores and digits, English stop words dropped, and every word stemmed (Snowball, through PyStemmer), so query
and code meet on "auth". A unit's own name says most about it, so its words count `NAME_BOOST`
times (a cheap BM25F). Measured on the search benchmark (docs/BENCHMARKS.md): on requests' src/
plain identifier BM25 scores MRR@10 0.488, stemming 0.518, stemming with the name boost 0.594.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import ModuleType

import numpy as np
import Stemmer

from vjepa_core.paths import identifier_words


def _bm25s_on_numpy() -> ModuleType:
    """bm25s, imported so that it indexes with NumPy. It imports scipy.sparse whenever it can (~20 MB
    and ~0.5 s of every process that searches: the server, `vjepa search`), yet builds the same
    index without it (its `csc_backend="numpy"`: the same scores, to the last bit). Where scipy is
    loaded already, it is used as it is."""
    if "bm25s" in sys.modules or "scipy.sparse" in sys.modules:
        import bm25s
    else:
        sys.modules["scipy.sparse"] = None  # type: ignore[assignment] # its import fails at once
        try:
            import bm25s
        finally:
            if sys.modules.get("scipy.sparse", ...) is None:
                del sys.modules["scipy.sparse"]
    return bm25s


bm25s = _bm25s_on_numpy()
STOPWORDS_EN = bm25s.stopwords.STOPWORDS_EN

NAME_BOOST = 2

_STOPWORDS = frozenset(STOPWORDS_EN)
_STEMMER = Stemmer.Stemmer("english")  # PyStemmer: Snowball in C, the same stems as the pure-Python one


def words(text: str) -> list[str]:
    """Identifier-split words less English stop words (bm25s' list)."""
    return [w for w in identifier_words(text) if w not in _STOPWORDS]


_STEMS: dict[str, str] = {}  # word -> stem: code repeats its words


def _stem(ws: list[str]) -> list[str]:
    stems = _STEMS
    if len(stems) > 200_000:
        stems.clear()
    new = [w for w in set(ws) if w not in stems]
    if new:
        stems.update(zip(new, _STEMMER.stemWords(new)))
    return [stems[w] for w in ws]


def terms(text: str, name: str = "") -> list[str]:
    """The index terms of a unit: stemmed words of its text, its name's words `NAME_BOOST` more times."""
    return _stem(words(text) + NAME_BOOST * words(name))


def query_terms(query: str) -> list[str]:
    return _stem(words(query))


class LexicalIndex:
    """BM25 over `terms`, for a fixed list of documents (text, name)."""

    def __init__(self, docs: Sequence[tuple[str, str]] = (), *, doc_terms: Sequence[list[str]] | None = None,
                 index: bm25s.BM25 | None = None, size: int | None = None) -> None:
        """From documents, or from their `terms` already worked out, or from a loaded bm25s index."""
        if index is not None:
            self._index, self.size = index, int(size or 0)
            return
        listed = list(doc_terms) if doc_terms is not None else [terms(t, n) for t, n in docs]
        self.size = len(listed)
        self._index = bm25s.BM25(csc_backend="numpy")
        # An empty document would break the index; "_" never matches a query term.
        self._index.index([d or ["_"] for d in listed] or [["_"]], show_progress=False)

    def save(self, directory: str) -> None:
        self._index.save(directory, show_progress=False)

    @classmethod
    def load(cls, directory: str, size: int) -> LexicalIndex:
        return cls(index=bm25s.BM25.load(directory, mmap=False, show_progress=False), size=size)

    def scores(self, query: str) -> np.ndarray:
        """[N] BM25 scores of every document for `query` (zeros when no term is known)."""
        q = query_terms(query)
        if not q or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._index.get_scores(q), dtype=np.float32)[: self.size]
