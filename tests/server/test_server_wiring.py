"""End to end over stdio: the engine parts wired into the language server. Idle-time retraining
(the real IdleScheduler starting a real `vjepa train` process, driven by editor events through the
server), vjepa.insights and vjepa.graph, results offered as a pick list (Helix), trainNow's message."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient, client_capabilities

from server.options import Options
from tests.fixtures import GitRepo
from tests.server.lsp import ROOT, command, indexed, tracking_client, until, uri


@asynccontextmanager
async def session(repo: GitRepo, tmp_path: Path, *, client_name: str, capabilities: str,
                  options: dict[str, Any], answer: int | None = None) -> AsyncIterator[LanguageClient]:
    """A server on `repo`, for a client called `client_name` with the capabilities of `capabilities`;
    `answer` picks that action (by position) in every window/showMessageRequest."""
    client = tracking_client()
    client.asked = []  # type: ignore[attr-defined]

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def _answer(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        client.asked.append(params)  # type: ignore[attr-defined]
        return None if answer is None else (params.actions or [])[answer]

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    await client.start_io(sys.executable, "-m", "server.main", env=env, cwd=str(ROOT))
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(capabilities), client_info=types.ClientInfo(name=client_name),
        initialization_options={"indexDir": str(tmp_path / "index"), "trustWorkspace": True, "watch": False,
                                **options},
        workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(repo.path)) or "", name="repo")]))
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def idle_states(client: Any) -> list[str]:
    """The idle-training states sent in vjepa/status, repeats folded."""
    out: list[str] = []
    for status in client.statuses:
        if not out or out[-1] != status["idle_training"]:
            out.append(status["idle_training"])
    return out


def open_file(client: LanguageClient, repo: GitRepo, rel: str) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri(repo, rel), language_id="python", version=1, text=(repo.path / rel).read_text())))


async def lens_titles(client: LanguageClient, repo: GitRepo, rel: str) -> list[str]:
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, rel))))
    return [lens.command.title for lens in lenses if lens.command]


@pytest.mark.asyncio
async def test_idle_training_starts_stops_on_typing_and_promotes(repo: GitRepo, tmp_path: Path) -> None:
    options = {"idleSeconds": 1, "maxLoad": None, "trainSteps": 2}
    async with session(repo, tmp_path, client_name="visual-studio-code", capabilities="visual-studio-code",
                       options=options) as client:
        await until(lambda: indexed(client) and idle_states(client)[-1:] == ["waiting"], timeout=60)
        first = client.statuses[-1]
        assert first["model"]["name"] == "default" and first["folders"][0]["idle_training"]["state"] == "waiting"
        lenses = await lens_titles(client, repo, "calc.py")
        assert lenses[0] == "Related: tests/test_calc.py"

        # An edit gives the scheduler something to learn; once the user is idle, training starts.
        open_file(client, repo, "calc.py")
        await until(lambda: idle_states(client)[-1] == "training", timeout=30)
        assert client.statuses[-1]["state"] == "training"
        assert await lens_titles(client, repo, "calc.py") == lenses  # lenses keep coming, from the caches

        # The user types again: the training process is stopped (SIGTERM, then SIGKILL by 1.5 s).
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(repo, "calc.py"), version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")]))
        await until(lambda: idle_states(client)[-2:] == ["stopping", "waiting"], timeout=5)
        assert idle_states(client)[-4:] == ["waiting", "training", "stopping", "waiting"]
        await until(lambda: client.statuses[-1]["folders"][0]["idle_training"].get("reason", "").startswith("stopped"))
        stopped = (await command(client, "vjepa.status"))["folders"][0]["idle_training"]
        assert stopped["runs"] == 1 and stopped["reason"] == "stopped: the user came back"

        # Idle again: the static encoder's fine-tune runs again (a minute at most: nothing to resume),
        # finishes, and its model is promoted and hot-swapped: status names the workspace's own model,
        # lenses are refreshed.
        refreshes = client.lens_refreshes  # type: ignore[attr-defined]
        await until(lambda: client.statuses[-1]["model"]["name"] == "workspace", timeout=120)
        await until(lambda: client.lens_refreshes > refreshes, timeout=30)  # type: ignore[attr-defined]
        assert client.statuses[-1]["model"]["version"] != first["model"]["version"]
        await until(lambda: client.statuses[-1]["folders"][0]["idle_training"].get("reason") == "finished")
        done = (await command(client, "vjepa.status"))["folders"][0]["idle_training"]
        assert (done["state"], done["runs"], done["last_exit"], done["reason"]) == ("waiting", 2, 0, "finished")
        assert done["fine_tune"]["kind"] == "static" and done["fine_tune"]["promote"] is True
        assert any(m.message.startswith("Training finished: model ") for m in client.messages)
        # The history's answers stay; the new model may reorder what only content similarity ranks.
        after = await lens_titles(client, repo, "calc.py")
        assert (after[0], after[-1], len(after)) == (lenses[0], lenses[-1], len(lenses)), (after, lenses)
        found = await command(client, "vjepa.search", "multiply numbers")  # searches with the new model
        assert any(r["path"] == "calc.py" for r in found)

        # vjepa.trainNow stops idle-time training first, so the two never train side by side.
        open_file(client, repo, "util.py")
        await until(lambda: idle_states(client)[-1] == "training", timeout=30)
        seen, sent = len(idle_states(client)), len(client.statuses)
        (result,) = await command(client, "vjepa.trainNow")
        assert idle_states(client)[seen:seen + 2] == ["stopping", "waiting"] and result["steps"] == 2
        during = client.statuses[sent:]
        stopped_at = next(i for i, s in enumerate(during) if s["idle_training"] == "waiting")
        trained_at = next(i for i, s in enumerate(during) if "percentage" in s)  # trainNow's own steps
        assert stopped_at < trained_at


@pytest.mark.asyncio
async def test_helix_picks_insights_and_graph(repo: GitRepo, tmp_path: Path) -> None:
    # Helix shows no lenses and drops command results: results come as a message request.
    async with session(repo, tmp_path, client_name="helix", capabilities="neovim", answer=0,
                       options={"idleTraining": False}) as client:
        await until(lambda: indexed(client), timeout=60)
        assert client.statuses[-1]["idle_training"] == "off"
        with pytest.raises(JsonRpcException, match="needs a file"):
            await command(client, "vjepa.relatedFiles")  # nothing open yet
        open_file(client, repo, "calc.py")
        # Helix's `:lsp-workspace-command vjepa.relatedFiles` sends no argument: the open file is meant.
        related = await command(client, "vjepa.relatedFiles")
        await until(lambda: len(client.shown_documents) == 1)
        (asked,) = client.asked  # type: ignore[attr-defined]
        assert asked.message == "Files related to calc.py. Open one?"
        assert [a.title for a in asked.actions] == [r["path"] for r in related][:5]
        assert client.shown_documents[0].uri == uri(repo, related[0]["path"]) == uri(repo, "tests/test_calc.py")

        after = await command(client, "vjepa.predictNext", "calc.py")
        await until(lambda: len(client.shown_documents) == 2)
        assert client.asked[-1].message == "You'll likely work on one of these next. Open one?"  # type: ignore[attr-defined]
        assert client.shown_documents[1].uri == uri(repo, after[0]["path"])
        # {"pick": false} turns it off for one call.
        assert await command(client, "vjepa.predictNext", {"pick": False}) != []
        assert len(client.asked) == 2  # type: ignore[attr-defined]

        report = await command(client, "vjepa.insights")
        assert report["root"] == str(repo.path) and report["counts"]["files"] == 4
        assert set(report) >= {"patterns", "suggestions", "summary"}
        again = (await command(client, "vjepa.insights", uri(repo, "calc.py")))["counts"]
        # The same folder's report; editor events (the opens above) are logged in the background,
        # so their count may have grown in between.
        assert {k: v for k, v in again.items() if k != "events"} == \
            {k: v for k, v in report["counts"].items() if k != "events"}
        assert again["events"] >= report["counts"]["events"]

        page = await command(client, "vjepa.graph")
        path = Path(page["path"])
        assert path.is_file() and "<html" in path.read_text(encoding="utf-8").lower()
        assert page["uri"] == from_fs_path(str(path)) and page["shown"] is True
        shown = client.shown_documents[-1]
        assert (shown.uri, shown.external) == (page["uri"], True)
        quiet = await command(client, "vjepa.graph", uri(repo, "calc.py"), {"open": False})
        assert quiet == {**page, "shown": False} and len(client.shown_documents) == 3

        for name, args in [("vjepa.insights", [42]), ("vjepa.insights", ["calc.py", "x"]),
                           ("vjepa.insights", [str(tmp_path / "outside.py")]), ("vjepa.graph", [{"open": "yes"}]),
                           ("vjepa.graph", [{"nope": True}]), ("vjepa.relatedFiles", ["calc.py", {"pick": 1}]),
                           ("vjepa.predictNext", [{"pick": True}, "calc.py"])]:
            with pytest.raises(JsonRpcException):
                await command(client, name, *args)
        counts = (await command(client, "vjepa.insights"))["counts"]  # still serving
        # Editor events are flushed once a second, so their count may have grown meanwhile.
        assert counts["events"] >= report["counts"]["events"]
        assert {k: v for k, v in counts.items() if k != "events"} == \
            {k: v for k, v in report["counts"].items() if k != "events"}


@pytest.mark.asyncio
async def test_old_neovim_graph_message_and_one_step_training(repo: GitRepo, tmp_path: Path) -> None:
    options = {"idleTraining": False, "trainSteps": 1}
    async with session(repo, tmp_path, client_name="neovim", capabilities="neovim@v0.7.0", options=options) as client:
        await until(lambda: indexed(client), timeout=60)
        page = await command(client, "vjepa.graph")
        assert page["shown"] is False and client.shown_documents == []
        assert client.messages[-1].message == f"The knowledge graph is ready: {page['path']}"
        # No lenses there: {"pick": true} asks; no answer opens nothing.
        assert await command(client, "vjepa.relatedFiles", "calc.py", {"pick": True})
        await until(lambda: len(client.asked) == 1)  # type: ignore[attr-defined]
        (result,) = await command(client, "vjepa.trainNow")
        assert result["steps"] == 1
        assert any(m.message == "Learning how you work in repo (1 step). It stays on this machine."
                   for m in client.messages)
        assert client.shown_documents == []


def test_idle_options_parse_with_clear_fallbacks() -> None:
    options, problems = Options.parse({"idleMinutes": 0.5, "workers": 2, "maxLoad": None, "idleTraining": False,
                                       "pickResults": True})
    assert (options.idle_seconds, options.workers, options.max_load, options.idle_training,
            options.pick_results) == (30.0, 2, None, False, True) and problems == []
    assert Options.parse({"idleMinutes": 3, "idleSeconds": 1.5})[0].idle_seconds == 1.5
    defaults, problems = Options.parse({"idleMinutes": "soon", "workers": 0, "maxLoad": -1, "pickResults": "yes"})
    assert (defaults.idle_seconds, defaults.workers, defaults.max_load, defaults.pick_results) == (120.0, 1, 0.6, False)
    assert sorted(problems) == [
        "idleMinutes should be a number from 0 to 1440, not 'soon'; using 2",
        "maxLoad should be a number from 0 to 1000, not -1; using 0.6",
        "pickResults should be true or false, not 'yes'; using False",
        "workers should be a whole number from 1 to 64, not 0; using 1",
    ]
