"""The docstring -> code search protocol (shared/BENCHMARKS.md section 2) and its BM25 baseline."""

from __future__ import annotations

from pathlib import Path

from vjepa_core.bench.search import (
    bench_search,
    collect_functions,
    first_sentence,
    metrics,
    strip_docstring,
)

SOURCE = '''
import os


def read_config_file(path):
    """Read the configuration file and return its settings.

    More detail that is not part of the query.
    """
    with open(path) as fh:
        return parse_settings(fh.read())


def parse_settings(text):
    """Parse key value settings."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class Cache:
    def store_entry(self, key, value):
        """Store one cache entry under its key."""
        self.entries[key] = value

    def clear(self):
        """Clear."""
        self.entries = {}

    def size(self):
        return len(self.entries)
'''


def test_docstring_is_removed_and_first_sentence_taken() -> None:
    code, doc = strip_docstring('    def f(x):\n        """Add one to x. Then more."""\n        return x + 1\n')
    assert doc == "Add one to x. Then more."
    assert "Add one" not in code and "return x + 1" in code
    assert first_sentence("Read the file.\n\nDetails.") == "Read the file"
    assert first_sentence("Split on blank line\n\nrest") == "Split on blank line"


def test_queries_targets_and_no_docstring_leaks(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "conf.py").write_text(SOURCE)
    functions = collect_functions(tmp_path)
    by_name = {f.name: f for f in functions}
    assert set(by_name) == {"read_config_file", "parse_settings", "Cache.store_entry", "Cache.clear", "Cache.size"}
    assert by_name["read_config_file"].query == "Read the configuration file and return its settings"
    assert by_name["parse_settings"].query == "Parse key value settings"
    assert by_name["Cache.clear"].query is None  # fewer than three words
    assert by_name["Cache.size"].query is None
    for f in functions:  # the candidates never carry a docstring
        assert '"""' not in f.code


def test_bm25_finds_the_obvious_target(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text(SOURCE)
    result = bench_search(tmp_path)
    assert result["queries"] == 3 and result["candidates"] == 5
    assert result["methods"]["bm25"]["hit@10"] == 1.0
    assert result["methods"]["bm25"]["hit@1"] >= 2 / 3


def test_metrics() -> None:
    assert metrics([0, 1, None, 12]) == {"mrr@10": (1 + 0.5) / 4, "hit@1": 0.25, "hit@10": 0.5}
