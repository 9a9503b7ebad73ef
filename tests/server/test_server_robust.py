"""End to end over stdio: a file deleted mid-index, and a restart after `kill -9` mid-index, each
ending with the index consistent (as a clean crawl would leave it) and the server serving.
(Malformed params: test_server.py::test_refusals_and_malformed_params; malformed requests of every
kind: test_malformed.py.)"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from tests.fixtures import GitRepo
from tests.server.lsp import command, indexed, session, start, until, uri
from vjepa_core.index.crawl import crawl
from vjepa_core.index.store import Store, default_index_dir

MANY = 150  # files: the first index reports progress many times, then embeds for a second or more


@pytest.fixture
def big_repo(git_repo: GitRepo) -> GitRepo:
    files: dict[str, str | bytes | None] = {
        f"pkg{i % 8}/mod_{i:04d}.py": f"def function_{i}(x):\n    return x + {i}\n"
        for i in range(MANY)}
    git_repo.commit("many files", files)
    git_repo.commit("two change", {"pkg0/mod_0000.py": "def function_0(x):\n    return x\n",
                                   "pkg1/mod_0001.py": "def function_1(x):\n    return -x\n"})
    return git_repo


def snapshot(index_dir: Path, root: Path) -> dict[str, Any]:
    """What a reader sees: file rows, visible units, all units (orphans included) and relations."""
    store = Store.open(index_dir, root, create=False)
    files = {r["path"]: (r["hash"], r["status"], r["n_units"]) for r in store.read("files").to_pylist()}
    visible = sorted((r["path"], r["name"], r["hash"]) for r in store.visible_units().to_pylist())
    # Semantic relations come from the server's embedding step, which a plain crawl leaves out.
    relations = sorted((r["a"], r["b"], r["kind"]) for r in store.read("relations").to_pylist()
                       if r["pattern"] != "semantic")
    return {"files": files, "units": visible, "all_units": store.count("units"), "relations": relations}


def clean_crawl(repo: GitRepo, tmp_path: Path) -> dict[str, Any]:
    crawl(repo.path, tmp_path / "clean")
    return snapshot(tmp_path / "clean", repo.path)


def server_index(repo: GitRepo, tmp_path: Path) -> Path:
    return tmp_path / "index" / default_index_dir(repo.path).name


def in_progress(client: Any) -> bool:
    """The first crawl has reported some progress and not ended."""
    for reports in client.progress_reports.values():
        if any(r.kind == "end" for r in reports):
            return False
        if any(r.kind == "report" and 0 < (r.percentage or 0) < 50 for r in reports):
            return True
    return False


def idle(client: Any) -> bool:
    return bool(client.statuses) and client.statuses[-1]["state"] == "idle"


@pytest.mark.asyncio
async def test_file_deleted_mid_index_leaves_a_consistent_index(big_repo: GitRepo, tmp_path: Path) -> None:
    last = max(i for i in range(MANY) if i % 8 == 7)
    victim = big_repo.path / f"pkg7/mod_{last:04d}.py"  # the walk reads it last
    async with session(big_repo, tmp_path, options={"trustWorkspace": True, "kindMessages": False,
                                                    "watchDebounceMs": 50}) as client:
        await until(lambda: in_progress(client), timeout=90)
        victim.unlink()
        assert in_progress(client)  # deleted while the first crawl was running
        index = server_index(big_repo, tmp_path)

        def settled() -> bool:  # the watcher saw the deletion and its re-crawl has ended
            ends = sum(1 for r in client.progress_reports.values() if r and r[-1].kind == "end")
            return ends == 2 and idle(client) and any("watch: " in m.message for m in client.log_messages)

        await until(settled, timeout=90)
        assert client.statuses[-1]["files"] == MANY - 1
        got = snapshot(index, big_repo.path)
        assert str(victim.relative_to(big_repo.path)) not in got["files"]
        assert got == clean_crawl(big_repo, tmp_path)
        with pytest.raises(JsonRpcException):  # not in the index: no file, no answer from it
            await command(client, "vjepa.predictNext", str(victim))
        assert (await command(client, "vjepa.relatedFiles", "pkg0/mod_0000.py"))[0]["path"] == "pkg1/mod_0001.py"


@pytest.mark.asyncio
async def test_restart_after_kill_9_mid_index(big_repo: GitRepo, tmp_path: Path) -> None:
    options = {"trustWorkspace": True, "kindMessages": False}
    client = await start(big_repo, tmp_path, options=options)
    try:
        await until(lambda: in_progress(client), timeout=90)
        os.kill(client._server.pid, signal.SIGKILL)  # type: ignore[union-attr]
        await client._server.wait()  # type: ignore[union-attr]
        assert not any(r and r[-1].kind == "end" for r in client.progress_reports.values())  # it died mid-crawl
    finally:
        with contextlib.suppress(Exception):
            await client.stop()
    index = server_index(big_repo, tmp_path)
    assert index.is_dir()
    # A new server on the same index ends with what a clean crawl gives.
    async with session(big_repo, tmp_path, options=options) as client:
        await until(lambda: indexed(client) and idle(client), timeout=90)
        got = snapshot(index, big_repo.path)
        assert got["all_units"] == len(got["units"])  # no orphans left by the killed crawl
        assert got == clean_crawl(big_repo, tmp_path)
        assert client.statuses[-1]["files"] == MANY
        lenses = await client.text_document_code_lens_async(types_lens(big_repo, "pkg0/mod_0000.py"))
        assert lenses and lenses[0].command.title == "Related: pkg1/mod_0001.py"


def types_lens(repo: GitRepo, rel: str) -> Any:
    from lsprotocol import types

    return types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, rel)))
