"""Code-unit extraction with the real tree-sitter grammars, one realistic snippet per language."""

from __future__ import annotations

import hashlib
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vjepa_core.harvest.languages import LANGUAGES, language_for, parser_for
from vjepa_core.harvest.units import CodeUnit, ParsedFile, extract, parse_only


def shape(parsed: ParsedFile) -> set[tuple[str, str, int, int]]:
    return {(u.kind, u.name, u.start_line, u.end_line) for u in parsed.units}


def check_lines(text: str, parsed: ParsedFile) -> None:
    """Every unit's text is exactly its lines of the file, and its hash is of that text."""
    lines = text.split("\n")
    for u in parsed.units:
        assert u.text == "\n".join(lines[u.start_line - 1:u.end_line]), (u.kind, u.name)
        assert u.hash == hashlib.blake2b(u.text.encode(), digest_size=16).hexdigest()


def run(path: str, source: str, language: str | None = None) -> ParsedFile:
    source = textwrap.dedent(source).lstrip("\n")
    parsed = extract(path, source, language or language_for(path))
    assert parsed.error is None
    assert all(u.path == path for u in parsed.units)
    check_lines(source, parsed)
    return parsed


PYTHON = '''
"""A small module."""
import os
from .sibling import helper

LIMIT = 10

# a comment between definitions does not make a block


@cache
@route("/x")
def handler(request):
    def inner():
        return request
    return inner


class Outer(Base):
    """Doc."""

    size = 3

    class Inner:
        def method(self):
            import json
            return json

    @property
    def area(self):
        return self.size


if __name__ == "__main__":
    handler(None)
'''


def test_python_units_and_imports() -> None:
    parsed = run("pkg/mod.py", PYTHON)
    assert shape(parsed) == {
        ("module", "<module>", 1, 5),
        ("function", "handler", 10, 15),
        ("function", "handler.inner", 13, 14),
        ("class", "Outer", 18, 30),
        ("class", "Outer.Inner", 23, 26),
        ("method", "Outer.Inner.method", 24, 26),
        ("method", "Outer.area", 28, 30),
        ("module", "<module>", 33, 34),
    }
    assert parsed.imports == ["os", ".sibling", ".sibling.helper", "json"]
    decorated = next(u for u in parsed.units if u.name == "handler")
    assert decorated.text.startswith("@cache\n@route")
    assert [u.start_line for u in parsed.units] == sorted(u.start_line for u in parsed.units)


def test_python_import_forms() -> None:
    parsed = run("a/b.py", """
        import a.b, c as d
        from . import x, y as z
        from ..pkg.mod import thing
        from .. import *
        from __future__ import annotations
    """)
    assert parsed.imports == ["a.b", "c", ".", ".x", ".y", "..pkg.mod", "..pkg.mod.thing", ".."]


def test_javascript() -> None:
    parsed = run("web/app.js", """
        import React from "react";
        const util = require("./util");

        export function render(node) {
          return import("./lazy.js");
        }

        export const handler = async (event) => {
          return event;
        };

        class Widget extends Base {
          constructor() { super(); }
          onClick = () => this.render();
        }

        module.exports = { render };
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 2),
        ("function", "render", 4, 6),
        ("function", "handler", 8, 10),
        ("class", "Widget", 12, 15),
        ("method", "Widget.constructor", 13, 13),
        ("method", "Widget.onClick", 14, 14),
        ("module", "<module>", 17, 17),
    }
    assert parsed.imports == ["react", "./util", "./lazy.js"]


def test_typescript() -> None:
    parsed = run("src/shapes.ts", """
        import type { Point } from "./geometry";
        export { area } from "../math";
        import fs = require("fs");

        export interface Shape {
          area(): number;
        }

        export type Id = string;

        enum Color { Red, Green }

        export namespace Shapes {
          export class Circle implements Shape {
            constructor(private r: number) {}
            area(): number { return Math.PI * this.r ** 2; }
          }
        }

        export abstract class Base {
          abstract name(): string;
          describe() { return this.name(); }
        }
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 3),
        ("interface", "Shape", 5, 7),
        ("type", "Id", 9, 9),
        ("enum", "Color", 11, 11),
        ("class", "Shapes.Circle", 14, 17),
        ("method", "Shapes.Circle.constructor", 15, 15),
        ("method", "Shapes.Circle.area", 16, 16),
        ("class", "Base", 20, 23),
        ("method", "Base.describe", 22, 22),
    }
    assert parsed.imports == ["./geometry", "../math", "fs"]


def test_tsx() -> None:
    parsed = run("ui/App.tsx", """
        import { useState } from "react";
        import "./app.css";

        export function App({ title }: { title: string }) {
          const [n, setN] = useState(0);
          return <button onClick={() => setN(n + 1)}>{title} {n}</button>;
        }

        export default App;
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 2),
        ("function", "App", 4, 7),
        ("module", "<module>", 9, 9),
    }
    assert parsed.imports == ["react", "./app.css"]


def test_rust() -> None:
    parsed = run("src/shapes.rs", """
        use crate::{geometry::Point, util::{self, clamp as c}};
        use super::config::Settings;
        use std::fmt;

        mod tests;

        #[derive(Debug, Clone)]
        pub struct Circle {
            r: f64,
        }

        impl fmt::Display for Circle {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "circle")
            }
        }

        pub trait Shape {
            fn area(&self) -> f64;
            fn name(&self) -> &str { "shape" }
        }

        pub enum Kind { Round, Square }

        type Meters = f64;

        mod inner {
            pub fn helper() {}
        }

        pub fn main() {}
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 5),
        ("struct", "Circle", 7, 10),
        ("impl", "Circle", 12, 16),
        ("method", "Circle.fmt", 13, 15),
        ("trait", "Shape", 18, 21),
        ("method", "Shape.name", 20, 20),
        ("enum", "Kind", 23, 23),
        ("type", "Meters", 25, 25),
        ("function", "inner.helper", 28, 28),
        ("function", "main", 31, 31),
    }
    assert parsed.imports == [
        "crate::geometry::Point", "crate::util", "crate::util::clamp", "super::config::Settings",
        "std::fmt", "mod tests",
    ]


def test_go() -> None:
    parsed = run("pkg/shapes/shapes.go", """
        package shapes

        import (
        \t"fmt"
        \tm "github.com/acme/geo/mathx"
        )

        const Pi = 3.14

        type Circle struct {
        \tR float64
        }

        type (
        \tID    string
        \tShape interface{ Area() float64 }
        )

        func (c *Circle) Area() float64 {
        \treturn Pi * c.R * c.R
        }

        func New(r float64) *Circle {
        \treturn &Circle{R: r}
        }
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 8),
        ("struct", "Circle", 10, 12),
        ("type", "ID", 15, 15),
        ("interface", "Shape", 16, 16),
        ("method", "Circle.Area", 19, 21),
        ("function", "New", 23, 25),
    }
    assert parsed.imports == ["fmt", "github.com/acme/geo/mathx"]


def test_swift() -> None:
    parsed = run("Sources/Shapes.swift", """
        import Foundation

        protocol Shape {
            func area() -> Double
        }

        @MainActor
        final class Circle: Shape {
            let r: Double
            init(r: Double) { self.r = r }
            func area() -> Double { .pi * r * r }
        }

        struct Point { var x: Double }

        extension Point {
            func moved() -> Point { self }
        }

        typealias Meters = Double

        func main() {}
        let shared = Circle(r: 1)
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 1),
        ("interface", "Shape", 3, 5),
        ("class", "Circle", 7, 12),
        ("method", "Circle.init", 10, 10),
        ("method", "Circle.area", 11, 11),
        ("struct", "Point", 14, 14),
        ("impl", "Point", 16, 18),
        ("method", "Point.moved", 17, 17),
        ("type", "Meters", 20, 20),
        ("function", "main", 22, 22),
        ("module", "<module>", 23, 23),
    }
    assert parsed.imports == ["Foundation"]


def test_java() -> None:
    parsed = run("src/main/java/com/acme/Shapes.java", """
        package com.acme;

        import java.util.List;
        import com.acme.geo.*;

        public class Shapes {
            private int count;

            public Shapes() {}

            public int count() { return count; }

            static class Node {
                void visit() {}
            }
        }

        interface Shape { double area(); }

        enum Kind {
            ROUND, SQUARE;
            boolean round() { return this == ROUND; }
        }
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 4),
        ("class", "Shapes", 6, 16),
        ("method", "Shapes.Shapes", 9, 9),
        ("method", "Shapes.count", 11, 11),
        ("class", "Shapes.Node", 13, 15),
        ("method", "Shapes.Node.visit", 14, 14),
        ("interface", "Shape", 18, 18),
        ("enum", "Kind", 20, 23),
        ("method", "Kind.round", 22, 22),
    }
    assert parsed.imports == ["java.util.List", "com.acme.geo.*"]


def test_c() -> None:
    parsed = run("src/list.c", """
        #ifndef LIST_H
        #define LIST_H
        #include "list.h"
        #include <stdlib.h>

        typedef struct { int len; } header_t;

        struct node {
            struct node *next;
        };

        enum color { RED, GREEN };

        static struct node *push(struct node *head) {
            return head;
        }

        int count(void);
        #endif
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 4),
        ("struct", "header_t", 6, 6),
        ("struct", "node", 8, 10),
        ("enum", "color", 12, 12),
        ("function", "push", 14, 16),
        ("module", "<module>", 18, 18),
    }
    assert parsed.imports == ["list.h", "<stdlib.h>"]


def test_cpp() -> None:
    parsed = run("src/shapes.cpp", """
        #include "shapes.hpp"
        #include <vector>

        namespace geo {
        namespace detail {

        class Circle : public Shape {
         public:
          double area() const { return 3.14 * r * r; }
          ~Circle() {}
         private:
          double r;
        };

        }  // namespace detail

        double total(const std::vector<Shape*>& all) { return 0; }
        }  // namespace geo

        template <typename T>
        struct Box {
          T get() const { return value; }
          T value;
        };

        void geo::detail::Circle::scale(double k) { r *= k; }

        int main() { return 0; }
    """)
    assert shape(parsed) == {
        ("module", "<module>", 1, 2),
        ("class", "geo.detail.Circle", 7, 13),
        ("method", "geo.detail.Circle.area", 9, 9),
        ("method", "geo.detail.Circle.~Circle", 10, 10),
        ("function", "geo.total", 17, 17),
        ("struct", "Box", 20, 24),
        ("method", "Box.get", 22, 22),
        ("function", "geo.detail.Circle.scale", 26, 26),
        ("function", "main", 28, 28),
    }
    assert parsed.imports == ["shapes.hpp", "<vector>"]


def test_markdown_heading_paths() -> None:
    parsed = run("README.md", """
        A short preamble.

        # Project

        Intro text.

        ## Install

        Use pip.

        ### From source

        Clone it.

        ## Usage
        Run it.

        Setext title
        ============
        Last words.
    """)
    assert shape(parsed) == {
        ("section", "<preamble>", 1, 1),
        ("section", "Project", 3, 5),
        ("section", "Project > Install", 7, 9),
        ("section", "Project > Install > From source", 11, 13),
        ("section", "Project > Usage", 15, 16),
        ("section", "Setext title", 18, 20),
    }
    assert parsed.imports == []


def test_plain_text_windows() -> None:
    text = "".join(f"line {i}\n" for i in range(1, 131))
    parsed = run("notes.txt", text)
    assert shape(parsed) == {
        ("window", "lines 1-60", 1, 60),
        ("window", "lines 61-120", 61, 120),
        ("window", "lines 121-130", 121, 130),
    }


def test_blank_windows_are_skipped() -> None:
    parsed = extract("notes.txt", "\n" * 70 + "tail\n", None)
    assert shape(parsed) == {("window", "lines 61-71", 61, 71)}


@pytest.mark.parametrize("language", [*LANGUAGES, None])
def test_empty_and_blank_files_have_no_units(language: str | None) -> None:
    assert extract("empty", "", language) == ParsedFile([], [])
    assert extract("blank", "\n  \n\t\n", language).units == []


def test_comment_only_python_file_has_no_units() -> None:
    assert run("c.py", "# just a comment\n\n# and another\n").units == []


def test_broken_python_still_yields_units() -> None:
    parsed = run("broken.py", """
        import os

        def ok():
            return 1

        def broken(:
            pass

        class Fine:
            def method(self):
                return 2
    """)
    assert {("function", "ok", 3, 4), ("class", "Fine", 9, 11), ("method", "Fine.method", 10, 11)} <= shape(parsed)


GARBAGE = bytes(range(256)) * 3 + b"\xff\xfe\x00\ndef f():\n    return 1\n\xc3\x28 tail\n"


@pytest.mark.parametrize("language", [*LANGUAGES, None])
def test_undecodable_input_does_not_raise(language: str | None) -> None:
    text = GARBAGE.decode("utf-8", "surrogateescape")  # lone surrogates: not encodable as UTF-8
    parsed = extract("garbage", text, language)
    assert parsed.units
    n_lines = text.count("\n") + 1
    for u in parsed.units:
        assert 1 <= u.start_line <= u.end_line <= n_lines
        assert u.text.strip()
        assert u.hash == hashlib.blake2b(u.text.encode(), digest_size=16).hexdigest()


def test_unknown_language_falls_back_to_windows() -> None:
    parsed = extract("x.cobol", "MOVE A TO B.\n", "cobol")
    assert parsed.error is not None and parsed.error.startswith("parse error")
    assert shape(parsed) == {("window", "lines 1-1", 1, 1)}


def test_crlf_lines_keep_their_carriage_returns() -> None:
    source = "import os\r\n\r\ndef f():\r\n    return 1\r\n"
    parsed = extract("w.py", source, "python")
    assert shape(parsed) == {("module", "<module>", 1, 1), ("function", "f", 3, 4)}
    check_lines(source, parsed)


def test_minified_code_does_not_repeat_its_line_per_unit() -> None:
    functions = "".join(f"function f{i}(a){{function g(b){{return a+b}}return g}}" for i in range(200))
    source = f"/*! bundle */\n{functions}\n"
    parsed = extract("dist/app.min.js", source, "javascript")
    assert len(parsed.units) == 400
    assert sum(len(u.text) for u in parsed.units) < 3 * len(source)
    inner = next(u for u in parsed.units if u.name == "f7.g")
    assert (inner.start_line, inner.end_line, inner.text) == (2, 2, "function g(b){return a+b}")


def test_long_module_code_is_cut_into_blocks() -> None:
    source = "".join(f"X{i} = {i}\n" for i in range(250))
    assert shape(run("consts.py", source)) == {
        ("module", "<module>", 1, 100), ("module", "<module>", 101, 200), ("module", "<module>", 201, 250),
    }


def test_parse_only_and_parsers() -> None:
    assert parse_only(b"def f(): pass\n", "python") is None
    assert parser_for("python") is parser_for("python")
    with pytest.raises(KeyError):
        parser_for("cobol")


@pytest.mark.parametrize(("path", "language"), [
    ("a.py", "python"), ("a.pyi", "python"), ("a.mjs", "javascript"), ("a.cjs", "javascript"),
    ("a.jsx", "javascript"), ("a.mts", "typescript"), ("types.d.ts", "typescript"), ("a.tsx", "tsx"),
    ("a.rs", "rust"), ("a.go", "go"), ("a.swift", "swift"), ("A.java", "java"), ("a.h", "c"),
    ("a.hh", "cpp"), ("a.cxx", "cpp"), ("README.MD", "markdown"), ("a.markdown", "markdown"),
    ("notes.txt", None), ("Makefile", None),
])
def test_language_for(path: str, language: str | None) -> None:
    assert language_for(path) == language


def test_units_are_frozen() -> None:
    unit = run("f.py", "def f():\n    pass\n").units[0]
    assert isinstance(unit, CodeUnit)
    with pytest.raises(AttributeError):
        unit.name = "g"  # type: ignore[misc]


# Fragments that make tree-sitter build (and break) definitions, not just letters.
_TOKENS = [*"abxyz_ ():{}[]<>#=;.,'\"\\\n\t\r/*-+@!`é\u2028\x00", "def ", "class ", "fn ", "func ",
           "struct ", "impl ", "import ", "#include ", "use ", "## ", "    "]
_SOURCEISH = st.lists(st.sampled_from(_TOKENS), max_size=120).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_SOURCEISH, st.text(max_size=200)), language=st.sampled_from([*LANGUAGES, None]))
def test_extract_never_raises_and_units_stay_in_the_file(text: str, language: str | None) -> None:
    parsed = extract("p", text, language)
    n_lines = text.count("\n") + 1
    for u in parsed.units:
        assert 1 <= u.start_line <= u.end_line <= n_lines
        assert u.text.strip()
    if parsed.error is None and all(len(line) < 500 for line in text.split("\n")):
        check_lines(text, parsed)
