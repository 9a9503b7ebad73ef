"""`vjepa bench search --queries`: the metric, the query files, a run over a real tree, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from vjepa_core.bench.nlsearch import (
    KINDS,
    Target,
    bench_nl_search,
    file_gains,
    ndcg,
    read_queries,
    unit_gains,
)
from vjepa_core.cli import main as cli_main
from vjepa_core.messages import VjepaError

QUERY_DIR = Path(__file__).parent.parent / "data" / "nl_queries"


def test_ndcg() -> None:
    assert ndcg([1, 0, 0], 1) == 1.0
    assert ndcg([0, 1], 1) == pytest.approx(1 / math.log2(3))
    assert ndcg([0, 1, 1], 2) == pytest.approx((1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert ndcg([0] * 10, 3) == 0.0
    assert ndcg([1] * 12, 12) == 1.0  # only the first 10 count, against an ideal of 10


def test_unit_gains_need_an_overlap_and_count_each_target_once() -> None:
    rows = {"path": ["a.py", "a.py", "a.py", "b.py"], "start_line": [1, 10, 12, 1], "end_line": [8, 20, 14, 5]}
    targets = [Target("a.py", (11, 15)), Target("b.py", None)]
    assert unit_gains([0, 1, 2, 3], rows, targets) == [0, 1, 0, 1]
    assert file_gains(["c.py", "a.py", "b.py"], targets) == [0, 1, 1]


def test_the_shipped_query_sets() -> None:
    files = sorted(QUERY_DIR.glob("*.json"))
    headers, total, languages = [], 0, set()
    for f in files:
        header, queries = read_queries(f)
        headers.append(header)
        languages.add(header["language"])
        total += len(queries)
        assert {q.kind for q in queries} == set(KINDS), f
        assert len({q.text for q in queries}) == len(queries), f
        assert len(header["commit"]) == 40, f
    assert total >= 100 and len(files) >= 5 and len(languages) >= 2


TREE = {
    "app/routes.py": "def register_route(app, path, view):\n    \"\"\"Add a URL rule to the app.\"\"\"\n"
                     "    app.url_map[path] = view\n\n\ndef url_for(app, view):\n    for path, v in app.url_map.items():\n"
                     "        if v == view:\n            return path\n",
    "app/config.py": "class Config(dict):\n    def from_file(self, filename):\n        with open(filename) as fh:\n"
                     "            self.update(json.load(fh))\n",
    "tests/test_routes.py": "def test_url_for():\n    assert url_for(app, index) == '/'\n",
}


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for rel, text in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _queries(tmp_path: Path, queries: list[dict]) -> Path:
    f = tmp_path / "q.json"
    f.write_text(json.dumps({"project": "demo", "language": "python", "queries": queries}))
    return f


def test_a_run_over_a_real_tree(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    f = _queries(tmp_path, [
        {"query": "url_for", "kind": "symbol", "relevant": [{"path": "app/routes.py", "lines": [6, 9]}]},
        {"query": "Config", "kind": "symbol", "relevant": [{"path": "app/config.py", "lines": [1, 4]}]},
        {"query": "load settings from a json file", "kind": "behaviour", "relevant": [{"path": "app/config.py"}]},
        {"query": "where are routes added", "kind": "architecture",
         "relevant": [{"path": "app/routes.py", "lines": [1, 3]}]},
    ])
    result = bench_nl_search(root, f, minilm=False)
    assert set(result["methods"]) == {"bm25", "encoder", "product"}
    assert result["queries"] == 4 and result["missing_targets"] == []
    product = result["methods"]["product"]
    assert product["symbol"]["ndcg@10_units"] == 1.0
    assert product["all"]["ndcg@10_files"] >= result["methods"]["bm25"]["all"]["ndcg@10_files"]
    for method in result["methods"].values():
        assert set(method) == {"all", *KINDS}


@pytest.mark.parametrize("content, reason", [
    ("{not json", "Expecting"),
    (json.dumps({"queries": []}), "non-empty"),
    (json.dumps({"queries": [{"query": "x", "kind": "vibe", "relevant": [{"path": "a"}]}]}), "query 1"),
    (json.dumps({"queries": [{"query": "x", "kind": "symbol"}]}), "query 1"),
])
def test_a_bad_query_file_is_refused(tmp_path: Path, content: str, reason: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content)
    with pytest.raises(VjepaError, match=reason):
        read_queries(f)


def test_the_cli_says_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert cli_main(["bench", "search", "--root", str(root), "--queries", str(bad), "--no-minilm"]) == 2
    assert "can't use the query file" in capsys.readouterr().err
    assert cli_main(["bench", "search", "--root", str(tmp_path / "nowhere"), "--queries", str(bad)]) == 2
    assert "not a folder" in capsys.readouterr().err
