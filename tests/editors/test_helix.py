"""Helix: editors/helix/languages.toml adds `vjepa-lsp` next to each language's own servers (Helix
replaces a language's whole list with the user's, so the defaults must stay in it), and its
initialization options are ones the server understands."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from server.options import Options
from vjepa_core.harvest.languages import LANGUAGES

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    tomllib = pytest.importorskip("tomli")

CONFIG = Path(__file__).resolve().parents[2] / "editors" / "helix" / "languages.toml"


def load() -> dict[str, Any]:
    with CONFIG.open("rb") as f:
        return tomllib.load(f)


def test_every_parsed_language_lists_vjepa_after_its_default_servers() -> None:
    languages = {entry["name"]: entry for entry in load()["language"]}
    assert set(LANGUAGES) <= set(languages), set(LANGUAGES) - set(languages)
    for name, entry in languages.items():
        servers = entry["language-servers"]
        assert servers[-1] == "vjepa-lsp", name
        assert servers.count("vjepa-lsp") == 1, name
        assert len(servers) >= 2, f"{name}: Helix's default servers were dropped"
        # Only the server list is overridden: scope, file types and roots stay Helix's own.
        assert set(entry) == {"name", "language-servers"}, name


def test_language_server_definition() -> None:
    server = load()["language-server"]["vjepa-lsp"]
    assert server["command"] == "vjepa-lsp"
    assert shutil.which(server["command"]), "the console script is installed with the package"
    options, problems = Options.parse(server["config"])
    assert problems == []
    assert options.kind_messages is True and options.trust_workspace is False  # consent is asked for
    assert set(server) == {"command", "config"}
