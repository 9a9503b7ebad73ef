"""Purge: a file's old text leaves the index files on disk after the crawl (or save) that removed it.

LanceDB's delete only marks rows, compaction leaves a table whose few deleted rows share one
fragment as it is, and old versions keep every row: so these tests grep every byte of every file
under the index folder, not the tables. The other files are many, so the removed rows are a small
share of their fragment (the case compaction alone leaves on disk).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import FAKE_AWS, GitRepo
from vjepa_core.index.crawl import crawl
from vjepa_core.index.store import Store
from vjepa_core.workspace import Workspace

# Built at run time, so that this file itself never matches the grep.
CANARY = "zq" + "PURGE" + "canary" + str(7 * 1031)
NOTES = "app/notes.py"
NOTES_TEXT = ('def keep():\n    """Stays."""\n    return 1\n\n\n'
              f'def talk():\n    """Goes."""\n    return "{CANARY}"\n')


def _raw_index_bytes(index_dir: Path) -> bytes:
    """Every byte of every file under the index folder."""
    return b"".join(p.read_bytes() for p in sorted(index_dir.rglob("*")) if p.is_file())


def _on_disk(index_dir: Path) -> bool:
    return CANARY.encode() in _raw_index_bytes(index_dir)


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    files = {f"app/m{i}.py": f'def f{i}():\n    """Module {i}."""\n    return {i}\n\n\nclass C{i}:\n'
                               f'    def run(self):\n        return f{i}()\n' for i in range(40)}
    git_repo.commit("start", {**files, NOTES: NOTES_TEXT, "README.md": "# Demo\n\nNotes and modules.\n"})
    return git_repo


@pytest.mark.parametrize("how", ["vjepaignore", "exclude", "line removed", "deleted", "now holds a secret"])
def test_a_removed_text_is_gone_from_every_index_file_after_the_crawl(how: str, repo: GitRepo, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    ws = Workspace(repo.path, idx)
    ws.index()  # crawl and embed: the vector tables are on disk too
    assert _on_disk(idx)  # the grep sees the text while it is indexed
    exclude: list[str] = []
    if how == "vjepaignore":
        repo.write(".vjepaignore", f"{NOTES}\n")
    elif how == "exclude":
        exclude = [NOTES]
    elif how == "line removed":
        repo.write(NOTES, NOTES_TEXT.split("\n\n\ndef talk")[0] + "\n")
    elif how == "deleted":
        (repo.path / NOTES).unlink()
    else:
        repo.write(NOTES, NOTES_TEXT + f'\nKEY_ID = "{FAKE_AWS}"\n')
    report, _ = ws.index(exclude=exclude)
    assert report.purged
    assert not _on_disk(idx), how
    texts = ws.store.visible_units(["text"])["text"].to_pylist()
    assert texts and not any(CANARY in t for t in texts)
    if how == "line removed":
        assert any(t.startswith("def keep") for t in ws.store.visible_units(["text"], where=f"path = '{NOTES}'")
                   ["text"].to_pylist())
    else:
        assert NOTES not in ws.store.file_rows()
        assert NOTES not in set(ws.store.read("relations", ["a"])["a"].to_pylist())
        assert NOTES not in set(ws.store.read("file_vectors", ["path"])["path"].to_pylist())
    if how == "now holds a secret":
        assert FAKE_AWS.encode() not in _raw_index_bytes(idx)
        assert [p for p, _ in ws.secret_skips()] == [NOTES]


def test_a_save_that_removes_a_line_leaves_no_trace_of_it(repo: GitRepo, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    ws = Workspace(repo.path, idx)
    ws.index()
    assert _on_disk(idx)
    repo.write(NOTES, NOTES_TEXT.split("\n\n\ndef talk")[0] + "\n")
    touched = ws.update_files([NOTES])
    assert touched is not None and NOTES in touched  # the fast path, not the full crawl
    assert not _on_disk(idx)
    names = ws.store.visible_units(["name"], where=f"path = '{NOTES}'")["name"].to_pylist()
    assert names == ["keep"]


def test_an_unchanged_crawl_writes_nothing_anew(repo: GitRepo, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    crawl(repo.path, idx, history=False)
    assert not crawl(repo.path, idx, history=False).purged  # nothing removed: no rewrite


def test_a_purge_cut_short_is_finished_by_the_next_crawl(repo: GitRepo, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    crawl(repo.path, idx, history=False)
    (repo.path / NOTES).unlink()
    killed = Store.open(idx, repo.path.resolve())
    killed.delete_paths([NOTES])  # ... and the process dies before its purge
    assert killed.meta()["purge"] == "pending" and _on_disk(idx)
    report = crawl(repo.path, idx, history=False)  # nothing left to delete: only the mark says so
    assert report.deleted == 0 and report.purged
    assert not _on_disk(idx)
    assert Store.open(idx, repo.path.resolve()).meta()["purge"] == ""


def test_a_scan_reads_every_row_once_a_page_at_a_time_at_one_version(repo: GitRepo, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`Store.scan` (the purge's rewrite, the embedding's and the search snapshot's full reads): pages
    of SCAN_ROWS rows by offset, each row once, all at the version the scan began at."""
    import vjepa_core.index.store as store_module

    idx = tmp_path / "idx"
    crawl(repo.path, idx, history=False)
    store = Store.open(idx, repo.path.resolve())
    want = sorted(zip(*(store.read("units", ["path", "hash"])[c].to_pylist() for c in ("path", "hash"))))
    assert len(want) > 50
    monkeypatch.setattr(store_module, "SCAN_ROWS", 7)
    pages = store.scan("units", ["path", "hash"])
    first = next(pages)
    assert first.num_rows == 7 and first.schema.names == ["path", "hash"]
    store.table("units").delete("path = 'app/m0.py'")  # a write while the scan runs: not seen by it
    batches = [first, *pages]
    assert all(b.num_rows <= 7 for b in batches)
    got = [(p, h) for b in batches for p, h in zip(b.column(0).to_pylist(), b.column(1).to_pylist())]
    assert sorted(got) == want  # each row once, as the version the scan began at had them
