"""Helpers for the MCP tests: the SDK's own client talking to the real `vjepa mcp` over stdio
(`python -m vjepa_core.cli mcp ...` from the checkout), with the consent file and the indexes in a
temp dir (XDG_DATA_HOME), never the user's."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult

ROOT = Path(__file__).resolve().parents[2]


def consent_path(data: Path) -> Path:
    return data / "vjepa-swarm" / "consent.json"


def write_consent(data: Path, answers: dict[Path, str]) -> None:
    path = consent_path(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({str(k): v for k, v in answers.items()}), encoding="utf-8")


def indexes(data: Path) -> list[str]:
    """The index folders written under the temp data dir (one per workspace, named after it)."""
    where = data / "vjepa-swarm" / "workspaces"
    return sorted(p.name for p in where.iterdir()) if where.is_dir() else []


@asynccontextmanager
async def session(*roots: Path | str, data: Path, cwd: Path = ROOT, stray: list[Any] | None = None
                  ) -> AsyncIterator[Client]:
    """A client connected to `vjepa mcp ROOTS...`. Anything that reaches the client's transport but is
    not an MCP message (say, a print on stdout) lands in `stray`."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "vjepa_core.cli", "mcp", *map(str, roots)], cwd=str(cwd),
        env={"XDG_DATA_HOME": str(data), "PYTHONPATH": str(ROOT)})

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception) and stray is not None:
            stray.append(message)

    async with Client(params, read_timeout_seconds=120, message_handler=on_message) as client:
        yield client


def payload(result: CallToolResult) -> Any:
    """A successful call's JSON answer (its structured content, which the text repeats)."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    return result.content[0].text  # type: ignore[union-attr]
