"""`vjepa mcp`: the MCP server (the official SDK's MCPServer, over stdio) that gives coding agents the
tools in tools.py. Arguments are checked before a tool runs, so a bad one gets one clear sentence
(which argument, what was wrong, what the tool takes) and the server keeps serving. While it serves,
the SDK points file descriptor 1 at stderr: only MCP messages reach stdout."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError

import vjepa_core
from vjepa_core.agents.folders import Folders
from vjepa_core.agents.tools import AgentTools
from vjepa_core.consent import ALLOW, NEVER
from vjepa_core.messages import VjepaError, Voice, text

INSTRUCTIONS = (
    "VJEPA is a private, local memory of this workspace: which files go together (git history, imports, "
    "meaning), which files come next, and where code that does something lives. Paths are relative to the "
    "folder's root. Call `reindex` after editing files so the answers follow."
)


class ArgumentCheck:
    """Middleware: checks a tools/call's arguments against the tool's own model before it runs, and
    answers a bad call with an error result that names each problem (the SDK's own message is a
    pydantic dump)."""

    def __init__(self, tools: list[Tool]) -> None:
        self.tools = {t.name: t for t in tools}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params or {}
        tool = self.tools.get(params.get("name", "")) if ctx.method == "tools/call" else None
        arguments = params.get("arguments") or {}
        if tool is not None and isinstance(arguments, dict):
            try:
                tool.fn_metadata.validate_arguments(dict(arguments))
            except ValidationError as exc:
                message = text("mcp.bad_arguments", tool=tool.name, problems=problems(exc), takes=takes(tool))
                return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)
        return await call_next(ctx)


def problems(exc: ValidationError) -> str:
    """Pydantic's errors as short clauses: "k must be greater than or equal to 1 (got 0)"."""
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "the arguments"
        if err["type"] == "missing":
            out.append(f"{where} is missing")
        else:
            msg = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
            out.append(f"{where} {msg[0].lower()}{msg[1:]} (got {err['input']!r})")
    return "; ".join(out)


def takes(tool: Tool) -> str:
    """The tool's parameters in words: "path (string, required), k (integer, 1 to 50), root (string)"."""
    out = []
    required = set(tool.parameters.get("required", []))
    for name, schema in tool.parameters.get("properties", {}).items():
        kinds = [s.get("type") for s in schema.get("anyOf", [schema])]
        kind = next((k for k in kinds if k and k != "null"), "value")
        if kind == "array":
            kind = "list of strings"
        bounds = f", {schema['minimum']} to {schema['maximum']}" if "minimum" in schema and "maximum" in schema else ""
        out.append(f"{name} ({kind}{bounds}{', required' if name in required else ''})")
    return ", ".join(out)


def build(folders: Folders) -> MCPServer[Any]:
    """The server with its six tools, reading only `folders`."""
    tools = [Tool.from_function(fn) for fn in AgentTools(folders).all()]

    @asynccontextmanager
    async def warm_up(server: MCPServer[Any]) -> AsyncIterator[None]:
        # The folders named on the command line are opened (and indexed if they have no index yet) and
        # their next-file predictor fitted, in the background, so the first questions do not pay for it.
        threading.Thread(target=_open_all, args=(folders,), name="vjepa-mcp-warm-up", daemon=True).start()
        yield

    server: MCPServer[Any] = MCPServer(
        name="vjepa", title="VJEPA workspace memory", instructions=INSTRUCTIONS, version=vjepa_core.__version__,
        tools=tools, middleware=[ArgumentCheck(tools)], lifespan=warm_up, log_level="WARNING")
    for handler in logging.getLogger().handlers:  # the SDK's stderr log: libraries below log at DEBUG
        handler.setLevel(logging.WARNING)
    return server


def _open_all(folders: Folders) -> None:
    for root in folders.given:
        if folders.book.get(root) == NEVER:  # said once at start-up already
            continue
        try:
            folder = folders.folder(str(root))
            with folder.using():
                pass
            folder.fit_next()
        except VjepaError as err:  # refused, or a broken index: said now, and again at each question
            folders.voice.error(err)


def serve(roots: list[str], *, index_base: Path | None = None, allow_home: bool = False,
          voice: Voice | None = None) -> int:
    """Serve MCP over stdio until the client hangs up. A bad root fails before serving (VjepaError)."""
    voice = voice or Voice()
    folders = Folders(roots, index_base=index_base, allow_home=allow_home, voice=voice)
    if folders.given:
        voice.say("mcp.serving", roots=", ".join(str(r) for r in folders.given))
    else:
        allowed = [k for k, v in folders.book.answers().items() if v == ALLOW]
        voice.say("mcp.serving_allowed", count=len(allowed))
    build(folders).run("stdio")
    return 0
