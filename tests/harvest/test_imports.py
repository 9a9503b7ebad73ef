"""Resolving raw import specifiers to workspace files, per language."""

from __future__ import annotations

import pytest

from vjepa_core.harvest.imports import resolve_imports
from vjepa_core.harvest.units import extract

PYTHON_FILES = frozenset({
    "app/__init__.py", "app/core.py", "app/sub/__init__.py", "app/sub/leaf.py",
    "src/lib/__init__.py", "src/lib/tools.py", "src/lib/typed.pyi",
    "scripts/run.py", "scripts/helpers.py", "tests/test_tools.py", "setup.py",
})


@pytest.mark.parametrize(("path", "specs", "expected"), [
    # absolute: module, package __init__, a name imported from a module, stdlib and third party dropped
    ("app/sub/leaf.py", ["app.core", "app.core.Thing", "os", "numpy"], {"app/core.py"}),
    ("setup.py", ["app.sub", "app"], {"app/sub/__init__.py", "app/__init__.py"}),
    # src layout, and a stub when there is no source
    ("tests/test_tools.py", ["lib.tools", "lib", "lib.typed"],
     {"src/lib/tools.py", "src/lib/__init__.py", "src/lib/typed.pyi"}),
    # relative imports climb from the importing file's package
    ("app/sub/leaf.py", [".", "..core", "..core.helper", "..", ".missing"],
     {"app/sub/__init__.py", "app/core.py", "app/__init__.py"}),
    ("setup.py", ["...far"], set()),
    # a script's sibling module
    ("scripts/run.py", ["helpers"], {"scripts/helpers.py"}),
    # never the importing file itself
    ("app/sub/__init__.py", [".", ".leaf"], {"app/sub/leaf.py"}),
])
def test_python(path: str, specs: list[str], expected: set[str]) -> None:
    assert resolve_imports(path, specs, "python", PYTHON_FILES) == expected


def test_python_from_extracted_specifiers() -> None:
    source = "import os\nfrom . import core\nfrom .sub.leaf import Leaf\nfrom lib import tools\n"
    specs = extract("app/main.py", source, "python").imports
    assert resolve_imports("app/main.py", specs, "python", PYTHON_FILES) == {
        "app/__init__.py", "app/core.py", "app/sub/leaf.py", "src/lib/__init__.py", "src/lib/tools.py",
    }


JS_FILES = frozenset({
    "web/src/app.ts", "web/src/util.ts", "web/src/components/index.tsx", "web/src/components/Button.jsx",
    "web/src/types.d.ts", "web/src/data.json", "web/lib/esm.mjs", "web/lib/plain/index.js",
})


@pytest.mark.parametrize(("spec", "expected"), [
    ("./util", "web/src/util.ts"),
    ("./util.js", "web/src/util.ts"),  # TS sources import their compiled name
    ("./components", "web/src/components/index.tsx"),
    ("./components/Button", "web/src/components/Button.jsx"),
    ("./types", "web/src/types.d.ts"),
    ("./data.json", "web/src/data.json"),
    ("../lib/esm.mjs", "web/lib/esm.mjs"),
    ("../lib/plain", "web/lib/plain/index.js"),
    ("react", None),
    ("@scope/pkg/util", None),
    ("/abs/util", None),
    ("../../../outside", None),
    ("./missing", None),
])
def test_javascript_and_typescript(spec: str, expected: str | None) -> None:
    want = {expected} if expected else set()
    for language in ("typescript", "tsx", "javascript"):
        assert resolve_imports("web/src/app.ts", [spec], language, JS_FILES) == want


RUST_FILES = frozenset({
    "engine/Cargo.toml", "engine/src/lib.rs", "engine/src/util.rs", "engine/src/config.rs",
    "engine/src/geometry/mod.rs", "engine/src/geometry/point.rs",
    "engine/src/shapes.rs", "engine/src/shapes/circle.rs",
})


@pytest.mark.parametrize(("path", "specs", "expected"), [
    ("engine/src/shapes/circle.rs",
     ["crate::geometry::point::Point", "crate::util::clamp", "std::fmt", "serde::Serialize"],
     {"engine/src/geometry/point.rs", "engine/src/util.rs"}),
    ("engine/src/shapes/circle.rs", ["crate::Thing"], {"engine/src/lib.rs"}),
    # super:: and self:: walk the module tree from the file's own module
    ("engine/src/shapes/circle.rs", ["super::Shape", "super::super::config::Config"],
     {"engine/src/shapes.rs", "engine/src/config.rs"}),
    ("engine/src/geometry/mod.rs", ["self::point::Point"], {"engine/src/geometry/point.rs"}),
    # 2018-style paths to a child module
    ("engine/src/lib.rs", ["geometry::point"], {"engine/src/geometry/point.rs"}),
    # `mod foo;` next to lib.rs/mod.rs, or in the folder named after the file
    ("engine/src/lib.rs", ["mod geometry", "mod util", "mod missing"],
     {"engine/src/geometry/mod.rs", "engine/src/util.rs"}),
    ("engine/src/shapes.rs", ["mod circle"], {"engine/src/shapes/circle.rs"}),
])
def test_rust(path: str, specs: list[str], expected: set[str]) -> None:
    assert resolve_imports(path, specs, "rust", RUST_FILES) == expected


def test_rust_from_extracted_specifiers() -> None:
    source = "use crate::{util, geometry::point::Point};\nuse super::config;\nmod circle;\n"
    specs = extract("engine/src/shapes.rs", source, "rust").imports
    assert resolve_imports("engine/src/shapes.rs", specs, "rust", RUST_FILES) == {
        "engine/src/util.rs", "engine/src/geometry/point.rs", "engine/src/config.rs",
        "engine/src/shapes/circle.rs",
    }


GO_FILES = frozenset({
    "go.mod", "cmd/app/main.go", "pkg/util/strings.go", "pkg/util/math.go", "pkg/util/strings_test.go",
    "util/legacy.go", "internal/db/db.go", "http/server.go",
})


def test_go_package_folder_by_longest_suffix() -> None:
    specs = ["fmt", "net/http", "github.com/acme/proj/pkg/util", "github.com/acme/proj/internal/db",
             "github.com/other/lib"]
    assert resolve_imports("cmd/app/main.go", specs, "go", GO_FILES) == {
        "pkg/util/strings.go", "pkg/util/math.go", "internal/db/db.go",
    }
    assert resolve_imports("cmd/app/main.go", ["example.com/util"], "go", GO_FILES) == {"util/legacy.go"}


def test_go_from_extracted_specifiers() -> None:
    source = 'package main\n\nimport (\n\t"fmt"\n\tu "github.com/acme/proj/pkg/util"\n)\n'
    specs = extract("cmd/app/main.go", source, "go").imports
    assert resolve_imports("cmd/app/main.go", specs, "go", GO_FILES) == {
        "pkg/util/strings.go", "pkg/util/math.go",
    }


C_FILES = frozenset({
    "src/list.c", "src/list.h", "include/proj/api.h", "vendor/other/api.h", "src/sub/deep.c",
})


@pytest.mark.parametrize(("path", "specs", "expected"), [
    ("src/list.c", ["list.h", "<stdio.h>", "missing.h"], {"src/list.h"}),
    ("src/list.c", ["proj/api.h", "<proj/api.h>"], {"include/proj/api.h"}),
    ("src/sub/deep.c", ["../list.h", "../../include/proj/api.h"], {"src/list.h", "include/proj/api.h"}),
    ("src/list.c", ["api.h"], {"include/proj/api.h", "vendor/other/api.h"}),
])
def test_c_includes(path: str, specs: list[str], expected: set[str]) -> None:
    assert resolve_imports(path, specs, "c", C_FILES) == expected
    assert resolve_imports(path, specs, "cpp", C_FILES) == expected


def test_java_best_effort() -> None:
    files = frozenset({
        "src/main/java/com/acme/App.java", "src/main/java/com/acme/geo/Point.java",
        "src/main/java/com/acme/util/Strings.java", "src/main/java/com/acme/util/Maths.java",
    })
    specs = ["com.acme.geo.Point", "com.acme.util.*", "com.acme.geo.Point.ORIGIN", "java.util.List"]
    assert resolve_imports("src/main/java/com/acme/App.java", specs, "java", files) == {
        "src/main/java/com/acme/geo/Point.java", "src/main/java/com/acme/util/Strings.java",
        "src/main/java/com/acme/util/Maths.java",
    }


def test_unresolvable_languages_and_fresh_file_sets() -> None:
    assert resolve_imports("App.swift", ["Foundation"], "swift", frozenset({"Foundation.swift"})) == set()
    assert resolve_imports("README.md", ["x"], "markdown", frozenset({"x"})) == set()
    # A new file set (even a mutable one) is indexed afresh, not served from the last one's index.
    assert resolve_imports("a.py", ["b"], "python", frozenset({"a.py"})) == set()
    files = {"a.py", "b.py"}
    assert resolve_imports("a.py", ["b"], "python", files) == {"b.py"}
    files.add("c.py")
    assert resolve_imports("a.py", ["c"], "python", files) == {"c.py"}
