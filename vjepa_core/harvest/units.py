"""Cut a source file into code units: definitions, module-level blocks, markdown sections, windows.

One tree-sitter Query per language finds every definition and import in a single pass in C
(for Python, a walk of statement blocks only, which is cheaper still); Python code then touches
only those nodes and the top-level statements, which keeps extraction cheap next to parsing
itself (the crawl benchmark holds us to that).

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

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import tree_sitter
from tree_sitter import Node

from vjepa_core.harvest.imports import import_specifiers
from vjepa_core.harvest.languages import LANGUAGES, parser_for, ts_language

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


# ---- per-language knowledge ------------------------------------------------------------------

# Capture names are unit kinds, plus "scope" (qualifies names, not a unit) and "import".
_JS_QUERY = """
(function_declaration) @function
(generator_function_declaration) @function
(method_definition) @function
(class_declaration) @class
(variable_declarator name: (identifier) value: [(arrow_function) (function_expression)]) @function
(import_statement) @import
(export_statement source: (_)) @import
(call_expression function: [(identifier) (import)] arguments: (arguments . (string))) @import
"""
_TS_QUERY = _JS_QUERY + """
(abstract_class_declaration) @class
(interface_declaration) @interface
(type_alias_declaration) @type
(enum_declaration) @enum
(internal_module) @scope
(public_field_definition name: (_) value: [(arrow_function) (function_expression)]) @function
"""
_C_QUERY = """
(function_definition) @function
(struct_specifier name: (_) body: (_)) @struct
(union_specifier name: (_) body: (_)) @struct
(enum_specifier name: (_) body: (_)) @enum
(type_definition type: [(struct_specifier !name body: (_)) (union_specifier !name body: (_))]) @struct
(type_definition type: (enum_specifier !name body: (_))) @enum
(preproc_include) @import
(linkage_specification body: (declaration_list)) @scope
"""
_QUERIES: dict[str, str] = {
    "python": """
(function_definition) @function
(class_definition) @class
(import_statement) @import
(import_from_statement) @import
""",
    "javascript": _JS_QUERY + """
(field_definition property: (_) value: [(arrow_function) (function_expression)]) @function
""",
    "typescript": _TS_QUERY,
    "tsx": _TS_QUERY,
    "rust": """
(function_item) @function
(struct_item) @struct
(union_item) @struct
(enum_item) @enum
(trait_item) @trait
(impl_item) @impl
(type_item) @type
(mod_item body: (_)) @scope
(mod_item !body) @import
(use_declaration) @import
""",
    "go": """
(function_declaration) @function
(method_declaration) @method
(type_spec) @type
(type_alias) @type
(import_spec) @import
""",
    "swift": """
(class_declaration) @class
(protocol_declaration) @interface
(function_declaration) @function
(init_declaration) @function
(deinit_declaration) @function
(typealias_declaration) @type
(import_declaration) @import
""",
    "java": """
(class_declaration) @class
(record_declaration) @class
(interface_declaration) @interface
(annotation_type_declaration) @interface
(enum_declaration) @enum
(method_declaration body: (_)) @function
(constructor_declaration) @function
(import_declaration) @import
""",
    "c": _C_QUERY,
    "cpp": _C_QUERY + """
(class_specifier name: (_) body: (_)) @class
(namespace_definition body: (_)) @scope
""",
}

_PREPROCESSOR = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"})


def _text(node: Node | None) -> str | None:
    return None if node is None else (node.text or b"").decode("utf-8", "replace")


def _name_field(node: Node, kind: str) -> tuple[str, str | None]:
    return kind, _text(node.child_by_field_name("name"))


def _js_name(node: Node, kind: str) -> tuple[str, str | None]:
    name = node.child_by_field_name("name") or node.child_by_field_name("property")
    return kind, _text(name)


def _c_name(node: Node, kind: str) -> tuple[str, str | None]:
    name = node.child_by_field_name("name")
    if name is None:
        # Functions name themselves deep in a declarator chain (`*f(int)`); a typedef'd
        # anonymous struct is named by the typedef.
        name = node.child_by_field_name("declarator")
        while name is not None and name.type.endswith("declarator"):
            inner = name.child_by_field_name("declarator")
            name = inner if inner is not None else name.named_child(name.named_child_count - 1)
    text = _text(name)
    return kind, None if text is None else "".join(text.split()).replace("::", ".")


def _base_type(node: Node | None) -> str | None:
    """`&'a mut Foo<T>` / `*Rec[T]` -> "Foo" / "Rec": the type a Rust impl or Go receiver is about."""
    while node is not None and node.type not in ("type_identifier", "identifier", "primitive_type"):
        inner = node.child_by_field_name("type") or node.child_by_field_name("name")
        if inner is None:
            inner = next((c for c in node.named_children if c.type != "lifetime"), None)
        node = inner
    return _text(node)


def _rust_name(node: Node, kind: str) -> tuple[str, str | None]:
    if kind == "impl":
        return kind, _base_type(node.child_by_field_name("type"))
    return _name_field(node, kind)


def _go_name(node: Node, kind: str) -> tuple[str, str | None]:
    name = _text(node.child_by_field_name("name"))
    if kind == "method":
        receiver = node.child_by_field_name("receiver")
        params = receiver.named_children if receiver is not None else []
        owner = _base_type(params[0].child_by_field_name("type")) if params else None
        return kind, f"{owner}.{name}" if owner else name
    shape = node.child_by_field_name("type")
    if shape is not None and shape.type == "struct_type":
        kind = "struct"
    elif shape is not None and shape.type == "interface_type":
        kind = "interface"
    return kind, name


_SWIFT_KINDS = {"class": "class", "actor": "class", "struct": "struct", "enum": "enum", "extension": "impl"}


def _swift_name(node: Node, kind: str) -> tuple[str, str | None]:
    if node.type == "init_declaration":
        return kind, "init"
    if node.type == "deinit_declaration":
        return kind, "deinit"
    if node.type == "class_declaration":
        keyword = _text(node.child_by_field_name("declaration_kind")) or "class"
        kind = _SWIFT_KINDS.get(keyword, "class")
    return _name_field(node, kind)


@dataclass(frozen=True, slots=True)
class _Spec:
    name_of: Callable[[Node, str], tuple[str, str | None]] = _name_field
    wrappers: frozenset[str] = frozenset()          # parents a definition's unit always grows into
    sole_wrappers: frozenset[str] = frozenset()     # ... only when the definition is their one child
    attributes: frozenset[str] = frozenset()        # preceding siblings that belong to a definition
    transparent: frozenset[str] = frozenset()       # top-level containers scanned through for code


_JS_SPEC = _Spec(
    _js_name,
    wrappers=frozenset({"export_statement", "ambient_declaration"}),
    sole_wrappers=frozenset({"lexical_declaration", "variable_declaration", "expression_statement"}),
)
_C_SPEC = _Spec(_c_name, wrappers=frozenset({"type_definition", "template_declaration"}), transparent=_PREPROCESSOR)
_SPECS: dict[str, _Spec] = {
    "python": _Spec(wrappers=frozenset({"decorated_definition"})),
    "javascript": _JS_SPEC,
    "typescript": _JS_SPEC,
    "tsx": _JS_SPEC,
    "rust": _Spec(_rust_name, attributes=frozenset({"attribute_item"})),
    "go": _Spec(_go_name, sole_wrappers=frozenset({"type_declaration"})),
    "swift": _Spec(_swift_name),
    "java": _Spec(),
    "c": _C_SPEC,
    "cpp": _C_SPEC,
}


# Python's definitions and imports only ever sit in statement blocks, so walking just those is
# cheaper than a query, which visits every expression node too (measured: ~0.45 s against
# ~1.0 s over the standard library, whose parse takes ~2.8 s).
_PYTHON_WALK = (
    {"function_definition": "function", "class_definition": "class",
     "import_statement": "import", "import_from_statement": "import"},
    frozenset({
        "block", "function_definition", "class_definition", "decorated_definition", "if_statement",
        "elif_clause", "else_clause", "for_statement", "while_statement", "try_statement", "except_clause",
        "except_group_clause", "finally_clause", "with_statement", "match_statement", "case_clause", "ERROR",
    }),
)
_WALKS: dict[str, tuple[dict[str, str], frozenset[str]]] = {"python": _PYTHON_WALK}


@functools.cache
def _query(language: str) -> tree_sitter.Query:
    return tree_sitter.Query(ts_language(language), _QUERIES[language])


def _captures(root: Node, language: str) -> dict[str, list[Node]]:
    """Definition and import nodes by kind, from the language's query or its statement walk."""
    walk = _WALKS.get(language)
    if walk is None:
        return tree_sitter.QueryCursor(_query(language)).captures(root)
    kinds, descend = walk
    found: dict[str, list[Node]] = {}
    pending = [root]
    while pending:
        for child in pending.pop().named_children:
            node_type = child.type
            kind = kinds.get(node_type)
            if kind is not None:
                found.setdefault(kind, []).append(child)
            if node_type in descend:
                pending.append(child)
    return found


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
    spec = _SPECS[language]
    captures = _captures(root, language)
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


def _grow(node: Node, spec: _Spec) -> tuple[Node, Node]:
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
    content = _text(node.child_by_field_name("heading_content")) or ""
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
