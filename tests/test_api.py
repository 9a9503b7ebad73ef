"""The Python API and the perception adapter, on a real repository; the README example runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import vjepa_core
from tests.fixtures import GitRepo
from vjepa_core.messages import VjepaError

ROOT = Path(__file__).resolve().parent.parent


def _project(repo: GitRepo) -> GitRepo:
    repo.commit("settings", {
        "app/settings.py": "import json\n\n\ndef read_settings(path):\n    \"\"\"Read the settings file.\"\"\"\n"
                           "    with open(path) as fh:\n        return json.load(fh)\n",
        "app/main.py": "from app.settings import read_settings\n\n\ndef main():\n    return read_settings('s.json')\n",
    })
    repo.commit("server", {"app/server.py": "def serve(port):\n    return port\n",
                           "app/main.py": "from app.settings import read_settings\n\n\ndef main():\n"
                                          "    return read_settings('s.json') or 1\n"})
    repo.commit("settings again", {"app/settings.py": "import json\n\n\ndef read_settings(path):\n"
                                                      "    \"\"\"Read the settings file (JSON).\"\"\"\n"
                                                      "    with open(path) as fh:\n        return json.load(fh)\n",
                                   "app/main.py": "from app.settings import read_settings\n\n\ndef main():\n"
                                                  "    return read_settings('settings.json')\n"})
    return repo


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("api")
    repo = _project(GitRepo(base / "repo"))
    return vjepa_core.open_workspace(repo.path, index_dir=base / "index", index=True)


def test_import_stays_light() -> None:
    probe = ("import sys, vjepa_core; print(sorted(m for m in "
             "('lancedb', 'mlx', 'numpy', 'pyarrow', 'vjepa_core.api') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    assert "open_workspace" in vjepa_core.__all__
    with pytest.raises(AttributeError):
        vjepa_core.no_such_thing  # noqa: B018


def test_workspace_answers(api: Any) -> None:
    related = api.related("app/settings.py", k=5)
    assert related and related[0].path == "app/main.py" and related[0].reason in ("temporal", "spatial")
    hits = api.search("read settings", k=3)
    assert hits and hits[0].path == "app/settings.py" and hits[0].name == "read_settings"
    nxt = api.predict_next(["app/settings.py"], k=2)  # the engine's ranking (tested in test_nextfile.py)
    assert nxt == api.workspace.predict_next(["app/settings.py"], 2)
    assert {h.path for h in nxt} == {"app/main.py", "app/server.py"}
    info = api.insights()
    assert info["counts"]["files"] == 3 and info["summary"]["sentence"].startswith("This project is about")
    page = api.graph(api.index_dir / "g.html")
    assert page.exists() and "app/settings.py" in page.read_text(encoding="utf-8")


def test_bad_input_is_explained(api: Any, tmp_path: Path) -> None:
    with pytest.raises(VjepaError, match="k expects a whole number"):
        api.related("app/settings.py", k=0)
    with pytest.raises(VjepaError, match="query expects a non-empty string"):
        api.search("  ")
    with pytest.raises(VjepaError, match="outside the workspace"):
        api.related(str(tmp_path / "elsewhere.py"))
    (tmp_path / "fresh").mkdir()
    with pytest.raises(VjepaError, match="Run `vjepa crawl"):
        vjepa_core.open_workspace(tmp_path / "fresh", index_dir=tmp_path / "none")


class Host:
    """A host with SovereignCore's registration shape (a real class, as a host would write it)."""

    def __init__(self) -> None:
        self.perceptions: dict[str, tuple[Any, list[str]]] = {}

    def register_perception(self, name: str, model: Any, capabilities: list[str]) -> str:
        self.perceptions[name] = (model, capabilities)
        return f"registered {name}"


def test_perception_adapter_registers_and_answers(api: Any) -> None:
    perception = vjepa_core.FilesystemPerception(api)
    assert isinstance(perception, vjepa_core.Perception)
    host = Host()
    assert isinstance(host, vjepa_core.PerceptionHost)
    assert perception.register_with(host) == "registered vjepa_filesystem"
    model, caps = host.perceptions["vjepa_filesystem"]
    assert caps == ["predict_next_file", "understand_project", "semantic_search"]
    found = model.perceive("semantic_search", query="read settings", k=2)
    assert found[0]["path"] == "app/settings.py" and set(found[0]) >= {"path", "score", "reason", "line"}
    nxt = model("predict_next_file", after=["app/settings.py"], k=2)
    assert [h["path"] for h in nxt] == [h.path for h in api.predict_next(["app/settings.py"], k=2)]
    project = model.perceive("understand_project")
    assert project["summary"]["languages"] == {"Python": 3}
    assert perception.registration()["name"] == "vjepa_filesystem"
    with pytest.raises(VjepaError, match="no capability 'see'. It offers: predict_next_file"):
        model.perceive("see")
    with pytest.raises(VjepaError, match="semantic_search expects its documented inputs"):
        model.perceive("semantic_search", text="x")
    with pytest.raises(VjepaError, match="has no register_perception"):
        perception.register_with(object())  # type: ignore[arg-type]


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "README's Python API section has no python example"
    return match.group(1)


def test_readme_example_runs(tmp_path: Path) -> None:
    repo = _project(GitRepo(tmp_path / "repo"))
    data = tmp_path / "data"
    env = {**os.environ, "XDG_DATA_HOME": str(data), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _readme_example()], cwd=repo.path, env=env, capture_output=True,
                         text=True, timeout=240, check=False)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("This project is about")
    assert any(line.startswith("app/settings.py:4 read_settings") for line in lines), out.stdout
    assert any(line.startswith("app/main.py - ") for line in lines), out.stdout
    assert lines[-1].startswith("[{'path': 'app/") and lines[-1].count("'path'") == 2
    assert list(data.glob("vjepa-swarm/workspaces/repo-*/meta.lance"))  # the index went to the data folder
