"""How search ranks code units: the features a code searcher needs, beside BM25 and the encoder.

One function, `rank`, used by the product's search and by both search benchmarks (so what is
measured is what users get). Scores are standardised per query and added:
- the lexical score (BM25 over stemmed identifier words, names boosted: lexical.py);
- the encoder's cosine between query and unit, `MODEL_WEIGHT` times;
- names: a query that is a bare identifier ("Session", "Client.send", "url_for()") is looking for a
  definition. A unit whose name is the query gets `EXACT_NAME`, a method whose own name is it gets
  less, and a unit whose name merely contains it less again, so the class beats its methods
  for its own name. A query that spells a name in words ("read the settings") counts nearly as
  much; a longer sentence gets a small bonus for units whose name words it contains;
- the unit's file: tests, docs and examples step back for a behaviour question (`AUX_PENALTY`) unless
  the query asks for them; module-level blocks and text windows step back a little (`BLOCK_PENALTY`);
- the file's evidence: each unit gains `FILE_WEIGHT` times the best score of the other units of its
  file, so an answer spread over a file ranks with its file.
The weights were picked on held-out material: the docstring -> code benchmark on flask's src/ and
a development query set over this project's own code (tests/data/nl_queries/dev), never on the
query sets that docs/BENCHMARKS.md reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from vjepa_core.paths import identifier_words, is_test_path
from vjepa_core.queries.lexical import words as content_words

MODEL_WEIGHT = 1.5
# In standard deviations of the other features. A bare identifier asks for its definition: an exact
# match outranks any amount of word overlap (a single rare word gives BM25 z-scores of 10 and more).
EXACT_NAME = 20.0
MEMBER_NAME = 10.0  # `Session.send` for the query "send"
PARTIAL_NAME = 2.0  # `SessionRedirectMixin` for "Session"
CASE_BONUS = 10.0  # the exact name in the query's own letter case: identifiers are case-sensitive, so `session` is another name than `Session`
SPELLED_NAME = 4.0  # a query that is a name's words and nothing else
SENTENCE_NAME = 0.5  # a sentence that contains all of a name's words
AUX_PENALTY = 1.5  # tests, docs, examples, benchmarks
BLOCK_PENALTY = 0.25  # module-level blocks, windows and markdown sections
FILE_WEIGHT = 0.3

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|#)[A-Za-z_$][\w$]*)*(?:\(\))?")
_DEFINITION_KINDS = frozenset({"function", "method", "class", "struct", "enum", "interface", "trait", "impl",
                               "type", "constructor"})
_AUX_DIRS = frozenset({"docs", "doc", "examples", "example", "benchmarks", "bench", "samples", "scripts"})
_AUX_WORDS = frozenset({"test", "tests", "testing", "example", "examples", "doc", "docs", "documentation",
                        "benchmark", "fixture", "fixtures"})


class Candidates:
    """What ranking knows of each unit (aligned rows), with the per-unit facts worked out once."""

    def __init__(self, paths: Sequence[str], names: Sequence[str], kinds: Sequence[str]) -> None:
        self.paths, self.names, self.kinds = list(paths), list(names), list(kinds)
        self.lower_names = [n.lower() for n in self.names]
        self._name_words: list[frozenset[str]] | None = None
        self._postings: dict[str, list[int]] | None = None  # name word -> the units whose name has it
        self._joined: tuple[str, np.ndarray, np.ndarray] | None = None
        self.block = np.array([k not in _DEFINITION_KINDS for k in self.kinds], dtype=bool)
        files: dict[str, int] = {}
        self.file_of = np.array([files.setdefault(p, len(files)) for p in self.paths], dtype=np.int64)
        self.n_files = len(files)
        # Judged once per file, not per unit (29,000 units, 5,000 files: 0.35 -> 0.06 s a snapshot load)
        self.auxiliary = np.array([_auxiliary(p) for p in files], dtype=bool)[self.file_of] if files \
            else np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def name_words(self) -> list[frozenset[str]]:
        """Each name's own content words (its last dotted part), worked out on first use."""
        if self._name_words is None:
            memo: dict[str, frozenset[str]] = {}
            self._name_words = [memo.get(n) or memo.setdefault(n, frozenset(content_words(n.rsplit(".", 1)[-1])))
                                for n in self.lower_names]
        return self._name_words

    @property
    def postings(self) -> dict[str, list[int]]:
        """Name word -> the units whose name has it (for a text query's name feature)."""
        if self._postings is None:
            out: dict[str, list[int]] = {}
            for i, parts in enumerate(self.name_words):
                for w in parts:
                    out.setdefault(w, []).append(i)
            self._postings = out
        return self._postings

    def containing(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every place `text` occurs in a lower-case name, from one search through all the names
        joined (not a loop over the units): (unit index, the name is `text` itself, the name ends
        in "." + `text`), one entry per place."""
        if self._joined is None:
            joined = "\n".join(self.lower_names)
            lengths = np.fromiter((len(n) + 1 for n in self.lower_names), np.int64, len(self.lower_names))
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else lengths
            self._joined = (joined, starts, lengths - 1)
        joined, starts, name_len = self._joined
        found = []
        at = joined.find(text)
        while at >= 0:
            found.append(at)
            at = joined.find(text, at + 1)
        pos = np.array(found, np.int64)
        unit = np.searchsorted(starts, pos, side="right") - 1
        offset = pos - starts[unit]
        ends = offset + len(text) == name_len[unit]
        member = ends & (offset > 0)
        if member.any():
            member[member] = [joined[int(p) - 1] == "." for p in pos[member]]
        return unit, ends & (offset == 0), member


def _auxiliary(path: str) -> bool:
    parts = path.lower().split("/")
    return is_test_path(path) or any(p in _AUX_DIRS for p in parts[:-1]) or path.lower().endswith((".md", ".rst", ".txt"))


def query_kind(query: str) -> str:
    """"symbol" for a bare identifier (dotted, `::` or `#` paths and a trailing `()` allowed), else "text"."""
    return "symbol" if _IDENTIFIER.fullmatch(query.strip()) else "text"


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9) if len(x) and x.std() > 0 else np.zeros(len(x), dtype=np.float32)


def name_scores(query: str, cands: Candidates) -> np.ndarray:
    """The name feature (in standard deviations, added as they are)."""
    lower = cands.lower_names
    out = np.zeros(len(lower), dtype=np.float32)
    if query_kind(query) == "symbol":
        exact = re.sub(r"(::|#)", ".", query.strip().removesuffix("()"))
        q = exact.lower()
        if not q or "\n" in q:
            return out
        unit, whole, member = cands.containing(q)
        np.maximum.at(out, unit, np.where(whole, EXACT_NAME, np.where(member, MEMBER_NAME, PARTIAL_NAME)))
        for i in np.unique(unit[whole]):  # the same letters in the same case first: `Session` before `session`
            if cands.names[i] == exact:
                out[i] += CASE_BONUS
        return out
    words = frozenset(content_words(query))
    if not words:
        return out
    postings = cands.postings
    hit = {i for w in words for i in postings.get(w, ())}
    name_words = cands.name_words
    for i in hit:
        parts = name_words[i]
        if parts == words:  # the name spelled out in words: "read the settings" for read_settings
            out[i] = SPELLED_NAME
        elif parts <= words:
            out[i] = SENTENCE_NAME
    return out


def rank(query: str, cands: Candidates, lexical: np.ndarray, semantic: np.ndarray | None,
         model_weight: float = MODEL_WEIGHT, names: np.ndarray | None = None) -> np.ndarray:
    """[N] the product's score of every unit for `query` (higher is better); `names` is
    `name_scores(query, cands)` when the caller has it already."""
    total = _z(lexical.astype(np.float32))
    if semantic is not None:
        total = total + model_weight * _z(semantic.astype(np.float32))
    total = total + (name_scores(query, cands) if names is None else names)
    asks_aux = bool(set(identifier_words(query)) & _AUX_WORDS)
    if not asks_aux:
        total = total - AUX_PENALTY * cands.auxiliary
    total = total - BLOCK_PENALTY * cands.block
    if FILE_WEIGHT and len(total):
        total = total + FILE_WEIGHT * _best_other(total, cands.file_of, cands.n_files)
    return total


def _best_other(score: np.ndarray, file_of: np.ndarray, n_files: int) -> np.ndarray:
    """For each unit, the best score among the *other* units of its file (0 when it is alone)."""
    best = np.full(n_files, -np.inf, dtype=np.float64)
    np.maximum.at(best, file_of, score)
    is_best = score >= best[file_of]
    masked = np.where(is_best, -np.inf, score)
    second = np.full(n_files, -np.inf, dtype=np.float64)
    np.maximum.at(second, file_of, masked)
    # the best unit's "other" is the second best; a tie for first counts as another unit at the top
    count_best = np.bincount(file_of[is_best], minlength=n_files)
    other = np.where(is_best, np.where(count_best[file_of] > 1, best[file_of], second[file_of]), best[file_of])
    return np.where(np.isfinite(other), other, 0.0).astype(np.float32)


def file_ranking(unit_scores: np.ndarray, cands: Candidates, order: np.ndarray | None = None) -> list[str]:
    """Files in the order of their best unit (what a file-level result list shows)."""
    order = np.argsort(-unit_scores, kind="stable") if order is None else order
    seen: dict[str, None] = {}
    for i in order:
        seen.setdefault(cands.paths[int(i)], None)
    return list(seen)
