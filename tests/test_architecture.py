"""The house rules, checked: the layers (import-linter's contracts in pyproject.toml), small modules,
a short top floor, and benchmarks as leaves."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
MAX_TOP_MODULES = 8


def _modules(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def test_import_contracts_hold() -> None:
    beside = Path(sys.executable).parent / "lint-imports"  # the same environment as these tests
    exe = str(beside) if beside.exists() else shutil.which("lint-imports")
    if exe is None:
        pytest.fail("lint-imports is missing: pip install -e '.[test]' installs import-linter")
    res = subprocess.run([exe, "--no-cache"], check=False, cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


@pytest.mark.parametrize("path", _modules("vjepa_core", "server"), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by job"


def test_few_modules_on_the_top_floor() -> None:
    top = sorted(p.name for p in (ROOT / "vjepa_core").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_only_the_cli_reaches_the_benchmarks() -> None:
    """Lazy imports inside functions count too (import-linter sees them as well; this names the rule)."""
    users = [p.relative_to(ROOT).as_posix() for p in _modules("vjepa_core", "server")
             if any(m == "vjepa_core.bench" or m.startswith("vjepa_core.bench.") for m in _imported(p))]
    allowed = ("vjepa_core/bench/", "vjepa_core/cli/")
    assert [u for u in users if not u.startswith(allowed)] == []
