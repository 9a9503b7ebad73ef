"""`Workspace.update_files`: an editor's save without walking the workspace.

The fast path must leave the index exactly as a full incremental crawl + embed would, touch only
the saved files, and hand anything it does not handle (new, deleted, secret files, a new commit)
back to the full crawl without writing. Real git, real tree-sitter, real LanceDB, the shipped model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fixtures import FAKE_AWS, GitRepo, OpenRecorder
from vjepa_core.index.crawl import crawl
from vjepa_core.index.vectors import file_vectors
from vjepa_core.workspace import Workspace

MODULES = {
    "app/__init__.py": '"""The app."""\n',
    "app/http.py": 'import json\n\n\ndef get(url):\n    """Fetch a url and parse its json body."""\n'
                   '    return json.loads(url)\n',
    "app/store.py": 'from app import http\n\n\nclass Store:\n    """Rows kept in memory."""\n\n'
                    '    def load(self, url):\n        return http.get(url)\n',
    "app/render.py": 'def render(rows):\n    """Rows as an html table."""\n    return "".join(rows)\n',
    "app/cli.py": 'from app import store\n\n\ndef main():\n    return store.Store().load("x")\n',
    "tests/test_store.py": 'from app.store import Store\n\n\ndef test_load():\n    assert Store()\n',
    "docs/guide.md": "# Guide\n\nHow to load rows and render them.\n",
}


def _index(repo: GitRepo, idx: Path) -> Workspace:
    crawl(repo.path, idx)
    ws = Workspace(repo.path, idx)
    ws.embed()
    return ws


def _relations(ws: Workspace) -> set[tuple]:
    t = ws.store.read("relations").to_pylist()
    return {(r["a"], r["b"], r["pattern"], r["kind"], round(r["weight"], 4), r["count"]) for r in t}


def _units(ws: Workspace) -> set[tuple]:
    t = ws.store.visible_units(["path", "hash", "name"]).to_pylist()
    return {(r["path"], r["hash"], r["name"]) for r in t}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.commit("start", MODULES)
    git_repo.commit("store and its test", {"app/store.py": MODULES["app/store.py"] + "\n# v2\n",
                                            "tests/test_store.py": MODULES["tests/test_store.py"] + "\n# v2\n"})
    return git_repo


def test_a_save_leaves_the_index_as_a_full_crawl_would(repo: GitRepo, tmp_path: Path) -> None:
    ws = _index(repo, tmp_path / "fast")
    # The save: cli.py stops importing store, imports render, and gains a function.
    repo.write("app/cli.py", 'from app import render\n\n\ndef main():\n    return render.render(["a"])\n\n\n'
                             'def show(rows):\n    """Print rows as an html table."""\n    print(render.render(rows))\n')
    touched = ws.update_files(["app/cli.py"])
    assert touched is not None
    # The saved file, the import it dropped and the one it gained are among the files whose lenses move.
    assert {"app/cli.py", "app/store.py", "app/render.py"} <= touched
    full = _index(repo, tmp_path / "full")
    assert _units(ws) == _units(full)
    assert _relations(ws) == _relations(full)
    fast_vecs, full_vecs = file_vectors(ws.store), file_vectors(full.store)
    assert fast_vecs.keys() == full_vecs.keys()
    for p in full_vecs:
        np.testing.assert_allclose(fast_vecs[p], full_vecs[p], atol=1e-5)
    # Every file whose related list changed is in `touched`: the lens cache refreshes exactly those.
    before = Workspace(repo.path, tmp_path / "fast")  # fresh handle, same index
    assert before.related_many(None, 3).keys() >= touched - {"docs/guide.md"}
    hits = {h.path for h in ws.related("app/cli.py")}
    assert "app/render.py" in hits


def test_an_unchanged_save_rewrites_no_unit(repo: GitRepo, tmp_path: Path) -> None:
    ws = _index(repo, tmp_path / "idx")
    units = _units(ws)
    relations = _relations(ws)
    (repo.path / "app/http.py").touch()  # saved without an edit: a new mtime, the same bytes
    assert ws.update_files(["app/http.py"]) == set()
    assert _units(ws) == units and _relations(ws) == relations


@pytest.mark.parametrize("change", ["new file", "deleted", "secret", "commit", "ignored", "rules", "unknown"])
def test_what_the_fast_path_does_not_handle_goes_to_the_full_crawl_untouched(
        change: str, repo: GitRepo, tmp_path: Path) -> None:
    ws = _index(repo, tmp_path / "idx")
    files_before = ws.store.read("files").to_pylist()
    units, relations = _units(ws), _relations(ws)
    rel = "app/http.py"
    if change == "new file":
        rel = "app/extra.py"
        repo.write(rel, "def extra():\n    return 1\n")
    elif change == "deleted":
        (repo.path / rel).unlink()
    elif change == "secret":
        repo.write(rel, f'KEY_ID = "{FAKE_AWS}"\n')
    elif change == "commit":
        repo.write(rel, MODULES[rel] + "\n# edited\n")
        repo.commit("edit", {rel: MODULES[rel] + "\n# edited\n"})
    elif change == "ignored":
        repo.write(".gitignore", "app/http.py\n")
    elif change == "rules":
        repo.commit("rules", {".gitignore": "*.log\n"})
        ws = _index(repo, tmp_path / "idx")
        files_before, units, relations = ws.store.read("files").to_pylist(), _units(ws), _relations(ws)
        rel = ".gitignore"
        repo.write(rel, "*.log\napp/\n")
    else:
        rel = "nowhere/none.py"
    assert ws.update_files([rel]) is None
    assert ws.store.read("files").to_pylist() == files_before
    assert _units(ws) == units and _relations(ws) == relations


def test_a_denied_or_outside_path_is_never_opened(repo: GitRepo, tmp_path: Path,
                                                  record_opens: OpenRecorder) -> None:
    ws = _index(repo, tmp_path / "idx")
    repo.write(".env", "TOKEN=abc\n")
    repo.write("keys/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n")
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    with record_opens:
        for path in (".env", "keys/id_rsa", "../outside.py", str(outside), "/etc/passwd"):
            assert ws.update_files([path]) is None
    opened = [p for _, p in record_opens.events]
    assert not any(p.endswith((".env", "id_rsa", "outside.py", "passwd")) for p in opened)


def test_without_vectors_yet_the_full_embed_takes_over(repo: GitRepo, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    crawl(repo.path, idx)  # crawled, never embedded
    ws = Workspace(repo.path, idx)
    repo.write("app/render.py", MODULES["app/render.py"] + "\n\ndef empty():\n    return ''\n")
    assert ws.update_files(["app/render.py"]) is None  # it embedded everything instead
    assert set(file_vectors(ws.store)) == set(MODULES)


def test_vectors_are_keyed_by_weights_and_pooling(tmp_path: Path) -> None:
    # Vectors of one table pooled otherwise are another model's: a config-only change re-embeds.
    import json
    import shutil

    from vjepa_core.index.vectors import model_key
    from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR

    def copy(name: str, **settings: float) -> Path:
        out = tmp_path / name
        shutil.copytree(DEFAULT_MODEL_DIR, out)
        config = json.loads((out / "config.json").read_text())
        config.update(settings)
        (out / "config.json").write_text(json.dumps(config))
        return out

    shipped = model_key(DEFAULT_MODEL_DIR)
    assert model_key(copy("same")) == shipped
    assert model_key(copy("heavier", head_weight=2.0)) != shipped
    plain = model_key(copy("plain", head_weight=1.0, position_tau=0.0))
    assert plain == json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())["weights_sha256"][:16]
