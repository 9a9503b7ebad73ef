"""Where each language keeps its definitions and imports, as tree-sitter sees them.

One tree-sitter Query per language finds every definition and import in a single pass in C
(for Python, a walk of statement blocks only, which is cheaper still); units.py then touches
only those nodes and the top-level statements, which keeps extraction cheap next to parsing
itself (the crawl benchmark holds us to that). Beside each query: how a definition is named and
which surrounding nodes (decorators, `export`, `template <...>`, attributes) belong to its unit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter
from tree_sitter import Node

from vjepa_core.harvest.languages import ts_language

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


def node_text(node: Node | None) -> str | None:
    """A node's source text (undecodable bytes as U+FFFD); None for no node."""
    return None if node is None else (node.text or b"").decode("utf-8", "replace")


def _name_field(node: Node, kind: str) -> tuple[str, str | None]:
    return kind, node_text(node.child_by_field_name("name"))


def _js_name(node: Node, kind: str) -> tuple[str, str | None]:
    name = node.child_by_field_name("name") or node.child_by_field_name("property")
    return kind, node_text(name)


def _c_name(node: Node, kind: str) -> tuple[str, str | None]:
    name = node.child_by_field_name("name")
    if name is None:
        # Functions name themselves deep in a declarator chain (`*f(int)`); a typedef'd
        # anonymous struct is named by the typedef.
        name = node.child_by_field_name("declarator")
        while name is not None and name.type.endswith("declarator"):
            inner = name.child_by_field_name("declarator")
            name = inner if inner is not None else name.named_child(name.named_child_count - 1)
    text = node_text(name)
    return kind, None if text is None else "".join(text.split()).replace("::", ".")


def _base_type(node: Node | None) -> str | None:
    """`&'a mut Foo<T>` / `*Rec[T]` -> "Foo" / "Rec": the type a Rust impl or Go receiver is about."""
    while node is not None and node.type not in ("type_identifier", "identifier", "primitive_type"):
        inner = node.child_by_field_name("type") or node.child_by_field_name("name")
        if inner is None:
            inner = next((c for c in node.named_children if c.type != "lifetime"), None)
        node = inner
    return node_text(node)


def _rust_name(node: Node, kind: str) -> tuple[str, str | None]:
    if kind == "impl":
        return kind, _base_type(node.child_by_field_name("type"))
    return _name_field(node, kind)


def _go_name(node: Node, kind: str) -> tuple[str, str | None]:
    name = node_text(node.child_by_field_name("name"))
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
        keyword = node_text(node.child_by_field_name("declaration_kind")) or "class"
        kind = _SWIFT_KINDS.get(keyword, "class")
    return _name_field(node, kind)


@dataclass(frozen=True, slots=True)
class DefinitionSpec:
    """How one language names its definitions and which nodes around one belong to its unit."""

    name_of: Callable[[Node, str], tuple[str, str | None]] = _name_field
    wrappers: frozenset[str] = frozenset()          # parents a definition's unit always grows into
    sole_wrappers: frozenset[str] = frozenset()     # ... only when the definition is their one child
    attributes: frozenset[str] = frozenset()        # preceding siblings that belong to a definition
    transparent: frozenset[str] = frozenset()       # top-level containers scanned through for code


_JS_SPEC = DefinitionSpec(
    _js_name,
    wrappers=frozenset({"export_statement", "ambient_declaration"}),
    sole_wrappers=frozenset({"lexical_declaration", "variable_declaration", "expression_statement"}),
)
_C_SPEC = DefinitionSpec(_c_name, wrappers=frozenset({"type_definition", "template_declaration"}), transparent=_PREPROCESSOR)
SPECS: dict[str, DefinitionSpec] = {
    "python": DefinitionSpec(wrappers=frozenset({"decorated_definition"})),
    "javascript": _JS_SPEC,
    "typescript": _JS_SPEC,
    "tsx": _JS_SPEC,
    "rust": DefinitionSpec(_rust_name, attributes=frozenset({"attribute_item"})),
    "go": DefinitionSpec(_go_name, sole_wrappers=frozenset({"type_declaration"})),
    "swift": DefinitionSpec(_swift_name),
    "java": DefinitionSpec(),
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


def find_definitions(root: Node, language: str) -> dict[str, list[Node]]:
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
