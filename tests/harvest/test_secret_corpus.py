"""No secret of a broad corpus (196 in 67 formats, tests/harvest/secret_corpus.py) reaches the index:
not the tables, not the raw index files, not search, not the language server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types

from tests.fixtures import GitRepo
from tests.server.lsp import indexed, session, until
from vjepa_core.bench.secret_corpus import corpus
from vjepa_core.bench.secret_formats import Case
from vjepa_core.harvest.safety import denied_name
from vjepa_core.harvest.secrets import find_secret
from vjepa_core.workspace import Workspace

CASES = corpus(0)
MARK = "vjepa_corpus_case"  # an ordinary word in every planted file, so that search has something to find


def _rel(i: int, case: Case) -> str:
    return f"case{i:03d}/{case.filename}"


def _plant(root: Path) -> dict[str, Case]:
    planted = {}
    for i, case in enumerate(CASES):
        rel = _rel(i, case)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(case.text + f"\n# {MARK}\n", encoding="utf-8")
        planted[rel] = case
    (root / "clean.py").write_text(f"def {MARK}_helper(x):\n    return x + 1\n", encoding="utf-8")
    return planted


def _needles(case: Case) -> list[bytes]:
    """The value as written, and as JSON writes it (notebooks, JSON configs escape it)."""
    escaped = json.dumps(case.secret)[1:-1]
    return sorted({case.secret.encode(), escaped.encode()})


def test_the_corpus_is_broad() -> None:
    assert len(CASES) >= 150
    assert len({c.family for c in CASES}) >= 40


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}-{c.family}" for i, c in enumerate(CASES)])
def test_every_corpus_secret_is_caught(case: Case) -> None:
    assert find_secret(case.text) is not None


@pytest.fixture(scope="module")
def planted_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, Case]]:
    root = tmp_path_factory.mktemp("corpus") / "ws"
    root.mkdir()
    planted = _plant(root)
    ws = Workspace(root, root.parent / "index")
    ws.index()
    return ws, planted


def test_no_corpus_secret_is_stored(planted_index: tuple[Workspace, dict[str, Case]]) -> None:
    ws, planted = planted_index
    files = set(ws.store.read("files", ["path"])["path"].to_pylist())
    assert "clean.py" in files
    assert files & set(planted) == set()
    units = "\n".join(ws.store.read("units", ["text"])["text"].to_pylist())
    raw = b"".join(p.read_bytes() for p in ws.index_dir.rglob("*") if p.is_file())
    for rel, case in planted.items():
        assert case.secret not in units, rel
        assert not any(n in raw for n in _needles(case)), rel


def test_every_skip_is_listed_without_its_value(planted_index: tuple[Workspace, dict[str, Case]]) -> None:
    ws, planted = planted_index
    skips = {s.path: s.family for s in ws.secret_skips()}
    readable = {rel for rel in planted if denied_name(rel) is None}  # denied names are never even read
    assert readable <= set(skips)
    for rel, family in skips.items():
        assert family and planted[rel].secret not in family


def test_search_never_returns_a_corpus_file(planted_index: tuple[Workspace, dict[str, Case]]) -> None:
    ws, planted = planted_index
    assert any(h.path == "clean.py" for h in ws.search(MARK))
    for case in CASES:
        assert {h.path for h in ws.search(case.secret, 20)} & set(planted) == set()


@pytest.mark.asyncio
async def test_the_language_server_never_returns_a_corpus_file(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    planted = _plant(repo.path)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "corpus")
    async with session(repo, tmp_path, answer="Allow") as client:
        await until(lambda: indexed(client), timeout=120)
        symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=MARK))
        assert symbols and all("/case" not in s.location.uri for s in symbols)
        for case in CASES[::7]:
            found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=case.secret))
            assert not any(rel in s.location.uri for s in found or [] for rel in planted)
