"""Files skipped as secrets are listed (path and rule family, never the value) by `vjepa crawl` and
`vjepa status`, and `.vjepaallow` lets a false alarm in; a denied name stays denied whatever it says.
Through `vjepa_core.cli.main`, on real files and a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import FAKE_AWS, OpenRecorder
from vjepa_core.cli import main
from vjepa_core.harvest.secrets import find_secret
from vjepa_core.index.crawl import update_files
from vjepa_core.workspace import Workspace

SETTINGS = "config/settings.py"
# The test data of an HTTP client: a false alarm, with a word to search for.
SETTINGS_TEXT = f'def zebrafruit_login():\n    """Sign in with the sample key."""\n    return "{FAKE_AWS}"\n'
CANARY = "zq" + "ENVcanary" + str(3 * 1009)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _raw_index_bytes(index_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(index_dir.rglob("*")) if p.is_file())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "w"
    (root / "config").mkdir(parents=True)
    (root / "app.py").write_text('def main():\n    """Start."""\n    return 1\n')
    (root / SETTINGS).write_text(SETTINGS_TEXT)
    (root / ".env").write_text(f"TOKEN={CANARY}\n")  # a denied name: never opened, allowed or not
    return root


def test_a_skipped_secret_is_listed_then_allowed_and_indexed(workspace: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str],
                                                             record_opens: OpenRecorder) -> None:
    idx = str(tmp_path / "idx")
    root = str(workspace)
    family = find_secret(SETTINGS_TEXT)
    assert family
    crawl_args = ("crawl", root, "--index-dir", idx, "--no-history", "--no-embed", "--quiet")

    report = json.loads(_run(capsys, *crawl_args, "--json"))
    assert report["secret_skips"] == [{"path": SETTINGS, "family": family}]
    assert report["files_indexed"] == 1
    shown = _run(capsys, *crawl_args)
    assert f"{SETTINGS} ({family})" in shown and ".vjepaallow" in shown
    status = _run(capsys, "status", root, "--index-dir", idx)
    assert f"{SETTINGS} ({family})" in status and ".vjepaallow" in status
    listed = json.loads(_run(capsys, "status", root, "--index-dir", idx, "--json"))["secret_skips"]
    assert listed == [{"path": SETTINGS, "family": family}]
    assert FAKE_AWS not in report and FAKE_AWS not in shown + status  # never the value
    assert FAKE_AWS.encode() not in _raw_index_bytes(Path(idx))

    # Allowed: the next crawl indexes it; the denied name it also lists stays unread.
    (workspace / ".vjepaallow").write_text(f"{SETTINGS}\n.env\n")
    with record_opens:
        report = json.loads(_run(capsys, *crawl_args, "--json"))
    assert report["secret_skips"] == [] and report["files_indexed"] == 3  # app.py, settings, .vjepaallow
    assert record_opens.touching(workspace / ".env") == []
    assert record_opens.touching(workspace / SETTINGS)  # the hook works
    ws = Workspace(workspace, idx)
    assert ws.secret_skips() == []
    assert ws.search("zebrafruit login")[0].path == SETTINGS
    assert set(ws.indexed_files().paths) == {"app.py", SETTINGS, ".vjepaallow"}
    assert CANARY.encode() not in _raw_index_bytes(Path(idx))
    assert "none" in _run(capsys, "status", root, "--index-dir", idx).split("skipped as secrets")[1].splitlines()[0]

    # Allowed no more: screened again though unchanged, skipped, and its text leaves the disk.
    (workspace / ".vjepaallow").write_text(".env\n")
    report = json.loads(_run(capsys, *crawl_args, "--json"))
    assert report["secret_skips"] == [{"path": SETTINGS, "family": family}]
    assert FAKE_AWS.encode() not in _raw_index_bytes(Path(idx))
    assert b"zebrafruit" not in _raw_index_bytes(Path(idx))


def test_a_long_list_ends_with_a_count_in_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "w"
    root.mkdir()
    for i in range(25):
        (root / f"keys{i:02}.py").write_text(f'KEY_ID = "{FAKE_AWS}"\n')
    (root / "app.py").write_text("x = 1\n")
    idx = str(tmp_path / "idx")
    _run(capsys, "crawl", str(root), "--index-dir", idx, "--no-history", "--no-embed", "--quiet")
    status = _run(capsys, "status", str(root), "--index-dir", idx)
    assert "skipped as secrets (25)" in status
    assert "keys19.py" in status and "keys20.py" not in status
    assert "5 more" in status
    listed = json.loads(_run(capsys, "status", str(root), "--index-dir", idx, "--json"))["secret_skips"]
    assert [s["path"] for s in listed] == [f"keys{i:02}.py" for i in range(25)]


def test_saving_the_allow_file_sends_the_save_to_the_full_crawl(workspace: Path, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    (workspace / ".vjepaallow").write_text("docs/\n")
    Workspace(workspace, idx).index(embed=False)
    (workspace / ".vjepaallow").write_text(f"docs/\n{SETTINGS}\n")  # an indexed file, changed: a save
    assert update_files(workspace, idx, [".vjepaallow"]) is None
    assert update_files(workspace, idx, ["app.py"]) is not None  # the fast path itself applies here
