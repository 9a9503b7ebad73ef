"""The `vjepa` dispatcher: every command parses, has a handler and a help; wrong commands exit 2;
building the parser loads nothing heavy (start-up speed)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from vjepa_core.cli import main
from vjepa_core.cli.main import build_parser


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command and subcommand, as (the words that name it, its parser)."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append(((*prefix, name), sub))
                out.extend(_commands(sub, (*prefix, name)))
    return out


COMMANDS = _commands(build_parser())
GROUPS = {words[:-1] for words, _ in COMMANDS}  # `bench`, `swarm`: they only name subcommands
LEAVES = [words for words, _ in COMMANDS if words not in GROUPS]


def test_the_commands_are_all_there() -> None:
    names = {" ".join(words) for words, _ in COMMANDS}
    assert names == {"crawl", "status", "train", "embed", "related", "next", "search", "bench", "bench crawl",
                     "bench embed", "bench lenses", "bench next-file", "bench search", "bench secrets", "bench swarm",
                     "bench lsp", "swarm",
                     "swarm status", "insights", "graph", "train-prior", "make-encoder", "mcp"}


@pytest.mark.parametrize("words", LEAVES, ids=" ".join)
def test_every_command_has_a_handler(words: tuple[str, ...]) -> None:
    parser = dict(COMMANDS)[words]
    assert callable(parser.get_default("handler")), words


@pytest.mark.parametrize("words", [w for w, _ in COMMANDS], ids=" ".join)
def test_every_help_exits_0(words: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*words, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: vjepa {' '.join(words)}")


@pytest.mark.parametrize("argv", [["bogus"], [], ["bench"], ["bench", "bogus"], ["swarm"], ["crawl", "--bogus"]],
                         ids=repr)
def test_a_wrong_command_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage: vjepa" in capsys.readouterr().err


def test_the_parser_loads_nothing_heavy() -> None:
    """Commands that need no model must not pay for MLX, LanceDB or the LSP libraries at start-up."""
    code = ("import sys; from vjepa_core.cli.main import build_parser; build_parser().parse_args(['status']); "
            "print(sorted({m.split('.')[0] for m in sys.modules}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for heavy in ("mlx", "lancedb", "pyarrow", "numpy", "tree_sitter", "pygls", "lsprotocol"):
        assert f"'{heavy}'" not in loaded, heavy


def test_python_dash_m_runs_the_cli() -> None:
    res = subprocess.run([sys.executable, "-m", "vjepa_core.cli", "--help"], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0 and res.stdout.startswith("usage: vjepa")
