"""A save's first answer from memory (`index/quick.py`, `Workspace.preview_save`): the saved files'
imports, read and parsed as the write will, with nothing written; and the ranker's links after it
agree with what the write's exact relinking finds. Real git, real tree-sitter, real LanceDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import FAKE_AWS, GitRepo
from vjepa_core.index.crawl import crawl
from vjepa_core.index.quick import Neighbours, neighbours, relink_imports, relink_similarity, saved_imports
from vjepa_core.index.vectors import model_key
from vjepa_core.queries.related import content_links
from vjepa_core.workspace import Workspace

MODULES = {
    "app/__init__.py": '"""The app."""\n',
    "app/http.py": 'import json\n\n\ndef get(url):\n    """Fetch a url."""\n    return json.loads(url)\n',
    "app/store.py": 'from app import http\n\n\nclass Store:\n    def load(self, url):\n        return http.get(url)\n',
    "app/render.py": 'def render(rows):\n    """Rows as html."""\n    return "".join(rows)\n',
    "app/cli.py": 'from app import store\n\n\ndef main():\n    return store.Store().load("x")\n',
    "tests/test_store.py": 'from app.store import Store\n\n\ndef test_load():\n    assert Store()\n',
}


@pytest.fixture
def ws(git_repo: GitRepo, tmp_path: Path) -> Workspace:
    git_repo.commit("start", MODULES)
    git_repo.commit("store and its test", {"app/store.py": MODULES["app/store.py"] + "\n# v2\n",
                                            "tests/test_store.py": MODULES["tests/test_store.py"] + "\n# v2\n"})
    git_repo.commit("cli and store", {"app/cli.py": MODULES["app/cli.py"] + "\n# v2\n",
                                      "app/store.py": MODULES["app/store.py"] + "\n# v3\n"})
    crawl(git_repo.path, tmp_path / "idx")
    workspace = Workspace(git_repo.path, tmp_path / "idx")
    workspace.embed()
    return workspace


def _versions(ws: Workspace) -> dict[str, int]:
    return {name: ws.store.table(name).version for name in ("files", "units", "relations")}


def test_saved_imports_reads_the_save_and_writes_nothing(ws: Workspace) -> None:
    before = _versions(ws)
    (ws.root / "app/cli.py").write_text('from app import render\n\n\ndef main():\n    return render.render([])\n')
    (ws.root / "app/render.py").write_text(MODULES["app/render.py"] + "\n# edited, same imports\n")
    got = saved_imports(ws.root, ws.store, ["app/cli.py", "app/render.py"], ws.excludes)
    init = "app/__init__.py"  # `from app import x` names the package too
    assert got == {"app/cli.py": ({init, "app/store.py"}, {init, "app/render.py"}), "app/render.py": (set(), set())}
    assert _versions(ws) == before


@pytest.mark.parametrize("case", ["new file", "rule file", "secret", "ignored"])
def test_anything_but_a_plain_edit_is_left_to_the_write(ws: Workspace, case: str) -> None:
    path = {"new file": "app/new.py", "rule file": ".gitignore", "secret": "app/render.py",
            "ignored": "app/render.py"}[case]
    if case == "secret":
        (ws.root / path).write_text(f'AWS_ACCESS_KEY_ID = "{FAKE_AWS}"\n')
    elif case == "ignored":
        (ws.root / ".gitignore").write_text("app/render.py\n")
        ws.reread_rules()
    else:
        (ws.root / path).write_text("x = 1\n")
    assert saved_imports(ws.root, ws.store, [path], ws.excludes) is None


def test_relink_imports_both_ways_and_keeps_similarity() -> None:
    links = {"a": {"b": (1.0, 0.0), "c": (1.0, 0.7)}, "b": {"a": (1.0, 0.0)}, "c": {"a": (1.0, 0.7)}}
    moved = relink_imports(links, {"a": ({"b", "c"}, {"d"})})
    assert moved == {"b", "c", "d"}
    assert links == {"a": {"c": (0.0, 0.7), "d": (1.0, 0.0)}, "b": {}, "c": {"a": (0.0, 0.7)},
                     "d": {"a": (1.0, 0.0)}}


def test_preview_then_write_agree_on_the_saved_files_links(ws: Workspace) -> None:
    """Imports and similarity both: the links the preview leaves are the ones the write's exact
    relinking reads back from the index, for the saved file and every file it is linked to."""
    predictor, _ = ws.next_predictor(fit="now")
    assert predictor is not None and predictor.fitted is not None
    (ws.root / "app/cli.py").write_text('from app import render\n\n\ndef main():\n    """Rows as html, for the cli."""\n'
                                       '    return render.render([])\n')
    files = ws.preview_save(["app/cli.py"])
    assert files is not None and {"app/cli.py", "app/render.py", "app/store.py"} <= files
    quick = {x: dict(predictor.links.get(x, {})) for x in files}
    assert any(sim for _, sim in quick["app/cli.py"].values())  # its content is like some file's
    touched = ws.update_files(["app/cli.py"])
    assert touched is not None
    exact = content_links(ws.store, sorted(files))
    for x in files:
        assert {g: link for g, link in quick[x].items() if g in files or x == "app/cli.py"} == \
            {g: link for g, link in exact.get(x, {}).items() if g in files or x == "app/cli.py"}, x
    # The file it now imports ranks near the top. (On this three-commit history the ranking leans half
    # on co-change and recency, fit.prior_lean: a file changed with it may come first.)
    assert "app/render.py" in [h.path for h in ws.related("app/cli.py")[:2]]


def test_relink_similarity_takes_the_larger_direction_and_drops_empty_links() -> None:
    links = {"a": {"b": (0.0, 0.8), "c": (1.0, 0.6)}, "b": {"a": (0.0, 0.8)}, "c": {"a": (1.0, 0.6)}}
    rows = {"a": {"d": 0.9}, "c": {}}  # as they are now; before: a -> b 0.8, a -> c 0.6, c -> a 0.6
    moved = relink_similarity(links, rows, {"a": {"b": 0.8, "c": 0.6}, "c": {"a": 0.6}})
    assert moved == {"a", "b", "c", "d"}
    assert links == {"a": {"c": (1.0, 0.0), "d": (0.0, 0.9)}, "b": {}, "c": {"a": (1.0, 0.0)},
                     "d": {"a": (0.0, 0.9)}}


def _same(kept: Neighbours, fresh: Neighbours) -> None:
    assert sorted(kept.paths) == sorted(fresh.paths)  # the write appends a saved file's row last
    # the same neighbours, the same cosines to float32's last bits (the write multiplies the frames
    # in its own row order)
    assert {a: sorted(r) for a, r in kept.rows.items() if r} == {a: sorted(r) for a, r in fresh.rows.items() if r}
    assert all(abs(w - fresh.rows[a][b]) < 1e-6 for a, r in kept.rows.items() for b, w in r.items())
    assert {b: s for b, s in kept.pointing.items() if s} == {b: s for b, s in fresh.pointing.items() if s}
    for p in fresh.paths:
        i, j = kept.index[p], fresh.index[p]
        assert abs(kept.weakest[i] - fresh.weakest[j]) < 1e-6, p
        assert abs(kept.frames[i] - fresh.frames[j]).max() < 1e-6, p


def test_the_kept_rows_follow_each_save_and_its_write_exactly(ws: Workspace) -> None:
    """Saves answered from memory, each written after: the rows kept between saves are what the
    index holds (never loaded again meanwhile); any other write makes them load again."""
    ckpt = ws.checkpoint()
    assert ckpt is not None and ws.model_dir is not None
    key = model_key(ws.model_dir)
    kept = neighbours(ws.store, key)
    assert kept is not None
    for i, (rel, body) in enumerate([("app/cli.py", 'def main():\n    """Rows as html."""\n    return "".join([])\n'),
                                     ("app/render.py", 'import json\n\n\ndef get(url):\n    return json.loads(url)\n'),
                                     ("app/cli.py", 'def main():\n    return 1\n')]):
        (ws.root / rel).write_text(body)
        assert ws.lens.predictor is not None or ws.next_predictor(fit="now")[0] is not None
        assert ws.preview_save([rel]) is not None
        assert neighbours(ws.store, key) is kept
        keep = ws.preview_writing([rel])
        assert keep
        ws.update_files([rel], purge=False)
        ws.purge()
        ws.preview_written(keep)
        assert neighbours(ws.store, key) is kept, i
        _same(kept, Neighbours.load(ws.store, key))
    (ws.root / "app/store.py").write_text("x = 1\n")  # a write no preview answered
    keep = ws.preview_writing(["app/store.py"])
    assert not keep
    ws.update_files(["app/store.py"])
    ws.preview_written(keep)
    assert neighbours(ws.store, key) is not kept


def test_without_the_rules_in_memory_the_write_screens_and_drops_the_kept_rows(ws: Workspace) -> None:
    """A server that let the secret rules go answers a save from memory without compiling them; the
    write screens it, and a secret takes the file out and makes the kept rows load again."""
    from vjepa_core.harvest.secrets import release_rules, rules_ready

    ckpt = ws.checkpoint()
    assert ckpt is not None and ws.model_dir is not None
    key = model_key(ws.model_dir)
    ws.next_predictor(fit="now")
    kept = neighbours(ws.store, key)
    release_rules()
    (ws.root / "app/render.py").write_text(f'AWS_ACCESS_KEY_ID = "{FAKE_AWS}"\n\n\ndef render(rows):\n    return rows\n')
    assert ws.preview_save(["app/render.py"]) is not None
    assert not rules_ready()  # nothing compiled for the answer from memory
    keep = ws.preview_writing(["app/render.py"])
    if ws.update_files(["app/render.py"]) is None:  # a file turned secret: the full re-crawl, as the server does
        ws.index()
    ws.preview_written(keep)
    assert "app/render.py" not in ws.indexed_files().paths
    assert neighbours(ws.store, key) is not kept


def test_a_save_of_nothing_loads_the_kept_rows_and_answers_nothing(ws: Workspace) -> None:
    """What the server runs once the learned lenses are in: the first save then loads nothing."""
    from vjepa_core.index import quick

    ws.next_predictor(fit="now")
    quick._KEPT.clear()
    assert ws.preview_save([]) == set()
    assert ws.model_dir is not None and str(ws.store.path) in quick._KEPT
    kept = neighbours(ws.store, model_key(ws.model_dir))
    assert kept is quick._KEPT[str(ws.store.path)]
