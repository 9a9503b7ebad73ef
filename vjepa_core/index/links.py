"""The index's import and similarity relations, also kept as one small Arrow file beside the index
(`content_links.arrow`), written after each full index: the lenses' background fit
(`queries/lens_fit.py`) reads it instead of opening LanceDB, whose import alone is about 110 MB
of a process's memory. The file names the relations table's version it was taken from, and is
used only while that version is still the table's latest (read from the manifest files' names,
without LanceDB); otherwise the fit opens the index as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from pyarrow import ipc

if TYPE_CHECKING:
    from vjepa_core.index.store import Store

LINKS_FILE = "content_links.arrow"
CONTENT_KINDS = "kind IN ('import', 'similar')"
_VERSION = b"relations_version"


def table_version(index_dir: Path, name: str) -> int | None:
    """A Lance table's latest version from its manifest files' names (`N.manifest`, or, in the
    newer naming, 2**64 - 1 - N); None when there is none to read."""
    try:
        numbers = [int(p.name.split(".", 1)[0]) for p in (Path(index_dir) / f"{name}.lance" / "_versions").iterdir()
                   if p.name.endswith(".manifest")]
    except (OSError, ValueError):
        return None
    return max((2 ** 64 - 1 - n if n >= 2 ** 63 else n for n in numbers), default=None)


def save_links(store: Store) -> None:
    """Write the import and similarity relations (a, b, kind, weight) beside the index, atomically."""
    rows = store.read("relations", ["a", "b", "kind", "weight"], where=CONTENT_KINDS)
    version = table_version(store.path, "relations")
    if version is None:
        return
    rows = rows.replace_schema_metadata({_VERSION: str(version).encode()})
    final = Path(store.path) / LINKS_FILE
    tmp = final.with_name(f".{LINKS_FILE}.{os.getpid()}")
    with ipc.new_file(tmp, rows.schema) as writer:
        writer.write_table(rows)
    os.replace(tmp, final)


def load_links(index_dir: Path) -> pa.Table | None:
    """The relations `save_links` wrote, when the relations table has not changed since; else None."""
    try:
        with ipc.open_file(Path(index_dir) / LINKS_FILE) as reader:
            rows = reader.read_all()
    except (OSError, pa.ArrowInvalid):
        return None
    written = (rows.schema.metadata or {}).get(_VERSION)
    current = table_version(index_dir, "relations")
    return rows if written is not None and current is not None and int(written) == current else None
