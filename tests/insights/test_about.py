"""What the project is, in its own words: the README's first real sentences (past the logo, the
badges, the title and an epigraph), else the package metadata, else the top package's docstring."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from tests.insights.fixtures import build_features, indexed_workspace
from vjepa_core.cli import main as cli_main
from vjepa_core.insights.about import project_about
from vjepa_core.insights.report import compute

README = """<p align="center">
  <a href="https://acme.example/"><img width="350" src="https://acme.example/logo.png" alt="Acme"></a>
</p>

<p align="center"><strong>Acme</strong> <em>- invoices, simply.</em></p>

# Acme

[![Tests](https://ci.example/acme/badge.svg)](https://ci.example/acme)
[![PyPI](https://img.shields.io/pypi/v/acme.svg)](https://pypi.org/project/acme/)

> "Any colour you like."

**Acme** is a small library for reading invoices and working out their taxes, with
[currency support](https://acme.example/currency) and `async` APIs. It has no dependencies.

- fast
- friendly

```python
import acme
```
"""
SAID = ("Acme is a small library for reading invoices and working out their taxes, with currency support "
        "and async APIs.")  # the first sentence (a second comes along only when the first is short)


def test_summary_comes_from_the_readme(git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    build_features(git_repo, scattered=False)
    git_repo.commit("readme", {"README.md": README})
    ws = indexed_workspace(git_repo, tmp_path)
    summary = compute(ws)["summary"]
    assert summary["sentence"] == SAID
    assert (summary["about"], summary["about_source"]) == (SAID, "README.md")
    assert summary["detail"] == "(From README.md.) Written mostly in Python."
    assert summary["themes"]  # the themes are still there, below the sentence
    # Piped output keeps each sentence on one line, however long (no wrapping at 80 columns).
    assert cli_main(["insights", str(git_repo.path), "--index-dir", str(tmp_path / "index")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == SAID and len(SAID) > 80


def test_summary_without_readme_names_words_in_a_sentence(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = indexed_workspace(build_features(git_repo, scattered=True), tmp_path)
    summary = compute(ws)["summary"]
    assert summary["about"] == "" and " + " not in summary["sentence"]
    assert summary["sentence"].startswith("This project is about ")
    assert "(the words its code uses most), written mostly in Python." in summary["sentence"]


def _write(root: Path, files: dict[str, str]) -> set[str]:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="utf-8")
    return set(files)


def test_rst_readme_metadata_and_docstring(tmp_path: Path) -> None:
    rst = tmp_path / "rst"
    files = _write(rst, {"README.rst": (
        "Werkzeug\n========\n\n.. image:: https://ci.example/badge.svg\n   :target: https://ci.example\n\n"
        "*werkzeug* German noun: \"tool\". Etymology: *werk* (\"work\"), *zeug* (\"stuff\")\n\n"
        "Werkzeug is a comprehensive `WSGI`_ web application library. It began as a simple collection.\n\n"
        ".. _WSGI: https://wsgi.example\n"), "pyproject.toml": '[project]\nname = "Werkzeug"\n'})
    about = project_about(rst, files)
    assert about is not None and about.source == "README.rst"
    assert about.text == "Werkzeug is a comprehensive WSGI web application library. It began as a simple collection."

    meta = tmp_path / "meta"
    files = _write(meta, {"package.json": '{"name": "express", "description": "Fast, minimalist web framework"}',
                          "README.md": "# express\n\n[![npm](https://img.shields.io/npm/v/express.svg)](https://npm.example)\n"})
    about = project_about(meta, files)
    assert about is not None and (about.text, about.source) == ("express: Fast, minimalist web framework.",
                                                                "package.json")

    doc = tmp_path / "doc"
    files = _write(doc, {"src/tally/__init__.py": '"""Tally counts the votes of a meeting and prints who won.\n\n'
                                                  'More detail here."""\n',
                         "tests/__init__.py": '"""Tests for tally, with many words in this docstring."""\n'})
    about = project_about(doc, files)
    assert about is not None and about.source == "src/tally/__init__.py"
    assert about.text == "Tally counts the votes of a meeting and prints who won."

    assert project_about(tmp_path / "empty", set()) is None


def test_unindexed_readme_is_not_read(tmp_path: Path) -> None:
    """Only files the index holds are read: a README the crawl left out (say, denied) says nothing."""
    _write(tmp_path, {"README.md": "Acme is a library that must not be quoted here at all.\n"})
    assert project_about(tmp_path, set()) is None
