"""What the project says it is, in its own words: the first real sentences of its README (after the
title, the logo and the badges), else the description in its package metadata, else the docstring
of its top package. Extractive and local: nothing is generated, nothing leaves the machine.

Only files the index holds are read (so the deny list and the secret screening have passed them).
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MIN_WORDS = 5  # a shorter paragraph is a tagline, a caption or a link
MAX_CHARS = 320  # a summary, not the README
SHORT = 70  # a first sentence shorter than this takes the next one along
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(_*`])")
_README = re.compile(r"^readme(\.(md|markdown|rst|txt))?$", re.IGNORECASE)
_METADATA = ("pyproject.toml", "package.json", "Cargo.toml", "setup.cfg")


@dataclass
class About:
    text: str  # what the project is, in its own words
    source: str  # the file it comes from ("README.md", "pyproject.toml", "httpx/__init__.py")


def project_about(root: Path, files: Collection[str]) -> About | None:
    """The project's own description of itself, or None when it has none we can find.
    `files`: the indexed paths (relative to `root`)."""
    name = _project_name(root, files)
    for finder in (_from_readme, _from_metadata, _from_docstring):
        found = finder(root, files, name)
        if found:
            text, source = found
            return About(_named(_shorten(text), name), source)
    return None


def _read(root: Path, rel: str) -> str:
    try:
        return (root / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _project_name(root: Path, files: Collection[str]) -> str:
    for rel, read in (("pyproject.toml", lambda t: tomllib.loads(t).get("project", {}).get("name")),
                      ("package.json", lambda t: json.loads(t).get("name")),
                      ("Cargo.toml", lambda t: tomllib.loads(t).get("package", {}).get("name"))):
        if rel in files:
            try:
                value = read(_read(root, rel))
            except (ValueError, AttributeError):
                continue
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""  # (a folder's name is often not the project's: it is not put in anyone's mouth)


def _named(text: str, name: str) -> str:
    """'Fast, minimalist web framework for Node.js.' -> 'express: Fast, minimalist ...' (a sentence
    that does not say whose it is gets the project's name in front)."""
    if not name or name.lower().replace("-", " ") in text.lower().replace("-", " "):
        return text
    return f"{name}: {text}"


def _shorten(paragraph: str) -> str:
    """The first sentence (two when the first is short), at most MAX_CHARS."""
    text = " ".join(paragraph.split())
    sentences = _SENTENCE_END.split(text)
    out = sentences[0]
    if len(out) < SHORT and len(sentences) > 1 and len(out) + len(sentences[1]) < MAX_CHARS:
        out += " " + sentences[1]
    if len(out) > MAX_CHARS:
        out = out[: MAX_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    if out and out[-1] not in ".!?…":
        out += "."
    return out


def _prose(text: str) -> bool:
    words = re.findall(r"[^\W\d_]{2,}", text)
    return len(words) >= MIN_WORDS


def _from_readme(root: Path, files: Collection[str], name: str) -> tuple[str, str] | None:
    readmes = sorted((f for f in files if "/" not in f and _README.match(f)),
                     key=lambda f: (not f.lower().endswith((".md", ".markdown")), f))
    for rel in readmes:
        source = _read(root, rel)
        paras = _rst_paragraphs(source) if rel.lower().endswith(".rst") else _md_paragraphs(source)
        if paras:
            return _definition(paras, name), rel
    return None


def _definition(paragraphs: list[str], name: str) -> str:
    """Of the first few paragraphs, the first that says what the project is ("Werkzeug is a ..."),
    else the first (a README may open with an epigraph or a tagline)."""
    if not name:
        return paragraphs[0]
    says = re.compile(rf"\b{re.escape(name)}\b[^.]{{0,40}}?\b(is|are)\b", re.IGNORECASE)
    return next((p for p in paragraphs if says.search(p)), paragraphs[0])


def _md_paragraphs(source: str, limit: int = 5) -> list[str]:
    """The first top-level paragraphs with real words in them: headings, HTML blocks (centred logos
    and taglines), badges, quotes, lists, tables and code are passed over."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    depth = 0  # inside a blockquote or a list
    found: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type in ("blockquote_open", "bullet_list_open", "ordered_list_open", "table_open"):
            depth += 1
        elif tok.type in ("blockquote_close", "bullet_list_close", "ordered_list_close", "table_close"):
            depth -= 1
        elif tok.type == "paragraph_open" and depth == 0 and i + 1 < len(tokens):
            inline = tokens[i + 1]
            parts = []
            for child in inline.children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            text = "".join(parts).strip()
            if _prose(text):
                found.append(text)
                if len(found) == limit:
                    break
    return found


def _rst_paragraphs(source: str, limit: int = 5) -> list[str]:
    """The same for reStructuredText, read by docutils (titles, directives, badges passed over)."""
    from docutils import nodes
    from docutils.core import publish_doctree

    try:
        tree = publish_doctree(source, settings_overrides={"report_level": 5, "halt_level": 5,
                                                           "file_insertion_enabled": False,
                                                           "raw_enabled": False})
    except Exception:  # noqa: BLE001 - a README docutils cannot read just has no summary for us
        return []
    found: list[str] = []
    for para in tree.findall(nodes.paragraph):
        if isinstance(para.parent, (nodes.list_item, nodes.block_quote, nodes.entry, nodes.system_message)):
            continue
        kept = [n.astext() for n in para.children if not isinstance(n, (nodes.substitution_reference,
                                                                          nodes.image, nodes.problematic))]
        text = "".join(kept).strip()
        if _prose(text):
            found.append(text)
            if len(found) == limit:
                break
    return found


def _from_metadata(root: Path, files: Collection[str], name: str) -> tuple[str, str] | None:
    readers = {
        "pyproject.toml": lambda t: tomllib.loads(t).get("project", {}).get("description"),
        "package.json": lambda t: json.loads(t).get("description"),
        "Cargo.toml": lambda t: tomllib.loads(t).get("package", {}).get("description"),
        "setup.cfg": lambda t: (re.search(r"^description\s*=\s*(.+)$", t, re.MULTILINE) or [None, None])[1],
    }
    for rel in _METADATA:
        if rel not in files:
            continue
        try:
            value = readers[rel](_read(root, rel))
        except (ValueError, AttributeError, TypeError):
            continue
        if isinstance(value, str) and len(value.split()) >= 2:
            return value.strip(), rel
    return None


def _from_docstring(root: Path, files: Collection[str], name: str) -> tuple[str, str] | None:
    """The first paragraph of the docstring of the shallowest package (`pkg/__init__.py` or
    `src/pkg/__init__.py`), tests and examples left out."""
    inits = sorted((f for f in files if posixpath.basename(f) == "__init__.py"
                    and not re.search(r"(^|/)(tests?|examples?|docs?)/", f)),
                   key=lambda f: (f.count("/") - f.startswith("src/"), f))
    for rel in inits[:3]:
        try:
            doc = ast.get_docstring(ast.parse(_read(root, rel)))
        except (SyntaxError, ValueError):
            continue
        if doc:
            para = doc.strip().split("\n\n", 1)[0]
            if _prose(para):
                return para, rel
    return None
