"""`vjepa bench secrets`: every layer is measured on the corpus, the held-out set and real trees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import FAKE_AWS
from vjepa_core.cli import main


def test_bench_secrets_reports_layers_families_and_flagged_files(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "tree"
    (tree / "vendor").mkdir(parents=True)
    (tree / "app.py").write_text("def total(xs):\n    return sum(xs)\n", encoding="utf-8")
    (tree / "deploy.py").write_text(f'AWS_ACCESS_KEY_ID = "{FAKE_AWS}"\n', encoding="utf-8")
    (tree / "vendor" / "keys.py").write_text(f'KEY = "{FAKE_AWS}"\n', encoding="utf-8")
    assert main(["bench", "secrets", str(tree), "--exclude", "vendor/", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    corpus = result["corpus"]
    assert corpus["cases"] >= 150 and corpus["families"] >= 40
    assert corpus["product"]["caught"] == corpus["cases"]
    assert corpus["own"]["caught"] < corpus["product"]["caught"]  # the engine earns its place
    assert set(corpus["product"]["per_family"]) == set(corpus["own"]["per_family"])
    assert 0 < result["holdout"]["product"]["caught"] <= result["holdout"]["cases"]
    (measured,) = result["trees"]
    assert measured["text_files"] == 2  # vendor/ left out, as a crawl would
    assert [p.split(" (")[0] for p in measured["product"]["paths"]] == ["deploy.py"]
    assert FAKE_AWS not in json.dumps(result)  # families and paths only, never a value
