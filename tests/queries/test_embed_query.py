"""Vectors in the store, incrementally; related files and hybrid search; the CLI around them.

Real crawl, real MLX training (tiny sizes), real LanceDB in temp dirs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from vjepa_core.cli import main as cli_main
from vjepa_core.index.crawl import crawl
from vjepa_core.index.vectors import FILE_VECTORS, UNIT_VECTORS
from vjepa_core.messages import VjepaError
from vjepa_core.workspace import Workspace

TINY = {"dim": 32, "depth": 1, "heads": 2, "predictor_dim": 16, "predictor_depth": 1, "max_len": 64}


@pytest.fixture
def trained(git_repo: GitRepo, tmp_path: Path) -> Workspace:
    git_repo.commit("start", {
        "pkg/__init__.py": "",
        "pkg/core.py": "from pkg import util\n\n\nclass Engine:\n    def run(self):\n"
                       "        \"\"\"Run the engine once.\"\"\"\n        return util.helper()\n",
        "pkg/util.py": "def helper():\n    \"\"\"Return the answer.\"\"\"\n    return 42\n\n\n"
                       "def parse_config(text):\n    return dict(l.split('=') for l in text.splitlines())\n",
        "tests/test_core.py": "from pkg.core import Engine\n\n\ndef test_run():\n    assert Engine().run() == 42\n",
        "README.md": "# Demo\n\nAn engine.\n",
    })
    git_repo.commit("together", {"pkg/core.py": "from pkg import util\n\n\nclass Engine:\n    def run(self):\n"
                                 "        return util.helper() + 0\n",
                                 "pkg/util.py": "def helper():\n    return 42\n\n\n"
                                 "def parse_config(text):\n    return dict(l.split('=') for l in text.splitlines())\n"})
    crawl(git_repo.path, tmp_path / "idx")
    ws = Workspace(git_repo.path, tmp_path / "idx")
    ws.train(steps=4, from_scratch=True, enc_overrides=TINY)
    return ws


def test_embed_is_incremental_and_adds_semantic_relations(trained: Workspace) -> None:
    ws = trained
    n_units = ws.store.visible_units(["hash"]).num_rows
    first = ws.embed()
    assert first.units_embedded == len(set(ws.store.visible_units(["hash"])["hash"].to_pylist()))
    assert first.files == 5
    assert ws.store.read(FILE_VECTORS).num_rows == 5
    again = ws.embed()
    assert again.units_embedded == 0 and again.units_reused == first.units_embedded
    # One function changes: one unit (plus the module block it sits in, if any) is encoded again.
    util = ws.root / "pkg/util.py"
    util.write_text(util.read_text().replace("return 42", "return 43"))
    crawl(ws.root, ws.index_dir)
    third = ws.embed()
    assert 1 <= third.units_embedded <= 2
    hashes = set(ws.store.visible_units(["hash"])["hash"].to_pylist())
    stored = set(ws.store.read(UNIT_VECTORS)["hash"].to_pylist())
    assert {k for k in stored if not k.startswith("p:")} == hashes  # dead vectors dropped
    assert {k for k in stored if k.startswith("p:")} == {f"p:{p}" for p in
                                                         ws.store.read("files", ["path"])["path"].to_pylist()}
    assert n_units >= 1


def test_related_gives_reasons(trained: Workspace) -> None:
    trained.embed()
    hits = trained.related("pkg/core.py")
    by_path = {h.path: h for h in hits}
    assert "pkg/util.py" in by_path
    util = by_path["pkg/util.py"]
    assert util.reason in ("temporal", "spatial")
    assert hits[0].path == "pkg/util.py"  # changed together twice and imported
    # the strongest reasons in words (at most two): it is imported and changed together twice
    assert "imports or is imported" in util.detail or "changed together in 2 commits" in util.detail, util
    with pytest.raises(VjepaError, match="outside the workspace"):
        trained.related("/etc/passwd")


def test_search_finds_by_text_and_vectors(trained: Workspace) -> None:
    trained.embed()
    hits = trained.search("parse config")
    # A 4-step model's vectors are noise, so the full-text side must carry this one.
    top = [(h.path, h.name) for h in hits[:3]]
    assert ("pkg/util.py", "parse_config") in top
    target = next(h for h in hits if h.name == "parse_config")
    assert "text rank 1" in target.detail
    assert all(h.reason in ("semantic", "text", "name") for h in hits)
    # Other word forms meet the code through the stemmer: "parsing ... configs" -> parse_config.
    assert trained.search("parsing the configs")[0].name == "parse_config"


def test_cli_related_and_search_json(trained: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(trained.root), "--index-dir", str(trained.index_dir)]
    assert cli_main(["embed", *args, "--quiet"]) == 0
    capsys.readouterr()
    assert cli_main(["related", "pkg/core.py", *args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["path"] == "pkg/util.py" and out[0]["detail"]
    assert cli_main(["search", "parse config", *args, "--json"]) == 0
    assert "parse_config" in [h["name"] for h in json.loads(capsys.readouterr().out)[:3]]


def test_queries_before_a_crawl_say_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "w"
    root.mkdir()
    assert cli_main(["related", "a.py", str(root), "--index-dir", str(tmp_path / "none")]) == 2
    assert "vjepa crawl" in capsys.readouterr().err


def test_shipped_default_model_gives_vectors_on_a_fresh_install(git_repo: GitRepo, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from vjepa_core.model.encoder.encode import embed_queries, embed_units, load_model, model_dim
    from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR

    ckpt = load_model(DEFAULT_MODEL_DIR)
    code = ["def read_json(path):\n    with open(path) as fh:\n        return json.load(fh)\n",
            "def add(a, b):\n    return a + b\n"]
    vecs = embed_units(ckpt, code)
    assert vecs.shape == (2, model_dim(ckpt))
    assert abs(float((vecs[0] - vecs[1]) @ (vecs[0] - vecs[1]))) > 1e-4  # not collapsed to one point
    assert embed_queries(ckpt, ["load a json file"]).shape == (1, model_dim(ckpt))
    # A crawl with no local model embeds with the shipped one.
    git_repo.commit("one", {"a.py": code[0], "b.py": code[1]})
    assert cli_main(["crawl", str(git_repo.path), "--index-dir", str(tmp_path / "idx"), "--json", "-q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["embedded"]["units_embedded"] == 2 and out["embedded"]["files"] == 2


def _module_and_test_habit(git_repo: GitRepo, tmp_path: Path) -> Workspace:
    """A habit: every change to a module comes with a change to its test; crawled."""
    for i in range(12):
        m = i % 3
        git_repo.commit(f"work {i}", {f"src/mod{m}.py": f"def f{m}():\n    return {i}\n",
                                      f"tests/test_mod{m}.py": f"def test_f{m}():\n    assert {i}\n"})
    crawl(git_repo.path, tmp_path / "idx", history=True)
    return Workspace(git_repo.path, tmp_path / "idx")


def test_next_files_after_a_file(git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = _module_and_test_habit(git_repo, tmp_path)
    hits = ws.predict_next(["src/mod1.py"], k=3)
    assert hits[0].path == "tests/test_mod1.py"
    assert all(h.reason in ("temporal", "spatial", "semantic") for h in hits)
    assert cli_main(["next", "--after", "src/mod2.py", str(git_repo.path), "--index-dir", str(tmp_path / "idx"),
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == "tests/test_mod2.py"
    many = ws.predict_next_many(["src/mod0.py", "src/mod1.py"], k=2)
    assert [hits[0].path for hits in many.values()] == ["tests/test_mod0.py", "tests/test_mod1.py"]


def test_next_file_predictor_is_kept_and_learns_new_commits_online(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = _module_and_test_habit(git_repo, tmp_path)
    assert ws.predict_next(["src/mod0.py"], k=3)[0].path == "tests/test_mod0.py"
    fitted = ws.next_predictor()[0]
    # Two new commits pair mod0 with a new doc file: learned online, without a refit.
    for i in range(2):
        git_repo.commit(f"docs {i}", {"src/mod0.py": f"def f0():\n    return {100 + i}\n",
                                      "docs/mod0.md": f"# mod0\n\nv{i}\n"})
    crawl(git_repo.path, tmp_path / "idx", history=True)
    predictor, commits = ws.next_predictor()
    assert predictor is fitted and len(commits) == 14
    assert "docs/mod0.md" in [h.path for h in ws.predict_next(["src/mod0.py"], k=3)]
    # A rewritten history (amend) is not the past the predictor learned: it is fit again.
    git_repo.git("commit", "-q", "--amend", "-m", "rewritten")
    assert ws.next_predictor()[0] is not fitted


def test_local_training_fine_tunes_the_saved_model(trained: Workspace) -> None:
    first = trained.model_dir
    assert first == trained.index_dir / "model"
    trained.train(steps=2)  # fine-tune: loads the saved checkpoint and keeps its tokenizer
    from vjepa_core.model.encoder.checkpoint import load

    assert load(trained.model_dir).encoder_config.dim == TINY["dim"]


def test_related_many_equals_related_one_by_one(trained: Workspace) -> None:
    trained.embed()
    paths = trained.store.read("files", ["path"])["path"].to_pylist()
    many = trained.related_many(paths, k=4)
    assert set(many) == set(paths)
    for p in paths:
        assert many[p] == trained.related(p, 4)
