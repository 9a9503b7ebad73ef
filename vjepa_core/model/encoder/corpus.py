"""Making a static encoder: its starting table (a model2vec distillation) and a corpus of code units.

Used by `vjepa make-encoder` (the shipped model, docs/default-model.md). The distillation itself
runs once, outside the product, with model2vec and a pretrained sentence encoder; this reads its
output folder (`model.safetensors` with "embeddings", `tokenizer.json`) with numpy only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from vjepa_core.harvest.languages import language_for
from vjepa_core.harvest.safety import IgnoreRules
from vjepa_core.harvest.units import extract
from vjepa_core.harvest.walk import read_text, walk
from vjepa_core.messages import CheckpointError
from vjepa_core.model.encoder.static import StaticEncoder
from vjepa_core.model.encoder.views import ViewInput
from vjepa_core.paths import is_test_path


def from_model2vec(folder: Path) -> StaticEncoder:
    """A StaticEncoder (mean zero: not centred yet) from a model2vec model folder."""
    from safetensors.numpy import load_file

    table_path, tok_path = folder / "model.safetensors", folder / "tokenizer.json"
    if not table_path.exists() or not tok_path.exists():
        raise CheckpointError(f"{folder} is not a model2vec folder (it needs model.safetensors and tokenizer.json)")
    table = load_file(str(table_path))["embeddings"].astype(np.float32)
    tokenizer = json.loads(tok_path.read_text(encoding="utf-8"))
    tokenizer["truncation"], tokenizer["padding"] = None, None
    config = json.loads((folder / "config.json").read_text(encoding="utf-8")) if (folder / "config.json").exists() else {}
    return StaticEncoder(json.dumps(tokenizer), table, np.zeros(table.shape[1], np.float32),
                         metadata={"distilled_from": config.get("tokenizer_name", str(folder)).rsplit("/", 2)[-2:]})


def corpus_units(roots: Sequence[Path], exclude: Sequence[str] = (), *,
                 tests: bool = False) -> Iterator[tuple[ViewInput, str]]:
    """((text, kind, name), group) of every code unit under `roots` (tests left out unless `tests`),
    each distinct text once. The group is the unit's package (its root and first two folders): training
    draws hard negatives from it. `exclude` takes gitignore patterns, as `vjepa crawl --exclude` does."""
    seen: set[bytes] = set()
    for number, root in enumerate(roots):
        root = Path(root).resolve()
        for entry in walk(root, IgnoreRules(root, list(exclude))).files:
            language = language_for(entry.rel)
            if language in (None, "markdown") or (not tests and is_test_path(entry.rel)):
                continue
            read = read_text(entry)
            if read.text is None:
                continue
            for unit in extract(entry.rel, read.text, language).units:
                key = hashlib.blake2b(unit.text.encode("utf-8", "surrogatepass"), digest_size=12).digest()
                if key not in seen:
                    seen.add(key)
                    yield (unit.text, unit.kind, unit.name), f"{number}:" + "/".join(entry.rel.split("/")[:2])
