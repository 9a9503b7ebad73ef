"""The index's import and similarity relations, also kept as one small NumPy file beside the index
(`content_links.npz`: the files' paths once, then each row as two indexes into them, the kind and
the weight), written after each full index: the lenses' background fit (`queries/lens_fit.py`)
reads it instead of opening LanceDB, whose import alone is about 110 MB of a process's memory, and
without pyarrow (27 MB more). The file names the relations table's version it was taken from, and
is used only while that version is still the table's latest (read from the manifest files' names,
without LanceDB); otherwise the fit opens the index as before.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vjepa_core.index.store import Store

LINKS_FILE = "content_links.npz"
_OLD_FILES = ("content_links.arrow",)  # what earlier versions wrote: removed when this one is
CONTENT_KINDS = "kind IN ('import', 'similar')"
KINDS = ("import", "similar")


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
    a, b = (rows[c].to_numpy(zero_copy_only=False).astype(str) for c in ("a", "b"))
    files, index = np.unique(np.concatenate([a, b]), return_inverse=True)
    kind = np.asarray(rows["kind"].to_numpy(zero_copy_only=False).astype(str) == "similar", dtype=np.uint8)
    final = Path(store.path) / LINKS_FILE
    tmp = final.with_name(f".{LINKS_FILE}.{os.getpid()}.npz")
    np.savez(tmp, files=files, a=index[:len(a)].astype(np.int32), b=index[len(a):].astype(np.int32), kind=kind,
             weight=rows["weight"].to_numpy(zero_copy_only=False).astype(np.float32),
             version=np.array([version], dtype=np.int64))
    os.replace(tmp, final)
    for old in _OLD_FILES:
        (Path(store.path) / old).unlink(missing_ok=True)


def load_links(index_dir: Path) -> dict[str, list] | None:
    """The relations `save_links` wrote (columns a, b, kind, weight, as lists), when the relations
    table has not changed since; else None."""
    try:
        with np.load(Path(index_dir) / LINKS_FILE, allow_pickle=False) as data:
            written = int(data["version"][0])
            current = table_version(index_dir, "relations")
            if current is None or written != current:
                return None
            files = data["files"].tolist()
            return {"a": [files[i] for i in data["a"].tolist()], "b": [files[i] for i in data["b"].tolist()],
                    "kind": [KINDS[k] for k in data["kind"].tolist()], "weight": data["weight"].tolist()}
    except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile):
        return None
