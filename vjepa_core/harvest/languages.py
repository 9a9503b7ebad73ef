"""Which tree-sitter grammar reads which file, and cached parsers for each.

Grammars come from the per-language wheels (tree-sitter-python, ...), never from a
downloading language pack: the engine must work offline.
"""

from __future__ import annotations

import functools
import posixpath
import threading
from collections.abc import Callable

import tree_sitter

LANGUAGES: tuple[str, ...] = (
    "python", "javascript", "typescript", "tsx", "rust", "go", "swift", "java", "c", "cpp", "markdown",
)

_EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".rs": "rust",
    ".go": "go",
    ".swift": "swift",
    ".java": "java",
    # .h is far more often C than C++, and the C grammar reads simple C++ headers tolerably.
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".md": "markdown", ".markdown": "markdown",
}


def language_for(path: str) -> str | None:
    """The language of `path` by its extension; None means plain text (or unknown)."""
    return _EXTENSIONS.get(posixpath.splitext(path)[1].lower())


def _grammar(language: str) -> Callable[[], object]:
    """The wheel's `language()` capsule factory; imported lazily so unused grammars cost nothing."""
    if language == "python":
        import tree_sitter_python as module
    elif language == "javascript":
        import tree_sitter_javascript as module
    elif language in ("typescript", "tsx"):
        import tree_sitter_typescript as ts_module

        return ts_module.language_tsx if language == "tsx" else ts_module.language_typescript
    elif language == "rust":
        import tree_sitter_rust as module
    elif language == "go":
        import tree_sitter_go as module
    elif language == "swift":
        import tree_sitter_swift as module
    elif language == "java":
        import tree_sitter_java as module
    elif language == "c":
        import tree_sitter_c as module
    elif language == "cpp":
        import tree_sitter_cpp as module
    elif language == "markdown":
        # The block grammar: headings and sections are all we need, not inline markup.
        import tree_sitter_markdown as module
    else:
        raise KeyError(language)
    return module.language


@functools.cache
def ts_language(language: str) -> tree_sitter.Language:
    """The shared (immutable, thread-safe) `tree_sitter.Language`; raises KeyError for unknown."""
    return tree_sitter.Language(_grammar(language)())


# Parsers hold mutable state, so each thread gets its own set.
_local = threading.local()


def parser_for(language: str) -> tree_sitter.Parser:
    """A cached parser for `language` (one per thread); raises KeyError for unknown."""
    cache: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    parser = cache.get(language)
    if parser is None:
        parser = cache[language] = tree_sitter.Parser(ts_language(language))
    return parser
