"""For coding agents: `vjepa mcp`, an MCP server over stdio (server.py) whose tools (tools.py) answer
from the engine's public face about the folders the user allowed (folders.py)."""
