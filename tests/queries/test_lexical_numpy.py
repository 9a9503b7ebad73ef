"""Search's BM25 (queries/lexical.py) is built by bm25s on NumPy: no scipy in a process that
searches, and the same scores, to the bit, as bm25s' scipy backend gives (computed in a process
that loaded scipy first)."""

from __future__ import annotations

import json
import subprocess
import sys

DOCS = [("def load_config(path):\n    return parse(open(path).read())", "load_config"),
        ("class ConfigParser:\n    def parse(self, text): ...", "ConfigParser"),
        ("def save_report(rows, path):\n    write_csv(path, rows)", "save_report"),
        ("", "empty"), ("def retry(fn, times=3): ...", "retry")]
QUERIES = ["load configuration file", "parse config", "write report", "nothing matches this", "retry"]

OURS = """
import json, sys
from vjepa_core.queries.lexical import LexicalIndex
docs, queries = json.loads(sys.argv[1])
index = LexicalIndex([tuple(d) for d in docs])
from vjepa_core.model.encoder.encode import embed_units, load_model
from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR
embed_units(load_model(DEFAULT_MODEL_DIR), [q for q in queries])  # a query's vector, as search makes it
print(json.dumps({"scipy": "scipy" in sys.modules, "scores": [index.scores(q).tolist() for q in queries]}))
"""

SCIPY = """
import json, sys
import scipy.sparse
import bm25s
from vjepa_core.queries.lexical import terms, query_terms
docs, queries = json.loads(sys.argv[1])
ref = bm25s.BM25(csc_backend="scipy")
ref.index([terms(t, n) or ["_"] for t, n in docs], show_progress=False)
print(json.dumps([ref.get_scores(query_terms(q)).tolist() if query_terms(q) else [0.0] * len(docs)
                  for q in queries]))
"""


def _run(code: str) -> object:
    out = subprocess.run([sys.executable, "-c", code, json.dumps([DOCS, QUERIES])], capture_output=True,
                         text=True, check=True, timeout=120)
    return json.loads(out.stdout)


def test_bm25_without_scipy_scores_as_with_it() -> None:
    ours, want = _run(OURS), _run(SCIPY)
    # built and scored, and the queries embedded by the shipped encoder, without scipy loaded
    assert isinstance(ours, dict) and ours["scipy"] is False
    assert ours["scores"] == want
    assert max(ours["scores"][0]) > 0 and ours["scores"][3] == [0.0] * len(DOCS)
