"""Crawl end to end: real files, real git, real tree-sitter, real LanceDB in temp dirs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from tests.fixtures import GitRepo
from vjepa_core.cli import main as cli_main
from vjepa_core.harvest.walk import (
    SKIP_BINARY,
    SKIP_SPECIAL,
    SKIP_TOO_LARGE,
    SKIP_UNDECODABLE,
    SKIP_UNREADABLE,
    FileEntry,
    read_text,
)
from vjepa_core.index.crawl import crawl
from vjepa_core.index.store import COMPACT_VERSIONS, SCHEMA_VERSION, Store
from vjepa_core.messages import VjepaError


def _units(store: Store) -> set[tuple[str, str, str]]:
    t = store.visible_units(["path", "kind", "name"])
    return set(zip(t["path"].to_pylist(), t["kind"].to_pylist(), t["name"].to_pylist()))


def _rel(store: Store, kind: str) -> set[tuple[str, str]]:
    t = store.read("relations", ["a", "b", "kind"])
    return {(a, b) for a, b, k in zip(t["a"].to_pylist(), t["b"].to_pylist(), t["kind"].to_pylist()) if k == kind}


def _consistent(store: Store) -> None:
    """Every listed text file shows exactly its own units, and no others are visible."""
    files = store.read("files", ["path", "status", "n_units"]).to_pylist()
    units = store.visible_units(["path"])["path"].to_pylist()
    per_path: dict[str, int] = {}
    for p in units:
        per_path[p] = per_path.get(p, 0) + 1
    for row in files:
        assert per_path.get(row["path"], 0) == (row["n_units"] if row["status"] == "ok" else 0), row
    assert set(per_path) <= {r["path"] for r in files}


@pytest.fixture
def project(git_repo: GitRepo) -> GitRepo:
    git_repo.commit("start", {
        "pkg/__init__.py": "",
        "pkg/core.py": "import os\nfrom pkg import util\n\nclass Engine:\n    def run(self):\n        return util.helper()\n",
        "pkg/util.py": "def helper():\n    return 42\n",
        "tests/test_core.py": "from pkg.core import Engine\n\ndef test_run():\n    assert Engine().run() == 42\n",
        "README.md": "# Demo\n\nIntro.\n\n## Usage\n\nRun it.\n",
    })
    git_repo.commit("engine grows", {"pkg/core.py": "import os\nfrom pkg import util\n\nclass Engine:\n"
                     "    def run(self):\n        return util.helper()\n\n    def stop(self):\n        pass\n",
                     "tests/test_core.py": "from pkg.core import Engine\n\ndef test_run():\n    assert Engine().run()\n"})
    git_repo.commit("util tweak", {"pkg/util.py": "def helper():\n    return 43\n", "pkg/core.py":
                     "import os\nfrom pkg import util\n\nclass Engine:\n    def run(self):\n        return util.helper()\n"})
    return git_repo


def test_first_crawl_collects_units_relations_and_skeleton(project: GitRepo, tmp_path: Path) -> None:
    report = crawl(project.path, tmp_path / "idx")
    assert report.files_indexed == 5  # .git is never walked
    store = Store.open(tmp_path / "idx", project.path.resolve())
    units = _units(store)
    assert ("pkg/core.py", "class", "Engine") in units
    assert ("pkg/core.py", "method", "Engine.run") in units
    assert ("pkg/util.py", "function", "helper") in units
    assert ("README.md", "section", "Demo > Usage") in units
    # temporal: core.py changed in 3 commits, 2 of them with util.py and 2 with the test.
    cochange = store.read("relations", ["a", "b", "kind", "count", "weight"]).to_pylist()
    pair = next(r for r in cochange if r["kind"] == "cochange" and (r["a"], r["b"]) == ("pkg/core.py", "pkg/util.py"))
    assert pair["count"] == 2 and pair["weight"] == pytest.approx(2 / 3)
    assert ("pkg/core.py", "pkg/util.py") in _rel(store, "import")
    assert ("tests/test_core.py", "pkg/core.py") in _rel(store, "import")
    assert ("pkg/core.py", "pkg/util.py") in _rel(store, "same_dir")
    assert {("pkg/core.py", "tests/test_core.py")} <= _rel(store, "sibling")
    assert report.by_pattern()["temporal"] > 0 and report.by_pattern()["spatial"] > 0
    dirs = store.read("dirs").to_pylist()
    assert {d["path"] for d in dirs} == {"", "pkg", "tests"}
    assert next(d for d in dirs if d["path"] == "pkg")["n_files"] == 3
    assert report.languages["python"] == 4 and report.languages["markdown"] == 1
    _consistent(store)


def test_incremental_recrawl_changed_added_deleted_renamed(project: GitRepo, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    crawl(project.path, idx, history=False)
    again = crawl(project.path, idx, history=False)
    assert (again.new, again.changed, again.deleted) == (0, 0, 0)
    assert again.unchanged == again.files_seen

    root = project.path
    (root / "pkg/util.py").write_text("def helper():\n    return 1\n\ndef other():\n    return 2\n")
    (root / "pkg/extra.py").write_text("class Extra:\n    pass\n")
    (root / "README.md").unlink()
    (root / "tests/test_core.py").rename(root / "tests/test_engine.py")
    os.utime(root / "pkg/__init__.py")  # touched, same content: not re-parsed
    report = crawl(root, idx, history=False)
    assert (report.new, report.changed, report.deleted) == (2, 1, 2)
    store = Store.open(idx, root.resolve())
    units = _units(store)
    assert ("pkg/util.py", "function", "other") in units
    assert ("pkg/extra.py", "class", "Extra") in units
    assert not any(p in ("README.md", "tests/test_core.py") for p, _, _ in units)
    assert ("tests/test_engine.py", "function", "test_run") in units
    assert sum(1 for p, _, n in units if (p, n) == ("pkg/util.py", "helper")) == 1  # old version gone
    _consistent(store)


def test_an_index_inside_the_workspace_is_never_crawled(project: GitRepo) -> None:
    # An editor may keep the index in the workspace (indexDir: ${workspaceFolder}/.vjepa).
    idx = project.path / ".vjepa" / "index"
    first = crawl(project.path, idx, history=False)
    again = crawl(project.path, idx, history=False)
    assert (again.new, again.changed, again.deleted) == (0, 0, 0)
    assert again.files_seen == first.files_seen
    store = Store.open(idx, project.path.resolve())
    assert not any(p.startswith(".vjepa/") for p in store.file_rows())
    assert not any(p.startswith(".vjepa/") for p in first.skipped_paths)


def test_bad_files_are_skipped_with_reasons_and_decodable_text_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    (root / "blob.dat").write_bytes(b"\x00\x01\x02binary\x00" * 100)
    (root / "image.png").write_bytes(b"\x89PNG\r\n")
    (root / "huge.txt").write_text("line\n" * 5000)
    (root / "latin.txt").write_bytes("caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve r\xe9sum\xe9\n".encode("latin-1") * 3)
    import random
    rnd = random.Random(1)
    (root / "noise.txt").write_bytes(bytes(rnd.randrange(1, 256) for _ in range(3000)))
    (root / "ok.py").write_text("def f():\n    return 'ok'\n")
    report = crawl(root, tmp_path / "idx", max_bytes=10_000, history=False)
    assert report.skipped[SKIP_BINARY] == 2
    assert report.skipped[SKIP_TOO_LARGE] == 1
    assert report.skipped[SKIP_UNDECODABLE] == 1
    store = Store.open(tmp_path / "idx", root.resolve())
    latin = store.visible_units(["text"], where="path = 'latin.txt'")["text"].to_pylist()
    assert latin and "caf" in latin[0] and "r" in latin[0]
    rows = {r["path"]: r["status"] for r in store.read("files", ["path", "status"]).to_pylist()}
    assert rows["huge.txt"] == SKIP_TOO_LARGE and rows["ok.py"] == "ok"


def test_vanished_and_special_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    (root / "ok.py").write_text("x = 1\n")
    os.mkfifo(root / "pipe")  # reading it would block forever
    gone = root / "gone.py"
    gone.write_text("y = 2\n")
    entry = FileEntry("gone.py", str(gone), 6, 0)
    gone.unlink()  # deleted between the walk and the read
    assert read_text(entry).skip == SKIP_UNREADABLE
    report = crawl(root, tmp_path / "idx", history=False)
    assert report.skipped[SKIP_SPECIAL] == 1
    assert report.files_indexed == 1


def test_schema_mismatch_and_other_root_give_clear_errors(project: GitRepo, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    crawl(project.path, idx, history=False)
    store = Store.open(idx, project.path.resolve())
    store.set_meta(schema_version=str(SCHEMA_VERSION + 7))
    with pytest.raises(VjepaError) as err:
        crawl(project.path, idx)
    assert f"schema {SCHEMA_VERSION + 7}" in str(err.value) and "--rebuild" in str(err.value)
    fresh = crawl(project.path, idx, rebuild=True, history=False)
    assert fresh.files_indexed == 5
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(VjepaError, match="belongs to"):
        crawl(other, idx)


def test_index_does_not_bloat_with_versions(project: GitRepo, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    peak = 0
    for i in range(12):  # every crawl writes new versions; compaction must keep them bounded
        (project.path / f"gen{i % 3}.py").write_text(f"def g{i}():\n    return {i}\n")
        crawl(project.path, idx, history=False)
        store = Store.open(idx, project.path.resolve())
        peak = max(peak, *(len(store.table(n).list_versions()) for n in ("files", "units", "relations")))
    assert peak <= COMPACT_VERSIONS + 4
    store.compact(force=True)
    for name in ("files", "units", "relations"):
        assert len(store.table(name).list_versions()) == 1, name
    _consistent(store)


def _big_workspace(root: Path, n: int) -> None:
    for i in range(n):
        d = root / f"m{i % 20}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.py").write_text(f"class C{i}:\n    def a(self):\n        return {i}\n\ndef f{i}():\n    pass\n")


def test_crawl_killed_midway_is_repaired_by_the_next(tmp_path: Path) -> None:
    root = tmp_path / "w"
    _big_workspace(root, 600)
    idx = tmp_path / "idx"
    env = {**os.environ, "VJEPA_CRAWL_BATCH": "40"}
    cmd = [sys.executable, "-m", "vjepa_core.cli", "crawl", str(root), "--index-dir", str(idx), "--quiet"]
    killed = 0
    for delay in (1.5, 2.5, 3.5):
        # Modify some files between attempts so later attempts rewrite existing units too.
        for i in range(0, 600, 7):
            (root / f"m{i % 20}" / f"f{i}.py").write_text(f"def changed{i}_{delay}():\n    return {i}\n")
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        if (idx / "meta.lance").exists():
            _consistent(Store.open(idx, root.resolve()))
    assert killed >= 1, "the crawl finished before it could be killed; make the workspace bigger"
    crawl(root, idx, history=False)
    store = Store.open(idx, root.resolve())
    _consistent(store)
    reference = crawl(root, tmp_path / "ref", history=False)
    ref_store = Store.open(tmp_path / "ref", root.resolve())
    assert _units(store) == _units(ref_store)
    assert store.visible_units(["path"]).num_rows == store.read("units", ["path"]).num_rows == reference.units


def test_cli_crawl_and_status(project: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    idx = tmp_path / "idx"
    assert cli_main(["crawl", str(project.path), "--index-dir", str(idx), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files_indexed"] == 5 and out["units"] > 0 and out["relations_by_pattern"]["temporal"] > 0
    assert cli_main(["status", str(project.path), "--index-dir", str(idx), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["tables"]["files"] == 5 and status["schema_version"] == str(SCHEMA_VERSION)
    assert status["model"].startswith("static code encoder (256-d, no BLAS needed), the shipped default")
    assert status["next_file"].startswith("not fit yet: the lenses rank by co-change and recency")
    assert cli_main(["crawl", "/etc", "--index-dir", str(idx)]) == 2
    assert "system location" in capsys.readouterr().err


def test_cli_crawl_prints_kind_summary(project: GitRepo, tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "vjepa_core.cli", "crawl", str(project.path), "--index-dir",
                          str(tmp_path / "idx")], capture_output=True, text=True, check=True)
    assert "Hello!" in res.stderr and "All done!" in res.stderr
    assert "code units" in res.stdout and "relations" in res.stdout
    quiet = subprocess.run([sys.executable, "-m", "vjepa_core.cli", "crawl", str(project.path), "--index-dir",
                            str(tmp_path / "idx"), "--quiet"], capture_output=True, text=True, check=True)
    assert "Hello!" not in quiet.stderr and "code units" in quiet.stdout


def test_events_table_accepts_editor_events(project: GitRepo, tmp_path: Path) -> None:
    crawl(project.path, tmp_path / "idx", history=False)
    store = Store.open(tmp_path / "idx", project.path.resolve())
    store.add_events(pa.table({"time_ms": [1, 2], "path": ["pkg/core.py", "pkg/util.py"],
                               "kind": ["open", "save"], "source": ["test", "test"]}))
    assert store.read("events")["path"].to_pylist() == ["pkg/core.py", "pkg/util.py"]


def test_same_size_same_mtime_edit_right_after_a_crawl_is_seen(project: GitRepo, tmp_path: Path) -> None:
    """The racy-clean case: an edit within the mtime granularity of the last crawl."""
    idx = tmp_path / "idx"
    crawl(project.path, idx, history=False)
    util = project.path / "pkg/util.py"
    st = util.stat()
    util.write_text(util.read_text().replace("43", "44"))  # same size
    os.utime(util, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same mtime
    report = crawl(project.path, idx, history=False)
    assert report.changed == 1
    store = Store.open(idx, project.path.resolve())
    text = store.visible_units(["text"], where="path = 'pkg/util.py'")["text"].to_pylist()
    assert any("return 44" in t for t in text)
