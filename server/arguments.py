"""Command arguments shared by several commands: an optional file (URI or path) and an optional
last object of boolean flags, e.g. `vjepa.relatedFiles(uri?, {"pick": true})`,
`vjepa.graph(uri?, {"open": false})`. Anything else is invalid params, said exactly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from vjepa_core.messages import text


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if hasattr(value, "_asdict"):  # pygls may hand JSON objects over as named tuples
        return dict(value._asdict())
    return None


def file_and_flags(command: str, args: tuple[Any, ...], flags: tuple[str, ...]) -> tuple[str | None, dict[str, bool]]:
    """(the file argument or None, the flags given) from `command(file?, {flag: bool}?)`."""
    expected = f"an optional file URI or path, then optionally {{{', '.join(f'{f!r}: true' for f in flags)}}}"

    def bad() -> JsonRpcInvalidParams:
        return JsonRpcInvalidParams(text("server.bad_argument", command=command, expected=expected, got=list(args)))

    rest = list(args)
    given: dict[str, bool] = {}
    last = _as_mapping(rest[-1]) if rest else None
    if last is not None:
        rest.pop()
        if not set(last) <= set(flags) or not all(isinstance(v, bool) for v in last.values()):
            raise bad()
        given = dict(last)
    if len(rest) > 1 or (rest and not isinstance(rest[0], str)):
        raise bad()
    return (rest[0] if rest else None), given
