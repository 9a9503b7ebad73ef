"""What a path says on its own: one rule each for test-ness, the subject stem and identifier words."""

from __future__ import annotations

import pytest

from vjepa_core.paths import identifier_words, is_test_path, subject_stem


def test_identifier_splitting() -> None:
    assert identifier_words("getNetrcAuth(self, url_path) HTTPServer") == [
        "get", "netrc", "auth", "self", "url", "path", "http", "server"]
    assert identifier_words("parse_v2 ABCDef 42") == ["parse", "v", "2", "abc", "def", "42"]


@pytest.mark.parametrize("path", [
    "tests/test_core.py", "src/core_test.go", "web/app.test.ts", "web/app.spec.js", "spec/core_spec.rb",
    "Sources/CoreTests.swift", "src/TestCore.java", "tests/conftest.py", "conftest.py", "ui/__tests__/a.js",
    "testing/helpers.py", "TESTS/Case.py",
])
def test_test_paths(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize("path", [
    "src/core.py", "src/latest.py", "docs/Testament.md", "contest.py", "src/attestation.go", "README.md",
])
def test_not_test_paths(path: str) -> None:
    assert not is_test_path(path)


@pytest.mark.parametrize("path, stem", [
    ("tests/test_core.py", "core"), ("src/core.py", "core"), ("core_test.go", "core"),
    ("web/app.test.ts", "app"), ("Sources/CoreTests.swift", "core"), ("src/TestCore.java", "core"),
    ("spec/core_spec.rb", "core"), ("include/Core.h", "core"), (".gitignore", ""), ("test_.py", "test_"),
])
def test_subject_stem(path: str, stem: str) -> None:
    assert subject_stem(path) == stem
