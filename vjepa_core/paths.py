"""What a path says on its own: test-ness, the stem a test is named after, identifier words.

One place for these facts; the harvest, the relations, the next-file frames, the lexical index and
the insights all read them from here. Paths are workspace-relative with forward slashes.
Imports nothing of ours.
"""

from __future__ import annotations

import posixpath
import re

TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testing"})
# test_core.py, core_test.go, core_spec.rb, core.test.ts, core.spec.js (on the stem, any case)
_TEST_AFFIX = re.compile(r"^(test_|tests_)|(_test|_tests|_spec|\.test|\.spec)$", re.IGNORECASE)
# CoreTests.swift, TestCore.java (on the original stem; not "latest", not "Testament")
_TEST_CAMEL = re.compile(r"(?<=[a-z0-9])(Tests?|Spec)$|^Test(?=[A-Z])")
_TEST_FILES = frozenset({"conftest"})  # pytest's fixture modules live with the tests
# Identifier parts: HTTPServer -> HTTP Server, getNetrcAuth -> get Netrc Auth, v2 -> v 2.
_IDENT_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_IDENTIFIERS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")


def _stem(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]


def is_test_path(path: str) -> bool:
    """A test by its folder (tests/, spec/, __tests__/ ...) or by its name (test_x.py, x_test.go,
    x.spec.ts, XTests.swift, conftest.py)."""
    parts = path.split("/")
    stem = _stem(path)
    return (any(p.lower() in TEST_DIRS for p in parts[:-1]) or stem.lower() in _TEST_FILES
            or bool(_TEST_AFFIX.search(stem)) or bool(_TEST_CAMEL.search(stem)))


def subject_stem(path: str) -> str:
    """The lowercased stem a file is named after, test affixes removed: `tests/test_core.py`,
    `core_test.go`, `web/core.test.ts`, `CoreTests.swift` and `src/core.py` all give `core`.
    Dotfiles (`.gitignore`) have none: ''."""
    name = posixpath.basename(path)
    if name.startswith("."):
        return ""
    stem = name.split(".", 1)[0]  # core.test.ts -> core
    bare = _TEST_CAMEL.sub("", _TEST_AFFIX.sub("", stem))
    return (bare or stem).lower()


def identifiers(text: str) -> list[str]:
    """The identifiers and numbers of a text, unsplit, in order: what `identifier_words` splits."""
    return _IDENTIFIERS.findall(text)


_SPLIT: dict[str, tuple[str, ...]] = {}  # identifier -> its words: code repeats its names


def identifier_words(text: str) -> list[str]:
    """Words of code and prose, identifiers split at snake_case and camelCase, lowercased:
    'getNetrcAuth(self, url_path) HTTPServer' -> get netrc auth self url path http server."""
    out: list[str] = []
    split = _SPLIT
    if len(split) > 500_000:
        split.clear()
    for word in _IDENTIFIERS.findall(text):
        parts = split.get(word)
        if parts is None:
            parts = split[word] = tuple(p.lower() for part in word.split("_") for p in _IDENT_PARTS.findall(part))
        out.extend(parts)
    return out
