"""What a path says about a file's role."""

from __future__ import annotations

from vjepa_core.insights.roles import file_role
from vjepa_core.paths import subject_stem


def test_file_roles_and_test_twins() -> None:
    role = file_role
    assert role("tests/test_core.py") == "test" and role("pkg/core_test.go") == "test"
    assert role("Sources/CoreTests.swift") == "test" and role("web/app.test.ts") == "test"
    assert role("pkg/latest.py") == "module" and role("docs/guide.md") == "docs"
    assert role("pyproject.toml") == "config" and role("README.md") == "docs"
    assert subject_stem("tests/test_core.py") == "core"
    assert subject_stem("Sources/CoreTests.swift") == "core"
    assert subject_stem("web/app.test.ts") == "app"
