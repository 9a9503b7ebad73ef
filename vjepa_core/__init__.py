"""VJEPA Swarm engine: harvest a workspace, relate its files, learn from them.

Knows nothing about editors; `server/` translates LSP to calls into this package.
"""

__version__ = "0.1.0"
