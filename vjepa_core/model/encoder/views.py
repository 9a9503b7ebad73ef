"""A unit's two views for the cross-view term: its docstring, leading comment or signature (what a
search query looks like) and the code that view describes; and their token ids for training."""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vjepa_core.harvest.units import CodeUnit
    from vjepa_core.model.encoder.tokenizer import CodeTokenizer

ViewInput = tuple[str, str, str]  # (unit text, kind, name)

_PY_DOC = re.compile(
    r"(?s)\A(?P<head>(?:[ \t]*@[^\n]*\n)*[ \t]*(?:async[ \t]+)?(?:def|class)\b.*?:[ \t]*(?:#[^\n]*)?\n)"
    r"(?:[ \t]*\n)*[ \t]*[rRuU]?(?P<q>\"\"\"|'''|\"|')(?P<doc>.*?)(?P=q)[ \t]*(?:\n|\Z)"
)
_PY_HEAD = re.compile(r"(?s)\A(?:[ \t]*@[^\n]*\n)*(?P<sig>[ \t]*(?:async[ \t]+)?(?:def|class)\b.*?:)[ \t]*(?:#.*?)?\n")
_COMMENT_LINE = re.compile(r"^[ \t]*(//+!?|#+(?!!)|/\*+|\*+/?|--)(?P<text>.*)$")
_SIG_KINDS = frozenset({"function", "method", "class", "struct", "enum", "interface", "trait", "impl"})


def _strip_comment_markers(lines: list[str]) -> str:
    out = []
    for line in lines:
        m = _COMMENT_LINE.match(line)
        text = m.group("text") if m else line
        out.append(text.replace("*/", "").strip())
    return "\n".join(t for t in out if t).strip()


def make_views(unit_text: str, kind: str, name: str) -> tuple[str | None, str]:
    """(doc view, body view) of a unit: a natural-language or signature view and the code it describes.

    The doc view is a Python docstring, else a leading `//`, `#`, `/* */` or `/** */` comment, else
    (for definitions) the name and signature line. The body view is the unit without its docstring
    or leading comment; for a signature view it is the whole unit.
    """
    m = _PY_DOC.match(unit_text)
    if m and m.group("doc").strip():
        body = unit_text[: m.end("head")] + unit_text[m.end():]
        return inspect.cleandoc(m.group("doc")), body
    lines = unit_text.split("\n")
    n = 0
    in_block = False
    while n < len(lines):
        s = lines[n].strip()
        if in_block:
            in_block = "*/" not in s
        elif s.startswith("/*"):
            in_block = "*/" not in s[2:]
        elif not (s.startswith("//") or (s.startswith("#") and not s.startswith(("#!", "#include", "#[")))):
            break
        n += 1
    doc = _strip_comment_markers(lines[:n]) if n else ""
    if doc and n < len(lines):
        return doc, "\n".join(lines[n:])
    if kind in _SIG_KINDS or not kind:
        h = _PY_HEAD.match(unit_text)
        if h:
            return h.group("sig").strip(), unit_text
        if kind and lines:
            first = lines[0].strip().rstrip("{").strip()
            return (f"{name} {first}".strip() if name and name not in first else first) or None, unit_text
    return None, unit_text


def view_input(unit: str | CodeUnit) -> ViewInput:
    """A unit text, or a CodeUnit (whose kind and name help find signature views), as make_views' arguments."""
    if isinstance(unit, str):
        return unit, "", ""
    return unit.text, unit.kind, unit.name


def encode_views(units: Sequence[ViewInput], tokenizer: CodeTokenizer, max_len: int,
                 doc_max_len: int) -> dict[str, np.ndarray]:
    """Token ids for training: "ids" of every unit, "doc_ids" and "body_ids" of the units with a
    doc view (pair i is row i of both; no rows when no unit has one)."""
    pairs = [(d, b) for d, b in (make_views(*t) for t in units) if d]
    return {
        "ids": tokenizer.encode_batch([t for t, _, _ in units], max_len),
        "doc_ids": tokenizer.encode_batch([d for d, _ in pairs], doc_max_len) if pairs
        else np.zeros((0, doc_max_len), dtype="int32"),
        "body_ids": tokenizer.encode_batch([b for _, b in pairs], max_len) if pairs
        else np.zeros((0, max_len), dtype="int32"),
    }
