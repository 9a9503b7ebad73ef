"""Cut a source file into code units: definitions, module-level blocks, markdown sections, windows.

definitions.py finds each language's definitions and imports in one pass; this module cuts
them, the top-level code between them, markdown sections and plain text into units.

Conventions:
- Lines are 1-based and inclusive; a unit's text is exactly its whole lines, from the first
  column of its first line to the end of its last line without the final "\\n":
  `"\\n".join(text.split("\\n")[start - 1:end])`. So a method keeps its indentation and the lines
  show as they are in the editor. Lines are split at "\\n" alone, as tree-sitter counts rows
  (a "\\r" of CRLF stays in the text). Undecodable bytes read as U+FFFD. One exception keeps
  minified code from repeating a megabyte line per function: a unit sharing its first or last
  line with more than LONG_LINE other bytes gets just its own span of text.
- Definitions are qualified by the definitions around them with ".": "Outer.Inner.method",
  C++ "ns.Class.method", Go "Recv.Method". A function directly inside a class-like body is a
  "method"; one inside a function stays a "function". Namespaces (C++ namespace, Rust inline
  mod, TS namespace) qualify names but are not units themselves.
- A definition's unit includes what wraps it: Python decorators, `export`, C++ `template <...>`,
  `const f = () => ...`, a one-spec Go `type` declaration, Rust `#[attributes]`.
- "module" units are the runs of top-level code that is not a definition (imports, constants,
  script code), named "<module>", cut between statements once past MODULE_MAX_LINES. A
  definition nested in top-level code (`if TYPE_CHECKING: def ...`) is both part of such a
  block and a unit of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node

from vjepa_core.harvest.definitions import SPECS, DefinitionSpec, find_definitions, node_text
from vjepa_core.harvest.imports import import_specifiers
from vjepa_core.harvest.languages import LANGUAGES, parser_for

WINDOW_LINES = 60
# A module block grows statement by statement until it would pass this many lines, so a long
# header of declarations or a long script still gives units of a readable size.
MODULE_MAX_LINES = 100
# Past this many bytes of a line outside a unit's own span, the unit keeps only its span.
LONG_LINE = 1000
_CLASSLIKE = frozenset({"class", "struct", "enum", "interface", "trait", "impl"})
_COMMENTS = frozenset({"comment", "line_comment", "block_comment", "multiline_comment"})


@dataclass(frozen=True, slots=True)
class CodeUnit:
    path: str
    kind: str
    name: str
    start_line: int
    end_line: int
    text: str
    hash: str


@dataclass(slots=True)
class ParsedFile:
    units: list[CodeUnit]
    imports: list[str]
    error: str | None = None


def _unit(path: str, kind: str, name: str, start: int, end: int, text: str) -> CodeUnit:
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return CodeUnit(path, kind, name, start, end, text, digest)


# ---- extraction ------------------------------------------------------------------------------


def parse_only(source: bytes, language: str) -> None:
    """Parse and discard: the floor that extraction is measured against."""
    parser_for(language).parse(source)


def _encode(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:
        # Text decoded with surrogateescape: give tree-sitter the original bytes back.
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")


def extract(path: str, text: str, language: str | None) -> ParsedFile:
    """Units and raw import specifiers of one file; never raises for any input text."""
    if not text:
        return ParsedFile([], [])
    if language is None:
        return ParsedFile(_windows(path, text), [])
    try:
        if language not in LANGUAGES:
            raise KeyError(f"unknown language {language!r}")
        source = _encode(text)
        tree = parser_for(language).parse(source)
        if language == "markdown":
            return ParsedFile(_sections(path, source, tree.root_node), [])
        return _code(path, source, tree.root_node, language)
    except Exception as exc:  # noqa: BLE001 - any failure degrades to plain windows, by contract
        return ParsedFile(_windows(path, text), [], f"parse error: {type(exc).__name__}: {exc}")


class _Lines:
    """Whole-line slices of the UTF-8 source by byte offsets, so nothing scans line by line."""

    __slots__ = ("path", "source", "units")

    def __init__(self, path: str, source: bytes) -> None:
        self.path, self.source, self.units = path, source, []

    def add(self, kind: str, name: str, first: Node, last: Node | None = None) -> None:
        last = first if last is None else last
        begin = first.start_byte - first.start_point.column
        end_row = last.end_point.row
        if last.end_point.column == 0 and end_row > first.start_point.row:
            end_row -= 1  # the node swallowed its line break; its last line is the one before
            stop = last.end_byte - 1
        else:
            stop = self.source.find(b"\n", last.end_byte)
            stop = len(self.source) if stop < 0 else stop
        if first.start_byte - begin > LONG_LINE or stop - last.end_byte > LONG_LINE:
            # Minified code: every nested function would repeat the whole giant line.
            begin, stop = first.start_byte, last.end_byte
        text = self.source[begin:stop].decode("utf-8", "replace")
        if text.strip():
            self.units.append(_unit(self.path, kind, name, first.start_point.row + 1, end_row + 1, text))


def _code(path: str, source: bytes, root: Node, language: str) -> ParsedFile:
    spec = SPECS[language]
    captures = find_definitions(root, language)
    import_nodes = sorted(captures.pop("import", ()), key=lambda node: node.start_byte)  # source order
    imports = [spec_ for node in import_nodes for spec_ in import_specifiers(node, language)]
    # start, -end, kind, unit's first node, unit's last node, definition node
    found: list[tuple[int, int, str, Node, Node, Node]] = []
    for kind, nodes in captures.items():
        for node in nodes:
            first, last = _grow(node, spec)
            found.append((first.start_byte, -last.end_byte, kind, first, last, node))
    found.sort(key=lambda item: (item[0], item[1]))

    lines = _Lines(path, source)
    scopes: dict[int, Node] = {}
    definitions: set[int] = set()
    stack: list[tuple[int, str, str]] = []  # end byte, kind, qualified name of enclosing definitions
    for start, neg_end, kind, first, last, node in found:
        while stack and stack[-1][0] <= start:
            stack.pop()
        kind, name = spec.name_of(node, kind)
        parent_kind, prefix = (stack[-1][1], stack[-1][2]) if stack else ("", "")
        if kind == "scope":
            qualified = f"{prefix}.{name}" if prefix and name else (name or prefix)
            body = node.child_by_field_name("body")
            if body is not None:
                scopes[start] = body
            stack.append((-neg_end, parent_kind if not name else "scope", qualified))
            continue
        name = name or "<anonymous>"
        qualified = f"{prefix}.{name}" if prefix else name
        if kind == "function" and parent_kind in _CLASSLIKE:
            kind = "method"
        definitions.add(start)
        if first is not last:
            definitions.add(last.start_byte)  # the item itself, behind its attributes
        elif spec.sole_wrappers:
            # `type ( A struct{}; B int )` holds definitions only: keep it out of module code.
            holder = first.parent
            if holder is not None and holder.type in spec.sole_wrappers:
                definitions.add(holder.start_byte)
        stack.append((-neg_end, kind, qualified))
        lines.add(kind, qualified, first, last)
    _module_blocks(lines, root.children, definitions, scopes, spec.transparent)
    lines.units.sort(key=lambda unit: (unit.start_line, -unit.end_line))
    return ParsedFile(lines.units, imports)


def _grow(node: Node, spec: DefinitionSpec) -> tuple[Node, Node]:
    """First and last node of the definition's unit: decorators, export, template... included."""
    first = node
    if spec.attributes:
        # Rust keeps `#[derive(..)]` as sibling nodes in front of the item.
        sibling = node.prev_named_sibling
        while sibling is not None and sibling.type in spec.attributes:
            first, sibling = sibling, sibling.prev_named_sibling
        return first, node
    while True:
        parent = node.parent
        if parent is None:
            return node, node
        if parent.type in spec.wrappers or (parent.type in spec.sole_wrappers and parent.named_child_count == 1):
            node = parent
        else:
            return node, node


def _module_blocks(
    lines: _Lines,
    children: Iterable[Node],
    definitions: set[int],
    scopes: dict[int, Node],
    transparent: frozenset[str],
) -> None:
    run: list[Node] = []  # first and last statement of the open block

    def close() -> None:
        if run:
            lines.add("module", "<module>", run[0], run[-1])
            run.clear()

    def scan(nodes: Iterable[Node]) -> None:
        for node in nodes:
            if not node.is_named or node.start_byte == node.end_byte:
                continue
            start = node.start_byte
            if start in definitions:
                close()
            elif start in scopes:
                close()
                scan(scopes[start].children)
                close()
            elif node.type in transparent or node.type == "ERROR":
                # Preprocessor conditionals hold ordinary top-level code; so does a parse error,
                # whose pieces would otherwise make one block that hides the definitions in it.
                scan(node.children)
            elif node.type not in _COMMENTS:
                # Comments alone never open a block or stretch one; between statements they
                # are inside the block's lines anyway.
                if run and node.end_point.row - run[0].start_point.row >= MODULE_MAX_LINES:
                    close()
                if len(run) < 2:
                    run.append(node)
                else:
                    run[1] = node

    scan(children)
    close()


# ---- markdown and plain text -----------------------------------------------------------------


def _headings(node: Node, found: list[tuple[Node, int]]) -> None:
    for child in node.children:
        kind = child.type
        if kind == "section":
            _headings(child, found)
        elif kind == "atx_heading":
            marker = child.child(0)
            level = int(marker.type[5]) if marker is not None and marker.type.startswith("atx_h") else 1
            found.append((child, level))
        elif kind == "setext_heading":
            last = child.child(child.child_count - 1)
            found.append((child, 1 if last is not None and last.type == "setext_h1_underline" else 2))


def _heading_title(node: Node) -> str:
    content = node_text(node.child_by_field_name("heading_content")) or ""
    return " ".join(content.split()).rstrip("#").strip() or "<untitled>"


def _sections(path: str, source: bytes, root: Node) -> list[CodeUnit]:
    found: list[tuple[Node, int]] = []
    _headings(root, found)
    # Each section runs from its heading's line to the line before the next heading.
    bounds = [(0, 0, "<preamble>")]
    trail: list[tuple[int, str]] = []
    for node, level in found:
        while trail and trail[-1][0] >= level:
            trail.pop()
        trail.append((level, _heading_title(node)))
        begin = node.start_byte - node.start_point.column
        bounds.append((begin, node.start_point.row, " > ".join(title for _, title in trail)))
    units = []
    for index, (begin, row, name) in enumerate(bounds):
        stop = bounds[index + 1][0] if index + 1 < len(bounds) else len(source)
        chunk = source[begin:stop].decode("utf-8", "replace")
        content_end = len(chunk.rstrip())
        if content_end == 0:
            continue
        line_end = chunk.find("\n", content_end)
        text = chunk if line_end < 0 else chunk[:line_end]
        units.append(_unit(path, "section", name, row + 1, row + 1 + text.count("\n"), text))
    return units


def _windows(path: str, text: str) -> list[CodeUnit]:
    try:
        text.encode()
    except UnicodeEncodeError:
        text = _encode(text).decode("utf-8", "replace")  # unit text must hash as UTF-8
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final line break does not start another line
    units = []
    for first in range(0, len(lines), WINDOW_LINES):
        chunk = "\n".join(lines[first:first + WINDOW_LINES])
        if chunk.strip():
            last = min(first + WINDOW_LINES, len(lines))
            units.append(_unit(path, "window", f"lines {first + 1}-{last}", first + 1, last, chunk))
    return units
