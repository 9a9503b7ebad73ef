"""Search ranking through a real index: a definition's name, the unit's file, the persisted snapshot.

Real crawl, real LanceDB in temp dirs, the shipped static encoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures import GitRepo
from vjepa_core.messages import VjepaError
from vjepa_core.queries import snapshot
from vjepa_core.queries.ranking import Candidates, _best_other, name_scores, query_kind
from vjepa_core.queries.search import top
from vjepa_core.workspace import Workspace

SESSIONS = '''"""Sessions keep settings across requests."""


class SessionRedirectMixin:
    def resolve_redirects(self, resp, req):
        """Follow the Location header of a redirect response."""
        return self.send(req)


class Session(SessionRedirectMixin):
    """A Session keeps cookies and connection pools between requests."""

    def __init__(self):
        self.cookies = {}
        self.session_adapters = {}

    def request(self, method, url):
        """Build a request for the session and send it."""
        return self.send(self.prepare(method, url))

    def send(self, request):
        """Send a prepared request through the session's adapter."""
        return self.session_adapters["http"].send(request)

    def close(self):
        """Close every adapter of the session."""
        for adapter in self.session_adapters.values():
            adapter.close()


def session():
    """Return a new Session (deprecated spelling)."""
    return Session()
'''

GZIP = '''import zlib


class GZipDecoder:
    """Decompress a gzip-encoded response body."""

    def __init__(self):
        self.decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def decode(self, data):
        return self.decompressor.decompress(data)
'''

TESTS = '''from pkg.sessions import Session


def test_session_send_and_session_close():
    session = Session()
    session.close()
    assert session.session_adapters == {}


def test_gzip_decoder_decodes_gzip():
    assert GZipDecoder().decode(b"") == b""
'''


@pytest.fixture
def ws(git_repo: GitRepo, tmp_path: Path) -> Workspace:
    git_repo.commit("start", {"pkg/__init__.py": "", "pkg/sessions.py": SESSIONS, "pkg/decoders.py": GZIP,
                              "tests/test_sessions.py": TESTS})
    workspace = Workspace(git_repo.path, tmp_path / "idx")
    workspace.index()
    return workspace


def test_query_kind() -> None:
    for q in ("Session", "Client.send", "url_for()", "std::fs::read", "res#redirect", "  GZipDecoder "):
        assert query_kind(q) == "symbol", q
    for q in ("decode gzip response", "how are sessions closed", "Session close", ""):
        assert query_kind(q) == "text", q


def test_a_class_ranks_above_its_methods_for_its_name(ws: Workspace) -> None:
    hits = ws.search("Session", k=5)
    assert (hits[0].path, hits[0].name) == ("pkg/sessions.py", "Session")
    assert hits[0].reason == "name"
    names = [h.name for h in hits]
    assert names.index("Session") < min(names.index(n) for n in names if n.startswith("Session."))


def test_the_query_s_own_letter_case_picks_the_name(ws: Workspace) -> None:
    # `session()` and `Session` are two names: each query finds its own first, whatever the words say.
    assert ws.search("Session", k=2)[0].name == "Session"
    assert ws.search("session", k=2)[0].name == "session"
    cands = Candidates(["m.py"] * 2, ["session", "Session"], ["function", "class"])
    scores = name_scores("Session", cands)
    assert scores[1] - scores[0] >= 10.0  # more than the words and the cosine can move (z-scores)


def test_a_method_name_finds_the_method(ws: Workspace) -> None:
    assert ws.search("send", k=3)[0].name == "Session.send"
    assert ws.search("Session.close", k=3)[0].name == "Session.close"


def test_tests_step_back_unless_asked_for(ws: Workspace) -> None:
    top = ws.search("decode gzip data", k=3)
    assert top[0].path == "pkg/decoders.py"
    asked = ws.search("tests for the gzip decoder", k=3)
    assert "tests/test_sessions.py" in [h.path for h in asked]


def test_an_empty_query_is_an_error(ws: Workspace) -> None:
    for q in ("", "   \n"):
        with pytest.raises(VjepaError, match="empty"):
            ws.search(q)


def test_the_snapshot_survives_a_restart(ws: Workspace) -> None:
    folder = ws.index_dir / snapshot.FOLDER
    current = json.loads((folder / "current.json").read_text())
    stamp = (folder / current["key"] / "rows.arrow").stat().st_mtime_ns
    first = ws.search("close the adapters")
    snapshot._CACHE.clear()  # as a new process finds it
    again = Workspace(ws.root, ws.index_dir)
    assert [(h.path, h.name) for h in again.search("close the adapters")] == [(h.path, h.name) for h in first]
    assert json.loads((folder / "current.json").read_text()) == current  # loaded, not rebuilt
    assert (folder / current["key"] / "rows.arrow").stat().st_mtime_ns == stamp


def test_the_snapshot_follows_a_save(ws: Workspace) -> None:
    ws.search("Session")
    assert str(ws.index_dir) in snapshot._CACHE  # loaded by the query
    (ws.root / "pkg/decoders.py").write_text(GZIP.replace("GZipDecoder", "BrotliDecoder")
                                             .replace("gzip-encoded", "brotli-encoded"))
    assert ws.update_files(["pkg/decoders.py"]) is not None
    assert str(ws.index_dir) not in snapshot._CACHE  # stale after the write: not kept in memory till a query
    hits = ws.search("BrotliDecoder", k=3)
    assert hits[0].name == "BrotliDecoder"
    assert "GZipDecoder" not in [h.name for h in ws.search("GZipDecoder", k=20)]


def test_a_damaged_snapshot_is_rebuilt(ws: Workspace) -> None:
    folder = ws.index_dir / snapshot.FOLDER
    key = json.loads((folder / "current.json").read_text())["key"]
    (folder / key / "rows.arrow").write_bytes(b"not arrow")
    snapshot._CACHE.clear()
    assert Workspace(ws.root, ws.index_dir).search("Session")[0].name == "Session"


def test_best_other_is_the_best_of_the_rest_of_the_file() -> None:
    cands = Candidates(["a", "a", "a", "b", "c", "c"], ["x"] * 6, ["function"] * 6)
    got = _best_other(np.array([3.0, 1.0, 2.0, 5.0, 4.0, 4.0]), cands.file_of, cands.n_files)
    np.testing.assert_array_equal(got, [2.0, 3.0, 3.0, 0.0, 4.0, 4.0])


def test_name_scores_grade_each_name_by_how_it_holds_the_query() -> None:
    # The exact name (its own case first), a member of that name, a name that merely contains
    # it, in that order; a name that holds it twice counts once, at its best.
    cands = Candidates(["m.py"] * 6, ["Session", "session", "Client.session", "SessionMixin", "make_session_session",
                                      "Other"], ["class", "function", "method", "class", "function", "class"])
    got = name_scores("Session", cands)
    assert got[0] > got[1] > got[2] > got[3] == got[4] > got[5] == 0
    assert name_scores("client.session", cands).tolist()[2] == max(name_scores("client.session", cands))
    spelled = Candidates(["m.py"] * 3, ["read_settings", "read", "write_settings"], ["function"] * 3)
    assert name_scores("read the settings", spelled).argmax() == 0


def test_top_k_is_a_stable_sort_s_first_k() -> None:
    rng = np.random.default_rng(0)
    for trial in range(300):
        scores = rng.integers(0, 4, int(rng.integers(0, 40))).astype(np.float32)
        k = int(rng.integers(0, 12))
        assert top(scores, k) == np.argsort(-scores, kind="stable")[:k].tolist(), (scores, k)
