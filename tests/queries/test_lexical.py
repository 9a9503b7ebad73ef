"""The lexical half of search: stemmed identifier words, the unit's name boosted."""

from __future__ import annotations

import numpy as np

from vjepa_core.queries.lexical import LexicalIndex, query_terms, terms


def test_terms_split_identifiers_drop_stop_words_and_stem() -> None:
    assert terms("def readFiles(self, paths): return parsed_configs") == \
        ["def", "read", "file", "self", "path", "return", "pars", "config"]
    assert query_terms("Reads the configured files") == ["read", "configur", "file"]
    assert terms("x = 1", name="load_json") == ["x", "1", "load", "json", "load", "json"]


def test_stemming_lets_a_query_meet_the_code_and_the_name_counts_more() -> None:
    docs = [
        ("def helper(data):\n    return sorted(data)", "helper"),
        ("def run(items):\n    # the caller sorts items elsewhere\n    return list(items)", "run"),
        ("def sorting_items(xs):\n    return xs", "sorting_items"),
    ]
    index = LexicalIndex(docs)
    scores = index.scores("Sorts the items")  # "sorts" ~ "sorted" ~ "sorting" once stemmed
    assert int(np.argmax(scores)) == 2  # the name says it: boosted above a body that mentions it
    assert scores[0] > 0  # "sorted" in the body matches "sorts" only through the stemmer
    assert not index.scores("the of and").any()  # only stop words: no evidence, all zeros
