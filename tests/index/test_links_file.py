"""The import and similarity relations kept as a NumPy file beside the index (index/links.py): what
the lenses' background fit reads instead of opening LanceDB, only while the relations are as it
was written from. Real git, real tree-sitter, real LanceDB, the shipped model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from vjepa_core.index.links import LINKS_FILE, load_links
from vjepa_core.queries.related import content_links, links_from_rows
from vjepa_core.workspace import Workspace

MODULES = {
    "app/__init__.py": '"""The app."""\n',
    "app/http.py": 'import json\n\n\ndef get(url):\n    """Fetch a url."""\n    return json.loads(url)\n',
    "app/store.py": 'from app import http\n\n\nclass Store:\n    def load(self, url):\n        return http.get(url)\n',
    "app/cli.py": 'from app import store\n\n\ndef main():\n    return store.Store().load("x")\n',
    "tests/test_store.py": 'from app.store import Store\n\n\ndef test_load():\n    assert Store()\n',
}


@pytest.fixture
def ws(git_repo: GitRepo, tmp_path: Path) -> Workspace:
    git_repo.commit("start", MODULES)
    git_repo.commit("store and its test", {"app/store.py": MODULES["app/store.py"] + "\n# v2\n",
                                            "tests/test_store.py": MODULES["tests/test_store.py"] + "\n# v2\n"})
    workspace = Workspace(git_repo.path, tmp_path / "idx")
    workspace.index()
    return workspace


def test_an_index_leaves_the_links_as_the_ranker_reads_them(ws: Workspace) -> None:
    rows = load_links(ws.index_dir)
    assert rows is not None and rows["a"]
    assert set(rows["kind"]) == {"import", "similar"}
    assert links_from_rows(rows) == content_links(ws.store)


def test_links_changed_since_are_not_read(ws: Workspace) -> None:
    (ws.root / "app/cli.py").write_text('from app import http\n\n\ndef main():\n    return http.get("x")\n')
    assert ws.update_files(["app/cli.py"], purge=False) is not None  # the relations table moved on
    assert load_links(ws.index_dir) is None
    ws.purge()  # the save's last step writes them again
    rows = load_links(ws.index_dir)
    assert rows is not None and links_from_rows(rows) == content_links(ws.store)
    assert links_from_rows(rows)["app/cli.py"]["app/http.py"][0] == 1.0


def _fit_child(ws: Workspace) -> str:
    """The background fit's process, as LensRanker starts it; says whether it imported LanceDB."""
    code = ("import sys; from vjepa_core.queries.lens_fit import main; main(sys.argv[1:]); "
            "print('lancedb imported:', 'lancedb' in sys.modules, 'pyarrow imported:', 'pyarrow' in sys.modules)")
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-c", code, str(ws.root), str(ws.index_dir)], capture_output=True,
                          text=True, check=True, env=env, timeout=300).stdout


def test_the_fit_process_reads_the_file_and_not_lancedb(ws: Workspace) -> None:
    out = _fit_child(ws)
    assert "links from its Arrow file" in out and "lancedb imported: False pyarrow imported: False" in out
    assert (ws.index_dir / "nextfile.safetensors").exists()
    predictor, _ = ws.next_predictor(fit="never")  # the server side loads that fit
    assert predictor is not None and predictor.fitted is not None


def test_without_a_current_file_the_fit_opens_the_index(ws: Workspace) -> None:
    (ws.index_dir / LINKS_FILE).unlink()
    out = _fit_child(ws)
    assert "links from the index" in out and (ws.index_dir / "nextfile.safetensors").exists()


def test_a_damaged_file_is_not_read(ws: Workspace) -> None:
    path = ws.index_dir / LINKS_FILE
    path.write_bytes(path.read_bytes()[:200])  # cut short, as by a full disk
    assert load_links(ws.index_dir) is None
    path.write_text("not a NumPy file")
    assert load_links(ws.index_dir) is None
