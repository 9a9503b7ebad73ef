"""VJEPA Swarm engine: harvest a workspace, relate its files, learn from them.

Knows nothing about editors; `server/` translates LSP to calls into this package.
"""

__version__ = "0.1.0"

# The Python API, imported on first use so that `import vjepa_core` stays light (no LanceDB, no MLX).
_API = ("open_workspace", "WorkspaceAPI", "FilesystemPerception", "Perception", "PerceptionHost",
        "PERCEPTION_NAME", "CAPABILITIES")
__all__ = ["CAPABILITIES", "PERCEPTION_NAME", "FilesystemPerception", "Perception", "PerceptionHost",
           "WorkspaceAPI", "__version__", "open_workspace"]


def __getattr__(name: str) -> object:
    if name in _API:
        from vjepa_core import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
