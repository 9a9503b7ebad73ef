"""A search in a new process answers from the snapshot on disk without opening the index (no LanceDB
import), and only while the snapshot matches the tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures import GitRepo, mapped_ranges
from vjepa_core.queries import snapshot
from vjepa_core.workspace import Workspace

PROBE = """
import json, sys
from vjepa_core.workspace import Workspace
hits = Workspace(sys.argv[1], sys.argv[2]).search("parse the settings", 3)
print(json.dumps({"paths": [h.path for h in hits], "lancedb": "lancedb" in sys.modules}))
"""


def _indexed(git_repo: GitRepo, idx: Path) -> Workspace:
    git_repo.commit("start", {"app/settings.py": "def parse_settings(text):\n    \"\"\"Parse the settings.\"\"\"\n"
                                                 "    return dict(l.split('=') for l in text.splitlines())\n",
                              "app/render.py": "def render(page):\n    return page.upper()\n"})
    ws = Workspace(git_repo.path, idx)
    ws.index()
    return ws


def _probe(git_repo: GitRepo, idx: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, str(git_repo.path), str(idx)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_fresh_process_searches_without_opening_the_index(git_repo: GitRepo, tmp_path: Path) -> None:
    ws = _indexed(git_repo, tmp_path / "idx")
    assert snapshot.on_disk(tmp_path / "idx") is not None
    answer = _probe(git_repo, tmp_path / "idx")
    assert answer["paths"][0] == "app/settings.py" and answer["lancedb"] is False
    # The same answer as the index opened
    assert [h.path for h in ws.search("parse the settings", 3)] == answer["paths"]


def test_a_stale_snapshot_is_not_used(git_repo: GitRepo, tmp_path: Path) -> None:
    _indexed(git_repo, tmp_path / "idx")
    pointer = tmp_path / "idx" / "search" / "current.json"
    data = json.loads(pointer.read_text())
    pointer.write_text(json.dumps({**data, "key": "u1-f1"}))  # as if the tables had moved on since
    assert snapshot.on_disk(tmp_path / "idx") is None
    answer = _probe(git_repo, tmp_path / "idx")  # the index is opened and the snapshot rebuilt
    assert answer["paths"][0] == "app/settings.py" and answer["lancedb"] is True
    assert snapshot.on_disk(tmp_path / "idx") is not None


def test_a_rebuilt_snapshot_is_kept_as_mapped_from_disk(git_repo: GitRepo, tmp_path: Path) -> None:
    """A long-lived process that rebuilds the snapshot (the first query after a save) keeps the copy
    it wrote, mapped, not the one it built with every unit's terms in memory (~45 MB on 5,000 files)."""
    ws = _indexed(git_repo, tmp_path / "idx")
    (git_repo.path / "app/render.py").write_text("def render(page):\n    return page.lower()\n")
    assert ws.update_files(["app/render.py"]) is not None
    snap = snapshot.get(ws.store)  # stale after the save: rebuilt here
    assert snap.key == snapshot.snapshot_key(ws.store)
    ranges = mapped_ranges((tmp_path / "idx" / "search" / snap.key / "rows.arrow").resolve())
    terms = snap.rows.column("terms").chunk(0).buffers()[-1]  # the terms' characters
    assert ranges and any(start <= terms.address < end for start, end in ranges)
    assert ws.search("parse the settings", 3)[0].path == "app/settings.py"
