"""Malformed requests, end to end: each gets a JSON-RPC error reply with the right code, the request's
id (null where it is unknowable) and a sentence, never a traceback; notifications get no reply; and
the next ordinary request on the same connection is served. Raw frames for what no client library
sends (a method that is not a string, broken JSON), the pytest-lsp client for command arguments and
paths, and the server in-process for a handler that fails unexpectedly."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.uris import from_fs_path

from server.arguments import EXPECTS
from server.main import build_server
from tests.fixtures import GitRepo
from tests.server.lsp import RawServer, command, indexed, session, until, uri

INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR, PARSE_ERROR = -32600, -32601, -32602, -32603, -32700
STATUS = {"command": "vjepa.status"}
LONG = "a" * 5000


def plain_error(error: dict[str, Any]) -> None:
    """A sentence in `message`, no traceback anywhere, `data` absent."""
    text = json.dumps(error)
    assert "Traceback" not in text and 'File "' not in text and ".py\", line" not in text
    assert "data" not in error
    assert error["message"].endswith(".") and len(error["message"]) < 400


async def still_serving(raw: RawServer) -> None:
    reply = await raw.request("workspace/executeCommand", STATUS)
    assert reply["result"]["folders"][0]["indexed"] is True


@pytest.mark.asyncio
async def test_malformed_messages_get_error_replies_and_serving_continues(repo: GitRepo, tmp_path: Path) -> None:
    lens = "textDocument/codeLens"
    requests: list[tuple[dict[str, Any], Any, int]] = [  # (message, the id the reply goes to, code)
        ({"id": 1, "method": 5, "params": {}}, 1, INVALID_REQUEST),
        ({"id": 2, "method": None, "params": {}}, 2, INVALID_REQUEST),
        ({"id": "three", "method": {"name": "vjepa.status"}, "params": {}}, "three", INVALID_REQUEST),
        ({"id": 4, "method": ["initialize"]}, 4, INVALID_REQUEST),
        ({"id": {"x": 1}, "method": "workspace/executeCommand", "params": STATUS}, None, INVALID_REQUEST),
        ({"id": True, "method": "workspace/executeCommand", "params": STATUS}, None, INVALID_REQUEST),
        ({"id": None, "method": "workspace/executeCommand", "params": STATUS}, None, INVALID_REQUEST),
        ({"id": 8, "method": "workspace/executeCommand", "params": STATUS, "jsonrpc": "1.0"}, 8, INVALID_REQUEST),
        ({"result": 1}, None, INVALID_REQUEST),  # neither a method nor an id
        ({"id": 10, "method": "workspace/executeCommand", "params": "garbage"}, 10, INVALID_PARAMS),
        ({"id": 11, "method": "workspace/executeCommand", "params": 5}, 11, INVALID_PARAMS),
        ({"id": 12, "method": "workspace/executeCommand", "params": ["vjepa.status"]}, 12, INVALID_PARAMS),
        ({"id": 13, "method": lens, "params": "garbage"}, 13, INVALID_PARAMS),
        ({"id": 14, "method": lens, "params": [1]}, 14, INVALID_PARAMS),
        ({"id": 15, "method": lens, "params": {"textDocument": 5}}, 15, INVALID_PARAMS),
        ({"id": 16, "method": lens, "params": {}}, 16, INVALID_PARAMS),  # a required field missing
        ({"id": 18, "method": "workspace/executeCommand", "params": {"command": "vjepa.search", "arguments": "x"}},
         18, INVALID_PARAMS),
        ({"id": 19, "method": "workspace/executeCommand", "params": {"command": 5}}, 19, INVALID_PARAMS),
        ({"id": 20, "method": "vjepa/nothing", "params": "garbage"}, 20, METHOD_NOT_FOUND),
    ]
    async with RawServer.started(repo, tmp_path) as raw:
        for message, reply_id, code in requests:
            raw.send({"jsonrpc": "2.0", **message})
            reply = await raw.reply(reply_id)
            assert reply["id"] == reply_id and reply["jsonrpc"] == "2.0" and "result" not in reply, message
            assert reply["error"]["code"] == code, (message, reply)
            if code != METHOD_NOT_FOUND:  # pygls' own words there: "Method Not Found: <method>"
                plain_error(reply["error"])
            await still_serving(raw)
        assert "got a number (5)" in json.dumps(raw.logs())  # each refusal is logged too

        # Not a JSON-RPC object at all: answered to id null (or to its id, when it has one).
        for body, reply_id in ((b"[]", None), (b'[{"jsonrpc": "2.0", "id": 30, "method": "shutdown"}]', None),
                               (b"5", None), (b'"hello"', None), (b"null", None),
                               (b'{"id": 31, "method": "workspace/executeCommand"}', 31)):
            raw.frame(body)
            reply = await raw.reply(reply_id)
            assert reply["error"]["code"] == INVALID_REQUEST, body
            plain_error(reply["error"])
            await still_serving(raw)

        # Not JSON: ParseError to id null.
        for body in (b"{not json", b'{"jsonrpc": "2.0", "id": 40, "method":', b"\xff\xfe\x00garbage",
                     b"[" * 100_000, b"   "):
            raw.frame(body)
            reply = await raw.reply(None)
            assert reply["id"] is None and reply["error"]["code"] == PARSE_ERROR, body
            plain_error(reply["error"])
            await still_serving(raw)

        # Malformed notifications: no reply, nothing broken.
        for message in ({"method": 5}, {"method": None, "params": {}}, {"method": "textDocument/didOpen", "params": "x"},
                        {"method": "textDocument/didSave", "params": {"textDocument": {"uri": "file:///" + LONG}}},
                        {"method": "textDocument/didOpen", "params": {"textDocument": {
                            "uri": "file:///a%00b", "languageId": "python", "version": 1, "text": ""}}},
                        {"method": "$/cancelRequest", "params": {"id": {"x": 1}}}, {"method": "vjepa/nothing"},
                        {"method": "workspace/didChangeWatchedFiles", "params": [1, 2]}):
            raw.send({"jsonrpc": "2.0", **message})
        await still_serving(raw)
        assert "null" not in raw.replies and not raw.unmatched  # no reply to any of them
        assert "Error in server" not in raw.logs() and not any(
            n["method"] == "window/showMessage" and n["params"]["type"] == 1 for n in raw.notifications)

        # After shutdown, requests are refused (InvalidRequest), as the LSP specification asks.
        assert (await raw.request("shutdown", None, 50))["result"] is None
        reply = await raw.request("workspace/executeCommand", STATUS, 51)
        assert reply["error"]["code"] == INVALID_REQUEST and "shutting down" in reply["error"]["message"]
        raw.notify("exit")
        assert await raw.process.wait() == 0


@pytest.mark.asyncio
async def test_bad_command_arguments_and_unusable_paths_get_invalid_params(repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("X = 1\n")
    cases: list[tuple[str, list[Any], str]] = [  # (command, arguments, words the reply holds)
        ("vjepa.search", [], "vjepa.search expects one query string, got no arguments."),
        ("vjepa.search", ["a", "b"], "got ['a', 'b']"),
        ("vjepa.open", [], "vjepa.open expects one file path"),
        ("vjepa.status", ["extra"], "vjepa.status expects no arguments, got ['extra']."),
        ("vjepa.trainNow", [1, 2], "vjepa.trainNow expects no arguments"),
        ("vjepa.relatedFiles", ["calc.py", {"pick": "yes"}], "vjepa.relatedFiles expects"),
        ("vjepa.graph", [{"open": 1}], "vjepa.graph expects"),
        ("vjepa.nope", [], "is not a command of this server. Its commands are: vjepa.graph"),
        ("vjepa.relatedFiles", [LONG], "too long"),
        ("vjepa.relatedFiles", ["file:///" + LONG], "too long"),
        ("vjepa.relatedFiles", [f"{'b' * 300}/calc.py"], "too long"),
        ("vjepa.open", [LONG], "too long"),
        ("vjepa.predictNext", [LONG], "too long"),
        ("vjepa.insights", [LONG], "too long"),
        ("vjepa.relatedFiles", ["calc\x00.py"], "NUL"),
        ("vjepa.relatedFiles", [42], "vjepa.relatedFiles expects"),
        ("vjepa.open", [42], "A file is named by a URI or path string, got 42."),
        ("vjepa.open", [["calc.py"]], "got ['calc.py']"),
        ("vjepa.open", [""], "The file path is empty."),
        ("vjepa.relatedFiles", ["http://example.com/calc.py"], "uses the http: scheme"),
        ("vjepa.open", ["untitled:Untitled-1"], "uses the untitled: scheme"),
        ("vjepa.relatedFiles", [str(outside)], "outside the approved workspace folders"),
        ("vjepa.open", [from_fs_path(str(outside))], "outside the approved workspace folders"),
        ("vjepa.relatedFiles", ["../outside.py"], "outside the approved workspace folders"),
        ("vjepa.relatedFiles", ["\ud800.py"], "cannot be used as a file path"),
    ]
    async with session(repo, tmp_path, options={"trustWorkspace": True, "kindMessages": False}) as client:
        await until(lambda: indexed(client))
        for name, args, words in cases:
            with pytest.raises(JsonRpcException) as caught:
                await command(client, name, *args)
            error = caught.value
            assert error.code == INVALID_PARAMS, (name, args, error.message)
            assert words in error.message, (name, error.message)
            assert error.data is None and "Traceback" not in error.message and len(error.message) < 400
            assert (await command(client, "vjepa.status"))["folders"][0]["indexed"] is True

        # A document URI: unusable is an error; elsewhere (outside, another scheme) is just no lenses.
        for bad in ("file:///" + LONG, "file:///tmp/a%00b"):
            with pytest.raises(JsonRpcException) as caught:
                await client.text_document_code_lens_async(
                    types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=bad)))
            assert caught.value.code == INVALID_PARAMS and caught.value.data is None
        for elsewhere in (from_fs_path(str(outside)) or "", "untitled:Untitled-1", "git:/repo/calc.py"):
            assert not await client.text_document_code_lens_async(
                types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=elsewhere)))
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri="file:///" + LONG, language_id="python", version=1, text="")))
        await until(lambda: any("too long" in m.message for m in client.log_messages))
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py"))))
        assert lenses[0].command.title == "Related: tests/test_calc.py"
        assert (await command(client, "vjepa.relatedFiles", "calc.py"))[0]["path"] == "tests/test_calc.py"
        assert not [m for m in client.messages if m.type == types.MessageType.Error]


class Capture:
    """A writer that keeps what the server sends."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass

    def messages(self) -> list[dict[str, Any]]:
        out, rest = [], self.data
        while rest:
            head, _, rest = rest.partition(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            out.append(json.loads(rest[:length]))
            rest = rest[length:]
        return out


def test_an_unexpected_handler_error_is_a_sentence_and_its_traceback_goes_to_the_log() -> None:
    server = build_server()
    protocol = server.protocol
    writer = Capture()
    protocol.set_writer(writer)

    @server.command("vjepa.test.boom")
    def boom(ls: Any) -> None:
        raise OSError(36, "File name too long")

    def handle(message: dict[str, Any]) -> None:
        protocol.handle_message(json.loads(json.dumps({"jsonrpc": "2.0", **message}),
                                           object_hook=protocol.structure_message))

    handle({"id": 1, "method": "initialize", "params": {"processId": None, "capabilities": {}}})
    handle({"id": 2, "method": "workspace/executeCommand", "params": {"command": "vjepa.test.boom"}})
    sent = writer.messages()
    (reply,) = [m for m in sent if m.get("id") == 2]
    error = reply["error"]
    assert error["code"] == INTERNAL_ERROR and "data" not in error
    assert error["message"].startswith("vjepa.test.boom failed unexpectedly (OSError: [Errno 36] File name too long).")
    (logged,) = [m["params"]["message"] for m in sent if m.get("method") == "window/logMessage"]
    assert logged.startswith("vjepa.test.boom failed:\nTraceback") and "raise OSError" in logged
    # The next request on the same connection is served.
    handle({"id": 3, "method": "workspace/executeCommand", "params": STATUS})
    assert next(m for m in writer.messages() if m.get("id") == 3)["result"]["state"] == "idle"


def test_every_command_says_what_it_takes() -> None:
    assert set(build_server().protocol.fm.commands) == set(EXPECTS)


def test_a_reply_the_server_cannot_read_fails_its_request_and_no_reply_carries_a_traceback() -> None:
    server = build_server()
    protocol = server.protocol
    writer = Capture()
    protocol.set_writer(writer)
    asked = protocol.send_request(types.WINDOW_SHOW_MESSAGE_REQUEST, types.ShowMessageRequestParams(
        type=types.MessageType.Info, message="May I?", actions=[types.MessageActionItem(title="Allow")]), msg_id="q1")
    reply = json.loads(json.dumps({"jsonrpc": "2.0", "id": "q1", "result": 5}), object_hook=protocol.structure_message)
    protocol.handle_message(reply)
    with pytest.raises(JsonRpcException, match="The client's reply to the server's request 'q1' could not be read"):
        asked.result(timeout=1)
    # pygls puts a traceback in `data` for an error raised before a handler runs: it never leaves.
    try:
        raise KeyError("boom")
    except KeyError:
        protocol._send_response(9, error=JsonRpcInternalError.of(sys.exc_info()).to_response_error())
    (sent,) = [m for m in writer.messages() if m.get("id") == 9]
    assert "data" not in sent["error"] or sent["error"]["data"] is None
    assert sent["error"]["message"] == ("The request failed unexpectedly (KeyError: 'boom'). The server keeps "
                                        "serving and its log has the details; try again, and if it fails again, "
                                        "report it with that log.")
