"""Command arguments: what each command takes (said when a call does not fit), the shared shape
of an optional file (URI or path) plus an optional last object of boolean flags, e.g.
`vjepa.relatedFiles(uri?, {"pick": true})`, `vjepa.graph(uri?, {"open": false})`, and the server's
own sentences for requests it cannot serve (malformed JSON-RPC, unusable paths; see protocol.py
and folders.py). Anything else is invalid params, said exactly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from vjepa_core.messages import text

# What each command takes, in the words of docs/editors.md; said when a call's arguments do not fit.
EXPECTS = {
    "vjepa.relatedFiles": "an optional file URI or path, then optionally {'pick': true}",
    "vjepa.predictNext": "an optional file URI or path, then optionally {'pick': true}",
    "vjepa.search": "one query string",
    "vjepa.open": "one file path or file URI inside the workspace",
    "vjepa.trainNow": "no arguments",
    "vjepa.status": "no arguments",
    "vjepa.insights": "an optional file URI or path",
    "vjepa.graph": "an optional file URI or path, then optionally {'open': false}",
}

# The server's sentences for what it cannot serve: what went wrong, and what to do.
SAY = {
    "parse_error": "The message is not valid JSON ({reason}), so it was dropped. Send one JSON object per "
                   "Content-Length frame.",
    "not_an_object": "A JSON-RPC message is an object with \"jsonrpc\": \"2.0\" (LSP has no batches); got {got}. "
                     "Nothing was done.",
    "bad_version": "\"jsonrpc\" must be \"2.0\", got {got}. Nothing was done.",
    "bad_id": "A request's \"id\" must be a number or a string, got {got}. Nothing was done.",
    "bad_method": "\"method\" must be a string naming an LSP method, got {got}. Nothing was done.",
    "no_method": "The message has no \"method\" and no \"id\". Nothing was done.",
    "params_not_object": "{method} takes its params as an object, got {got}. Send the params the LSP "
                         "specification gives for {method}.",
    "params_invalid": "The params of {method} do not fit it ({problems}). Send the params the LSP "
                      "specification gives for {method}.",
    "arguments_not_list": "The arguments of {command} must be an array, got {got}.",
    "unknown_command": "{command} is not a command of this server. Its commands are: {commands}.",
    "shutting_down": "The server is shutting down (it was sent shutdown): only exit is accepted now.",
    "reply_unreadable": "The client's reply to the server's request {id} could not be read ({problems}).",
    "failed": "{what} failed unexpectedly ({error}). The server keeps serving and its log has the details; "
              "try again, and if it fails again, report it with that log.",
    "path_type": "A file is named by a URI or path string, got {got}. Pass a file URI or a path inside the "
                 "workspace.",
    "path_empty": "The file path is empty. Pass a file URI or a path inside the workspace.",
    "path_nul": "The path {path} holds a NUL character, which no file name can hold. Pass the file's real path.",
    "path_scheme": "{path} uses the {scheme}: scheme, and only file: URIs and paths name files here. Pass a "
                   "file URI or a path inside the workspace.",
    "path_bad_uri": "{path} is not a file URI this server can read. Pass a file:/// URI or a path.",
    "path_too_long": "The path is too long to name a file ({length} bytes; at most {limit}, and {name_limit} "
                     "per file or folder name). Pass a path inside the workspace.",
    "path_unusable": "{path} cannot be used as a file path ({reason}). Pass a file URI or a path inside the "
                     "workspace.",
    "path_outside": "{path} is outside the approved workspace folders, so it is never read. Pass a file inside "
                    "one of them.",
    "path_denied": "{path} is on the deny list ({reason}), so it is never read.",
}


def say(key: str, **values: object) -> str:
    return SAY[key].format(**values)


def shown(value: Any, limit: int = 80) -> str:
    """`value` as a short repr for a message: a long string is cut, with its length said."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    out = repr(value)
    return out if len(out) <= limit else f"{out[:limit]}... ({len(out)} characters)"


def bad_arguments(command: str, args: Any) -> JsonRpcInvalidParams:
    """`command expects ..., got ...`: the arguments of a call that do not fit the command."""
    got = "no arguments" if not args else shown(list(args))
    return JsonRpcInvalidParams(text("server.bad_argument", command=command,
                                     expected=EXPECTS.get(command, "the arguments docs/editors.md lists"), got=got))


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if hasattr(value, "_asdict"):  # pygls may hand JSON objects over as named tuples
        return dict(value._asdict())
    return None


def file_and_flags(command: str, args: tuple[Any, ...], flags: tuple[str, ...]) -> tuple[str | None, dict[str, bool]]:
    """(the file argument or None, the flags given) from `command(file?, {flag: bool}?)`."""
    rest = list(args)
    given: dict[str, bool] = {}
    last = _as_mapping(rest[-1]) if rest else None
    if last is not None:
        rest.pop()
        if not set(last) <= set(flags) or not all(isinstance(v, bool) for v in last.values()):
            raise bad_arguments(command, args)
        given = dict(last)
    if len(rest) > 1 or (rest and not isinstance(rest[0], str)):
        raise bad_arguments(command, args)
    return (rest[0] if rest else None), given
