"""The JSON-RPC layer under `VjepaServer`: pygls' LanguageServerProtocol, plus an answer for every
message it cannot serve, and no Python traceback in any reply.

pygls reads each frame with `json.loads(body, object_hook=protocol.structure_message)` and hands
the result to `handle_message`; a message that does not fit (a method that is not a string, params
of the wrong type) raises out of that read loop, which only logs it: the client never hears back.
Here `structure_message` checks the envelope first and returns a `Malformed` message instead of
raising, and `handle_message` answers it:

- a `method` that is not a string, an `id` that is neither a number nor a string, a `jsonrpc`
  other than "2.0", a message that is not a JSON object: InvalidRequest (-32600), to the request's
  id when it has a usable one, else to id null;
- params of the wrong type for a known method (a string, a number or an array where an object is
  needed, or fields that do not fit): InvalidParams (-32602), with the problems named;
- JSON that does not parse: ParseError (-32700) to id null (the read loop reports it through
  `VjepaServer.report_server_error`, which calls `refuse_unparsable`);
- any request after `shutdown` (but `exit`): InvalidRequest, as the LSP specification asks.

Unknown methods keep pygls' MethodNotFound. Notifications (no id) are never answered: a malformed
one is logged and dropped. A reply from the client that does not fit what the server asked fails
the server's waiting request instead of leaving it hanging.

workspace/executeCommand checks the command's name and its number of arguments before it runs, so a
call that does not fit gets InvalidParams with what the command takes (arguments.EXPECTS). An
unexpected exception in any handler is answered with a sentence (InternalError) and its traceback
goes to the log (stderr and window/logMessage), never into `error.data`.
"""

from __future__ import annotations

import inspect
import json
import logging
import traceback
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any

import attrs
import cattrs
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import RPCRequest

from .arguments import bad_arguments, say, shown

logger = logging.getLogger(__name__)

ENVELOPE = ("jsonrpc", "id", "method", "params", "result", "error")  # other top-level keys are ignored


@attrs.define
class Malformed:
    """A message that could not be read: the error to answer `id` with when `answer` (a request, or a
    message whose id is unknowable: then id is None), else only logged (a notification); a reply
    from the client that did not fit fails the server's own request `id` when `reply`."""

    id: Any
    error: JsonRpcException
    answer: bool = True
    reply: bool = False
    jsonrpc: str = "2.0"


def usable_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def json_kind(value: Any) -> str:
    """How a JSON value is named in a message: "a string ('garbage')", "an array ([1])", "null"."""
    if value is None:
        return "null"
    kind = ("a boolean" if isinstance(value, bool) else "a number" if isinstance(value, (int, float))
            else "a string" if isinstance(value, str) else "an array" if isinstance(value, list)
            else "an object" if isinstance(value, dict) else type(value).__name__)
    return f"{kind} ({shown(value, 40)})"


def problems_of(exc: BaseException) -> str:
    """cattrs' account of what did not fit (`expected str @ $.params.command`), a few at most."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, cattrs.BaseValidationError):
        found = cattrs.transform_error(cause, path="$.params")
    else:
        found = [f"{type(cause).__name__}: {cause}"]
    out = "; ".join(found[:3]) + ("; ..." if len(found) > 3 else "")
    return out if len(out) <= 300 else out[:300] + "..."


def short_error(exc: BaseException) -> str:
    out = f"{type(exc).__name__}: {exc}"
    return out if len(out) <= 200 else out[:200] + "..."


class VjepaProtocol(LanguageServerProtocol):
    """LanguageServerProtocol that answers malformed messages and keeps tracebacks in the log."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._what: dict[Any, str] = {}  # request id -> what it asked ("vjepa.search", "textDocument/codeLens")

    # --- reading ----------------------------------------------------------------------------
    def structure_message(self, data: dict[str, Any]) -> Any:
        """Called by json.loads for every JSON object, innermost first; the ones with "jsonrpc" are
        messages. Never raises: what does not fit becomes a `Malformed` for handle_message."""
        if "jsonrpc" not in data:
            return data  # a nested object (or a message without "jsonrpc": handle_message answers it)
        has_id, msg_id = "id" in data, data.get("id")
        known_id = msg_id if usable_id(msg_id) else None
        if data["jsonrpc"] != self.VERSION:
            return Malformed(known_id, JsonRpcInvalidRequest(say("bad_version", got=json_kind(data["jsonrpc"]))),
                             answer=has_id)
        if "method" in data:
            if has_id and not usable_id(msg_id):
                return Malformed(None, JsonRpcInvalidRequest(say("bad_id", got=json_kind(msg_id))))
            method = data["method"]
            if not isinstance(method, str):
                return Malformed(known_id, JsonRpcInvalidRequest(say("bad_method", got=json_kind(method))),
                                 answer=has_id)
            problem = self._params_problem(method, data.get("params"))
            if problem is not None:
                return Malformed(known_id, JsonRpcInvalidParams(problem), answer=has_id)
        elif not has_id:
            return Malformed(None, JsonRpcInvalidRequest(say("no_method")))
        envelope = {k: data[k] for k in ENVELOPE if k in data}
        if "method" in data and self.get_message_type(data["method"]) is None:
            envelope.setdefault("params", None)  # pygls' generic message types need the field
        try:
            return super().structure_message(envelope)
        except JsonRpcException as exc:  # pygls logged the details; say what did not fit
            if "method" in data:
                return Malformed(known_id, JsonRpcInvalidParams(say(
                    "params_invalid", method=data["method"], problems=problems_of(exc))), answer=has_id)
            return Malformed(known_id, JsonRpcInvalidParams(say(
                "reply_unreadable", id=shown(msg_id), problems=problems_of(exc))), answer=False, reply=True)

    def _params_problem(self, method: str, params: Any) -> str | None:
        """Params of the wrong JSON type for a known method; None when the type is right, or when
        structuring decides (absent or null params, unknown methods: MethodNotFound)."""
        kind = self.get_message_type(method)
        if params is None or kind is None or not attrs.has(kind):
            return None
        field = attrs.fields_dict(kind).get("params")
        expected = field.type if field is not None else None
        if isinstance(expected, type) and attrs.has(expected) and not isinstance(params, dict):
            return say("params_not_object", method=method, got=json_kind(params))
        if method == types.CANCEL_REQUEST and not usable_id(params.get("id")):
            return say("bad_id", got=json_kind(params.get("id")))
        if method == types.WORKSPACE_EXECUTE_COMMAND and params.get("arguments") is not None \
                and not isinstance(params["arguments"], list):
            return say("arguments_not_list", command=shown(params.get("command")), got=json_kind(params["arguments"]))
        return None

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Malformed):
            self.refuse(message)
            return
        if not hasattr(message, "jsonrpc"):  # not a JSON object with "jsonrpc": an array, a number, ...
            msg_id = message.get("id") if isinstance(message, dict) else None
            self.refuse(Malformed(msg_id if usable_id(msg_id) else None,
                                  JsonRpcInvalidRequest(say("not_an_object", got=json_kind(message)))))
            return
        if isinstance(message, RPCRequest):
            if self._shutdown and message.method != types.EXIT:
                self.refuse(Malformed(message.id, JsonRpcInvalidRequest(say("shutting_down"))))
                return
            command = getattr(message.params, "command", None) if message.method == types.WORKSPACE_EXECUTE_COMMAND \
                else None
            self._what[message.id] = command if isinstance(command, str) else message.method
        try:
            super().handle_message(message)
        except Exception as exc:  # noqa: BLE001 - the read loop would only log it; say it, keep serving
            self.log_failure(f"Handling {getattr(message, 'method', 'a message')}", exc)
            if isinstance(message, RPCRequest):
                self._what.pop(message.id, None)
                self._send_data({"jsonrpc": self.VERSION, "id": message.id, "error": {
                    "code": JsonRpcInternalError.CODE,
                    "message": say("failed", what=message.method, error=short_error(exc))}})

    def refuse(self, message: Malformed) -> None:
        """Answer (or, for a notification, only log) a message that could not be served."""
        error = message.error
        self.log_line(types.MessageType.Warning, f"Refused a message (id {message.id!r}): {error.message}")
        if message.reply:
            waiting = self._request_futures.pop(message.id, None)
            if waiting is not None and not waiting.done():
                waiting.set_exception(error)
        elif message.answer:
            self._send_data({"jsonrpc": self.VERSION, "id": message.id,
                             "error": {"code": error.code, "message": error.message}})

    def refuse_unparsable(self, exc: BaseException) -> None:
        """A frame whose body is not JSON (or not UTF-8, or nested too deeply): ParseError to id null."""
        if isinstance(exc, json.JSONDecodeError):
            reason = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        elif isinstance(exc, UnicodeDecodeError):
            reason = "it is not UTF-8"
        elif isinstance(exc, RecursionError):
            reason = "it is nested too deeply"
        else:
            reason = short_error(exc)
        self.refuse(Malformed(None, JsonRpcParseError(say("parse_error", reason=reason))))

    def log_line(self, kind: types.MessageType, message: str) -> None:
        """A line in the server's log: stderr, and window/logMessage once the client is initialized
        (before that, the LSP specification allows no notification)."""
        logger.log(logging.ERROR if kind == types.MessageType.Error else logging.WARNING, "%s", message)
        if self._workspace is not None:
            self.notify(types.WINDOW_LOG_MESSAGE, types.LogMessageParams(type=kind, message=message))

    # --- commands ---------------------------------------------------------------------------
    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams) -> Generator[Any, Any, Any]:
        """pygls' executeCommand, after checking the command's name and its number of arguments (a
        call that does not fit would otherwise fail inside the handler, as an internal error)."""
        handler = self.fm.commands.get(params.command)
        if handler is None:
            raise JsonRpcInvalidParams(say("unknown_command", command=shown(params.command),
                                           commands=", ".join(sorted(self.fm.commands))))
        args = list(params.arguments or [])
        function = getattr(handler, "func", handler)  # the handler itself when pygls wrapped it to pass the server
        try:
            inspect.signature(function).bind(*([None] if function is not handler else []), *args)
        except TypeError:
            raise bad_arguments(params.command, args) from None
        try:
            return (yield from super().lsp_workspace__execute_command(params))
        except JsonRpcInvalidParams:  # an argument that did not fit its type hint
            raise bad_arguments(params.command, args) from None

    # --- answering --------------------------------------------------------------------------
    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        """An unexpected exception from a handler becomes a sentence, its traceback goes to the log."""
        what = self._what.pop(msg_id, "The request")
        if not future.cancelled():
            exc = future.exception()
            if exc is not None and not isinstance(exc, JsonRpcException):
                self.log_failure(what, exc)
                future = Future()
                future.set_exception(JsonRpcInternalError(say("failed", what=what, error=short_error(exc))))
        super()._send_handler_result(future, msg_id=msg_id)

    def _check_handler_result(self, future: Future[Any]) -> None:
        """A notification handler that failed: its traceback goes to the log (pygls keeps only its words)."""
        if not future.cancelled() and (exc := future.exception()) is not None and not isinstance(exc, JsonRpcException):
            self.log_failure("A notification", exc)
        super()._check_handler_result(future)

    def _send_response(self, msg_id: Any, result: Any | None = None, error: types.ResponseError | None = None) -> None:
        """The last net: no reply carries a traceback (pygls puts one in `data` for errors raised
        before a handler runs)."""
        self._what.pop(msg_id, None)  # answered before its handler ran (MethodNotFound, say)
        if error is not None and isinstance(error.data, dict) and "traceback" in error.data:
            self.log_line(types.MessageType.Error, f"Request {msg_id!r} failed: {error.message}\n"
                          + "".join(map(str, error.data["traceback"])))
            error = types.ResponseError(code=error.code, message=say("failed", what="The request", error=error.message))
        super()._send_response(msg_id, result, error)

    def log_failure(self, what: str, exc: BaseException) -> None:
        self.log_line(types.MessageType.Error, f"{what} failed:\n" + "".join(traceback.format_exception(exc)).rstrip())
