"""What a file is for, from its path alone: its role (test, code, docs, configuration), its
folder and the name of its language, as people write it."""

from __future__ import annotations

import posixpath

from vjepa_core.harvest.languages import language_for
from vjepa_core.paths import is_test_path

ROLE_TEST, ROLE_MODULE, ROLE_DOCS, ROLE_CONFIG, ROLE_OTHER = "test", "module", "docs", "config", "other"
ROLE_LABEL = {ROLE_TEST: "tests", ROLE_MODULE: "code", ROLE_DOCS: "docs", ROLE_CONFIG: "configuration"}
_DOC_DIRS = {"doc", "docs", "documentation"}
_DOC_EXT = {".md", ".markdown", ".rst", ".txt", ".adoc"}
_CONFIG_EXT = {".toml", ".yaml", ".yml", ".json", ".ini", ".cfg", ".lock", ".xml", ".plist"}
_CONFIG_NAMES = {"makefile", "dockerfile", "package.swift", "cargo.toml", "setup.py", "go.mod", "gemfile"}
_LANGUAGE_NAMES = {"javascript": "JavaScript", "typescript": "TypeScript", "tsx": "TSX", "cpp": "C++",
                   "c": "C", "markdown": "Markdown"}


def file_role(path: str) -> str:
    """test | module | docs | config | other, from the path alone."""
    parts = [p.lower() for p in path.split("/")]
    name = parts[-1]
    ext = posixpath.splitext(name)[1]
    if is_test_path(path):
        return ROLE_TEST if language_for(path) not in (None, "markdown") else ROLE_OTHER
    if ext in _DOC_EXT or any(p in _DOC_DIRS for p in parts[:-1]):
        return ROLE_DOCS
    if ext in _CONFIG_EXT or name in _CONFIG_NAMES:
        return ROLE_CONFIG
    if language_for(path) not in (None, "markdown"):
        return ROLE_MODULE
    return ROLE_OTHER


def language_name(lang: str) -> str:
    return _LANGUAGE_NAMES.get(lang, lang.capitalize())


def folder_of(path: str) -> str:
    return posixpath.dirname(path) or "."
