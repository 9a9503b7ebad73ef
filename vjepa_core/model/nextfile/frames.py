"""Frames: what a file looks like to the temporal predictor, from its path (and a content vector).

A file's frame is an embedding bag of its path tokens (folders, stem words, extension, test-ness),
plus a per-file embedding for files seen in the training history, plus an optional content vector
supplied from outside (the unit encoder's file vectors). This module makes the integer inputs;
`TemporalPredictor.frames` embeds them.
"""

from __future__ import annotations

import functools
import posixpath
import zlib
from collections.abc import Iterable

import numpy as np

from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.paths import identifier_words, is_test_path


@functools.lru_cache(maxsize=1 << 17)  # asked for every alive file of every ranking: cached
def core_stem(path: str) -> str:
    """The stem without test affixes: `tests/test_api.py` and `src/api.py` share `api`.

    Not paths.subject_stem: the shipped prior's hashed `stem:` tokens were learnt with this rule
    (Python's affixes only, dotfiles keep their name), so frames must keep it."""
    stem = posixpath.splitext(posixpath.basename(path))[0].lower()
    for pre in ("test_", "tests_"):
        stem = stem.removeprefix(pre)
    for suf in ("_test", "_tests"):
        stem = stem.removesuffix(suf)
    return stem


def path_tokens(path: str) -> list[str]:
    """Folders, parent folder, extension, stem words and test-ness of a path."""
    parts = path.split("/")
    dirs = parts[:-1]
    ext = posixpath.splitext(parts[-1])[1].lower()
    stem = core_stem(path)
    toks = [f"ext:{ext}", f"parent:{'/'.join(dirs)}", f"stem:{stem}", f"test:{is_test_path(path)}",
            f"depth:{min(len(dirs), 6)}"]
    toks += [f"dir:{d}" for d in dirs[-3:]]
    toks += [f"w:{w}" for w in identifier_words(stem)]
    return toks


class FrameFeaturizer:
    """Maps paths to the integer inputs of a frame: hashed tokens, a seen-file id, a content vector.

    `seen_paths` are the files of the training commits: only they get an id (a learned row);
    anything else is known by its path tokens (and content vector) alone.
    """

    def __init__(self, seen_paths: Iterable[str], cfg: NextFileConfig,
                 file_vectors: dict[str, np.ndarray] | None = None) -> None:
        self.cfg = cfg
        self.seen_paths: tuple[str, ...] = tuple(sorted(set(seen_paths)))
        self.ids = {p: i + 1 for i, p in enumerate(self.seen_paths)}  # 0: no id
        self.file_vectors = file_vectors or {}
        dims = {len(v) for v in self.file_vectors.values()}
        self.vec_dims = dims.pop() if len(dims) == 1 else 0

    def encode(self, paths: list[str]) -> dict[str, np.ndarray]:
        n, t = len(paths), self.cfg.max_tokens
        tok = np.zeros((n, t), np.int32)
        tok_mask = np.zeros((n, t), np.float32)
        ids = np.zeros(n, np.int32)
        vecs = np.zeros((n, max(self.vec_dims, 1)), np.float32)
        vec_mask = np.zeros((n, 1), np.float32)
        for i, p in enumerate(paths):
            hs = [zlib.crc32(s.encode()) % self.cfg.buckets for s in path_tokens(p)][:t]
            tok[i, : len(hs)] = hs
            tok_mask[i, : len(hs)] = 1.0
            ids[i] = self.ids.get(p, 0)
            v = self.file_vectors.get(p)
            if self.vec_dims and v is not None:
                vecs[i] = v / (np.linalg.norm(v) + 1e-8)
                vec_mask[i] = 1.0
        return {"tok": tok, "tok_mask": tok_mask, "ids": ids, "vecs": vecs, "vec_mask": vec_mask}
