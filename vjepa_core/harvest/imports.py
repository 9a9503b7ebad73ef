"""Import specifiers: reading them off tree-sitter import nodes, and resolving them to workspace files.

Raw specifiers, per language (what `extract` reports in `ParsedFile.imports`):
- Python: "a.b"; `from a.b import c` gives "a.b" and "a.b.c" (c may be a submodule); relative
  imports keep their dots: `from . import x` gives "." and ".x".
- JS/TS: the module string of import/export-from/require()/import().
- Rust: "crate::a::b", "super::x", "std::io" (use-lists expanded, `self` folded into its parent);
  `mod foo;` gives the marker "mod foo".
- Go: the import path. Java: "a.b.C", "a.b.*". Swift: the module name.
- C/C++: a quoted include as written ("a/b.h"); a system include keeps its brackets ("<stdio.h>").

Resolution only ever answers with paths present in the workspace, so stdlib and third-party
imports simply fall away.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable

from tree_sitter import Node

Files = set[str] | frozenset[str]


# ---- reading specifiers off nodes ------------------------------------------------------------


def _text(node: Node | None) -> str:
    return "" if node is None else (node.text or b"").decode("utf-8", "replace")


def _unquote(node: Node | None) -> str:
    text = _text(node)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`" else text


def _python(node: Node) -> list[str]:
    if node.type == "import_statement":
        names = node.children_by_field_name("name")
        return [_text(n.child_by_field_name("name") if n.type == "aliased_import" else n) for n in names]
    module = _text(node.child_by_field_name("module_name"))
    if not module:
        return []
    found = [module]
    for name in node.children_by_field_name("name"):
        member = _text(name.child_by_field_name("name") if name.type == "aliased_import" else name)
        found.append(module + member if module.endswith(".") else f"{module}.{member}")
    return found


def _javascript(node: Node) -> list[str]:
    if node.type == "call_expression":
        callee = node.child_by_field_name("function")
        if callee is None or (callee.type == "identifier" and _text(callee) != "require"):
            return []
        arguments = node.child_by_field_name("arguments")
        first = arguments.named_child(0) if arguments is not None else None
        return [_unquote(first)] if first is not None and first.type == "string" else []
    source = node.child_by_field_name("source")
    if source is None:  # TS `import x = require("y")`
        clause = next((c for c in node.named_children if c.type == "import_require_clause"), None)
        source = clause.child_by_field_name("source") if clause is not None else None
    return [_unquote(source)] if source is not None else []


def _rust_use(node: Node | None, prefix: str, out: list[str]) -> None:
    if node is None:
        return
    kind = node.type
    if kind == "use_as_clause":
        _rust_use(node.child_by_field_name("path"), prefix, out)
    elif kind == "use_list":
        for child in node.named_children:
            _rust_use(child, prefix, out)
    elif kind == "scoped_use_list":
        path = node.child_by_field_name("path")
        inner = f"{prefix}{_rust_path(path)}::" if path is not None else prefix
        _rust_use(node.child_by_field_name("list"), inner, out)
    elif kind == "use_wildcard":
        path = node.named_child(0)
        if path is not None:
            out.append(prefix + _rust_path(path))
        elif prefix:
            out.append(prefix[:-2])
    elif kind not in ("line_comment", "block_comment"):
        full = prefix + _rust_path(node)
        out.append(full.removesuffix("::self"))


def _rust_path(node: Node) -> str:
    return "".join(_text(node).split())


def _rust(node: Node) -> list[str]:
    if node.type == "mod_item":
        return [f"mod {_text(node.child_by_field_name('name'))}"]
    found: list[str] = []
    _rust_use(node.child_by_field_name("argument"), "", found)
    return found


def _java(node: Node) -> list[str]:
    path = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
    if path is None:
        return []
    wildcard = any(c.type == "asterisk" for c in node.named_children)
    return [_text(path) + (".*" if wildcard else "")]


def _include(node: Node) -> list[str]:
    path = node.child_by_field_name("path")
    if path is None:
        return []
    return [_text(path)] if path.type == "system_lib_string" else [_unquote(path)]


def _swift(node: Node) -> list[str]:
    name = next((c for c in node.named_children if c.type == "identifier"), None)
    return [_text(name)] if name is not None else []


def _go(node: Node) -> list[str]:
    return [_unquote(node.child_by_field_name("path"))]


_READERS = {
    "python": _python, "javascript": _javascript, "typescript": _javascript, "tsx": _javascript,
    "rust": _rust, "go": _go, "java": _java, "c": _include, "cpp": _include, "swift": _swift,
}


def import_specifiers(node: Node, language: str) -> list[str]:
    """Raw specifiers of one import node (as captured by the units query); empty ones dropped."""
    reader = _READERS.get(language)
    return [spec for spec in reader(node) if spec] if reader is not None else []


# ---- the workspace, indexed once per file set ------------------------------------------------


class _Index:
    """Lookups built lazily over one file set; resolving every file of a crawl reuses them."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self.size = len(files)
        self._roots: list[str] | None = None
        self._modules: dict[tuple[str, ...], str] | None = None
        self._by_name: dict[str, list[str]] | None = None
        self._dirs: dict[str, dict[str, list[str]]] = {}

    def source_roots(self) -> list[str]:
        """Top-level folders that are not packages themselves: `src`, `lib`, `tests`..."""
        if self._roots is None:
            tops = {f.split("/", 1)[0] for f in self.files if "/" in f}
            self._roots = sorted(t for t in tops if f"{t}/__init__.py" not in self.files)
        return self._roots

    def python_modules(self) -> dict[tuple[str, ...], str]:
        """("a", "b") -> a/b.py (or a/b/__init__.py, then the .pyi stubs): every importable name."""
        if self._modules is None:
            ranked: dict[tuple[str, ...], tuple[int, str]] = {}
            for f in self.files:
                stem, dot, ext = f.rpartition(".")
                if not dot or ext not in ("py", "pyi"):
                    continue
                parts = tuple(stem.split("/"))
                package = parts[-1] == "__init__"
                key = parts[:-1] if package else parts
                rank = (2 if ext == "pyi" else 0) + package
                if key not in ranked or rank < ranked[key][0]:
                    ranked[key] = (rank, f)
            self._modules = {key: f for key, (_, f) in ranked.items()}
        return self._modules

    def by_name(self, name: str) -> list[str]:
        if self._by_name is None:
            self._by_name = defaultdict(list)
            for f in self.files:
                self._by_name[posixpath.basename(f)].append(f)
        return self._by_name.get(name, [])

    def dirs(self, extension: str) -> dict[str, list[str]]:
        """Folder -> its files with `extension` (Go and Java packages are folders)."""
        if extension not in self._dirs:
            table: dict[str, list[str]] = defaultdict(list)
            for f in self.files:
                if f.endswith(extension) and not f.endswith("_test.go"):
                    table[posixpath.dirname(f)].append(f)
            self._dirs[extension] = table
        return self._dirs[extension]


_last: _Index | None = None


def _index(files: Files) -> _Index:
    # One file set is resolved against many times in a row; keep its index while it is the same
    # object of the same size (pass a frozenset when the set may be mutated between calls).
    global _last
    if _last is None or _last.files is not files or _last.size != len(files):
        _last = _Index(files)
    return _last


def _first(candidates: Iterable[str], files: Files) -> str | None:
    return next((c for c in candidates if c in files), None)


def _join(*parts: str) -> str:
    kept = [p for p in parts if p]  # "" is the workspace top, not a folder to join
    return posixpath.join(*kept) if kept else ""


# ---- per-language resolution -----------------------------------------------------------------


def _resolve_python(path: str, spec: str, index: _Index) -> str | None:
    modules = index.python_modules()
    package = tuple(path.split("/")[:-1])
    if spec.startswith("."):
        dots = len(spec) - len(spec.lstrip("."))
        if dots - 1 > len(package):
            return None  # beyond the workspace top
        base = package[:len(package) - (dots - 1)]
        rest = spec[dots:]
        return modules.get(base + tuple(rest.split(".")) if rest else base)
    dotted = tuple(spec.split("."))
    own_root = package[:1]
    bases = [(), own_root if own_root and own_root[0] in index.source_roots() else (), package]
    bases += [(root,) for root in index.source_roots() if (root,) != own_root]
    return next((modules[base + dotted] for base in bases if base + dotted in modules), None)


_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.ts")


def _resolve_js(path: str, spec: str, index: _Index) -> str | None:
    if not spec.startswith(("./", "../")) and spec not in (".", ".."):
        return None  # a package, an alias or an absolute URL: not a workspace file we can place
    base = posixpath.normpath(_join(posixpath.dirname(path), spec))
    if base == ".." or base.startswith("../"):
        return None
    base = "" if base == "." else base
    candidates = [base, *(base + ext for ext in _JS_EXTENSIONS)]
    stem, ext = posixpath.splitext(base)
    if ext in (".js", ".jsx", ".mjs", ".cjs"):
        # TS sources import their compiled name: "./util.js" means util.ts.
        candidates += [stem + e for e in (".ts", ".tsx", ".mts", ".cts")]
    candidates += [_join(base, "index" + ext) for ext in _JS_EXTENSIONS]
    return _first(candidates, index.files)


def _rust_crate_root(path: str, files: Files) -> str | None:
    folder = posixpath.dirname(path)
    while True:
        src = _join(folder, "src")
        if f"{src}/lib.rs" in files or f"{src}/main.rs" in files:
            return src
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def _rust_module_file(root: str, segments: list[str], files: Files, allow_root: bool) -> str | None:
    # The last segments may name items, not modules: try the longest module path first.
    for length in range(len(segments), 0, -1):
        stem = _join(root, *segments[:length])
        found = _first([f"{stem}.rs", f"{stem}/mod.rs"], files)
        if found:
            return found
    return _first([_join(root, "lib.rs"), _join(root, "main.rs")], files) if allow_root else None


def _resolve_rust(path: str, spec: str, index: _Index) -> str | None:
    files = index.files
    folder, filename = posixpath.split(path)
    if spec.startswith("mod "):
        stem = filename.removesuffix(".rs")
        base = folder if filename in ("mod.rs", "lib.rs", "main.rs") else _join(folder, stem)
        name = spec[4:].strip()
        return _first([_join(base, f"{name}.rs"), _join(base, name, "mod.rs")], files)
    crate = _rust_crate_root(path, files)
    root = crate if crate is not None and path.startswith(crate + "/") else folder
    relative = path[len(root) + 1:] if root else path
    module = relative.removesuffix(".rs").split("/")
    if module[-1] in ("mod", "lib", "main") and (module[-1] == "mod" or len(module) == 1):
        module.pop()
    segments = [s for s in spec.split("::") if s]
    if not segments:
        return None
    head = segments[0]
    if head == "crate":
        return _rust_module_file(root, segments[1:], files, allow_root=crate is not None)
    if head in ("self", "super"):
        base = list(module)
        while segments and segments[0] in ("self", "super"):
            if segments.pop(0) == "super":
                if not base:
                    return None
                base.pop()
        return _rust_module_file(root, base + segments, files, allow_root=True)
    # 2018 paths name a module in scope (a child of this one) or, in 2015 style, one from the root.
    return (_rust_module_file(root, module + segments, files, allow_root=False)
            or _rust_module_file(root, segments, files, allow_root=False))


# Top-level packages of Go's standard library: their paths must not match workspace folders.
_GO_STD = frozenset((
    "archive", "bufio", "builtin", "bytes", "cmp", "compress", "container", "context", "crypto",
    "database", "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go", "hash", "html",
    "image", "index", "io", "iter", "log", "maps", "math", "mime", "net", "os", "path", "plugin",
    "reflect", "regexp", "runtime", "slices", "sort", "strconv", "strings", "sync", "syscall", "testing",
    "text", "time", "unicode", "unique", "unsafe", "weak",
))


def _resolve_go(path: str, spec: str, index: _Index) -> set[str]:
    segments = spec.split("/")
    if "." not in segments[0] and segments[0] in _GO_STD:
        return set()
    packages = index.dirs(".go")
    # The module path prefix is unknown: the longest folder that is a suffix of the import wins.
    for first in range(len(segments)):
        folder = "/".join(segments[first:])
        if folder in packages:
            return set(packages[folder])
    return set()


def _resolve_include(path: str, spec: str, index: _Index) -> set[str]:
    if spec.startswith("<"):
        spec = spec.strip("<>")
        if "/" not in spec:
            return set()  # <stdio.h>: a system header; only <project/x.h> may be ours
    else:
        local = posixpath.normpath(_join(posixpath.dirname(path), spec))
        if local in index.files:
            return {local}
    spec = posixpath.normpath(spec)
    if spec.startswith("../"):
        spec = spec.lstrip("./")
    return {f for f in index.by_name(posixpath.basename(spec)) if f == spec or f.endswith("/" + spec)}


def _resolve_java(path: str, spec: str, index: _Index) -> set[str]:
    segments = spec.split(".")
    if segments[-1] == "*":
        suffix = "/".join(segments[:-1])
        packages = index.dirs(".java")
        return {f for d, fs in packages.items() if d == suffix or d.endswith("/" + suffix) for f in fs}
    # `import static a.b.C.member`: drop trailing members until a class file matches.
    for length in range(len(segments), 1, -1):
        suffix = "/".join(segments[:length]) + ".java"
        found = {f for f in index.by_name(segments[length - 1] + ".java")
                 if f == suffix or f.endswith("/" + suffix)}
        if found:
            return found
    return set()


def resolve_imports(path: str, imports: list[str], language: str, files: Files) -> set[str]:
    """Workspace paths that the raw specifiers of `path` refer to; never `path` itself."""
    index = _index(files)
    resolved: set[str] = set()
    for spec in imports:
        if language == "python":
            one = _resolve_python(path, spec, index)
        elif language in ("javascript", "typescript", "tsx"):
            one = _resolve_js(path, spec, index)
        elif language == "rust":
            one = _resolve_rust(path, spec, index)
        else:
            if language == "go":
                resolved |= _resolve_go(path, spec, index)
            elif language in ("c", "cpp"):
                resolved |= _resolve_include(path, spec, index)
            elif language == "java":
                resolved |= _resolve_java(path, spec, index)
            continue
        if one is not None:
            resolved.add(one)
    resolved.discard(path)
    return resolved
