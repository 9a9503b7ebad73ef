"""The static code encoder: one vector per token, pooled. No MLX and no BLAS at run time.

A unit's text becomes its identifiers, each identifier its words (`paths.identifier_words`:
`getNetrcAuth` -> get netrc auth) and they WordPiece tokens (an identifier's ids are cached: code
repeats its names), and the
unit's vector is the weighted mean of its tokens' rows in the table (below), minus the corpus mean,
normalised.
The mean is one sparse (units x vocabulary) product with the table, so thousands of units a second
go through on one core. Queries go through the same steps into the same space.

The table starts as token vectors distilled once from a pretrained sentence encoder (model2vec, at
the time the shipped model is made; docs/default-model.md) and is then trained JEPA-style in MLX
(`static_train.py`): a context view of a unit (its docstring, its name) predicts the embedding of
its body. Centring on a corpus of code units makes random pairs near orthogonal.

Where an identifier stands counts: a unit's head (its first line after decorators: the name and the
parameters) says most about it, so its tokens weigh `head_weight` times, and token i of a text
weighs 1 / (1 + i / position_tau) (the signature and docstring come first, the body's detail
last). A model keeps its own (config.json); `reweight.py` sets them on a trained model.

On disk (format 2), a folder:
    config.json                        format_version 2, kind "static", dim, max_words, head_weight
                                       and position_tau (absent: 1 and 0, no position weights), the
                                       tokenizer, metadata, the name + sha256 of the weights file
    static-<sha256[:16]>.safetensors   "embeddings" [vocab, dim], "mean" [dim], the query-side
                                       "predictor" [dim, dim] and "token_weights" [vocab]
config.json is the commit point (atomic.py), as for the transformer's checkpoints.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from vjepa_core.messages import CheckpointError
from vjepa_core.model.encoder.atomic import (
    fsync_dir,
    remove_stale,
    sha256_file,
    write_json,
    write_safetensors_numpy,
)
from vjepa_core.paths import identifier_words, identifiers

FORMAT_VERSION = 2
KIND = "static"
CONFIG_NAME = "config.json"
MAX_WORDS = 384  # identifiers of a unit that count (its head: the signature and docstring come first)
_SLICE = 4096  # texts per sparse product: bounds the scratch memory
_CACHE_LIMIT = 400_000  # identifiers whose token ids are remembered
# A float16 table's rows are summed for runs of texts of up to this many tokens at a time, from the
# rows they use (8 MB of scratch); a float32 table (a model being trained) goes through a sparse product.
_GATHER_TOKENS = 8192
_FIX = "reinstall VJEPA (the shipped model) or retrain with `vjepa train`"


class StaticEncoder:
    """Token table + tokenizer + corpus mean: unit and query vectors with numpy and scipy only."""

    kind = KIND

    def __init__(self, tokenizer_json: str, embeddings: np.ndarray, mean: np.ndarray, *,
                 predictor: np.ndarray | None = None, token_weights: np.ndarray | None = None,
                 max_words: int = MAX_WORDS, head_weight: float = 1.0, position_tau: float = 0.0,
                 metadata: dict[str, Any] | None = None) -> None:
        from tokenizers import Tokenizer

        self.tokenizer_json = tokenizer_json
        self._tok = Tokenizer.from_str(tokenizer_json)
        # A table read from disk stays float16, as it is stored (half the memory: 21 of 43 MB for
        # the shipped model); `pooled` works in float32 either way. A trained one stays float32.
        table_dtype = np.float16 if np.asarray(embeddings).dtype == np.float16 else np.float32
        self.embeddings = np.ascontiguousarray(embeddings, dtype=table_dtype)
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        # JEPA's predictor: maps a context view's vector (a query) to the body vectors' space.
        self.predictor = None if predictor is None else np.asarray(predictor, dtype=np.float32)
        # Learned pooling weights, one per token (a unit's vector is the weighted mean of its tokens').
        self.token_weights = None if token_weights is None else np.asarray(token_weights, dtype=np.float32)
        self.max_words = max_words
        self.head_weight, self.position_tau = float(head_weight), float(position_tau)
        self.metadata = dict(metadata or {})
        self._ids: dict[str, tuple[int, ...]] = {}  # identifier -> its token ids
        self._word_ids: dict[str, tuple[int, ...]] = {}  # word -> its WordPiece ids
        if self._tok.get_vocab_size() != self.embeddings.shape[0]:
            raise ValueError(f"tokenizer has {self._tok.get_vocab_size()} tokens, the table "
                             f"{self.embeddings.shape[0]} rows")
        if self.mean.shape != (self.dim,):
            raise ValueError(f"mean has shape {self.mean.shape}, the table's width is {self.dim}")
        if self.predictor is not None and self.predictor.shape != (self.dim, self.dim):
            raise ValueError(f"predictor has shape {self.predictor.shape}, expected {(self.dim, self.dim)}")
        if self.token_weights is not None and (self.token_weights.shape != (self.vocab_size,)
                                               or not np.all(self.token_weights > 0)):
            raise ValueError(f"token weights must be {self.vocab_size} positive numbers")
        if not (self.head_weight > 0 and self.position_tau >= 0):
            raise ValueError(f"head_weight must be positive and position_tau not negative "
                             f"(got {self.head_weight}, {self.position_tau})")

    @property
    def dim(self) -> int:
        return int(self.embeddings.shape[1])

    @property
    def vocab_size(self) -> int:
        return int(self.embeddings.shape[0])

    # ---- tokens --------------------------------------------------------------------------------
    def _identifier_ids(self, names: set[str]) -> None:
        new = [n for n in names if n not in self._ids]
        if not new:
            return
        if len(self._ids) + len(new) > _CACHE_LIMIT:  # start afresh, keeping what this call needs
            self._ids.clear()
            self._word_ids.clear()
            new = list(names)
        split = [identifier_words(n) for n in new]
        words = self._word_ids
        unknown = list({w for ws in split for w in ws if w not in words})
        for w, enc in zip(unknown, self._tok.encode_batch(unknown, add_special_tokens=False)):
            words[w] = tuple(enc.ids)
        for n, ws in zip(new, split):
            self._ids[n] = words[ws[0]] if len(ws) == 1 else tuple(chain.from_iterable(words[w] for w in ws))

    def token_ids(self, texts: Sequence[str], *, heads: bool | Sequence[bool] = True
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(flat token ids, row offsets [N + 1]) of `texts`: row i is ids[offsets[i]:offsets[i+1]].

        A text's first `max_words` identifiers count; each identifier's ids are its words' WordPiece
        tokens (`getNetrcAuth` -> get, net, ##rc, auth), worked out once and cached."""
        flat, offsets, _ = self.weighted_ids(texts, heads=heads, weights=False)
        return flat, offsets

    def weighted_ids(self, texts: Sequence[str], *, heads: bool | Sequence[bool] = True,
                     weights: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """`token_ids` and each token's position weight: `head_weight` for the head line's tokens, times
        1 / (1 + i / position_tau) for the text's i-th token; None when not asked for or all would be 1. `heads`
        (one per text, or for all) says whether a text starts with a head line (a unit does; a body
        cut from below its first line does not)."""
        names = [identifiers(t)[: self.max_words] for t in texts]
        self._identifier_ids(set(chain.from_iterable(names)))
        ids = self._ids
        rows = [list(chain.from_iterable(ids[n] for n in ns)) for ns in names]
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.int32, count=int(offsets[-1]))
        if not weights or (self.head_weight == 1.0 and not self.position_tau):
            return flat, offsets, None
        position = np.arange(len(flat), dtype=np.float32) - np.repeat(offsets[:-1], lengths)
        w = np.ones(len(flat), dtype=np.float32)
        if self.position_tau:
            w /= 1.0 + position / self.position_tau
        if self.head_weight != 1.0:
            flags = [heads] * len(texts) if isinstance(heads, bool) else list(heads)
            head = np.fromiter((sum(len(ids[n]) for n in ns[:len(identifiers(_head(t)))]) if f else 0
                                for t, ns, f in zip(texts, names, flags)), dtype=np.float32, count=len(texts))
            w[position < np.repeat(head, lengths)] *= self.head_weight
        return flat, offsets, w

    def padded_ids(self, texts: Sequence[str], max_len: int, *, heads: bool | Sequence[bool] = True
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and their position weights as [N, L] arrays (L <= max_len, id 0 and weight 0 =
        padding), for training."""
        flat, offsets, pw = self.weighted_ids(texts, heads=heads)
        lengths = np.minimum(np.diff(offsets), max_len)
        width = max(1, int(lengths.max(initial=0)))
        out = np.zeros((len(texts), width), dtype=np.int32)
        wout = np.zeros((len(texts), width), dtype=np.float32)
        for i, (o, n) in enumerate(zip(offsets[:-1], lengths)):
            out[i, :n] = flat[o:o + n]
            wout[i, :n] = 1.0 if pw is None else pw[o:o + n]
        return out, wout

    # ---- vectors -------------------------------------------------------------------------------
    def pooled(self, texts: Sequence[str]) -> np.ndarray:
        """[N, D]: the (weighted) mean token row of each text, before centring (zeros for a text with
        no words)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), _SLICE):
            flat, offsets, pw = self.weighted_ids(texts[start:start + _SLICE])
            lengths = np.diff(offsets)
            if self.token_weights is None and pw is None:
                weights = np.repeat(1.0 / np.maximum(lengths, 1), lengths).astype(np.float32)
            else:
                weights = self.token_weights[flat] if self.token_weights is not None else np.ones(len(flat), np.float32)
                if pw is not None:
                    weights = weights * pw
                rows = np.repeat(np.arange(len(lengths)), lengths)
                totals = np.bincount(rows, weights=weights, minlength=len(lengths))
                weights = (weights / np.maximum(totals[rows], 1e-12)).astype(np.float32)
            if self.embeddings.dtype != np.float32:
                out[start:start + len(lengths)] = _chunked_sums(self.embeddings, flat, offsets, weights)
                continue
            # A float32 table only (the shipped float16 one is summed above, without scipy).
            from scipy.sparse import csr_matrix

            table = self.embeddings.astype(np.float32, copy=False)
            m = csr_matrix((weights, flat, offsets), shape=(len(lengths), self.vocab_size))
            out[start:start + len(lengths)] = m @ table
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit (or query) vectors: pooled, centred, L2-normalised, float32 [N, D]. A text with no
        words gets the zero vector (cosine 0 to everything)."""
        pooled = self.pooled(texts)
        empty = ~pooled.any(axis=1)
        v = pooled - self.mean
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        v[empty] = 0.0
        return v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors: as `embed`, then the predictor, into the space of the unit vectors."""
        v = self.embed(texts)
        if self.predictor is None:
            return v
        q = v @ self.predictor.T
        return q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)


def _chunked_sums(table: np.ndarray, flat: np.ndarray, offsets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """`_weighted_sums` over runs of whole texts of up to _GATHER_TOKENS tokens each (a longer text
    is a run of its own): a float16 table is never copied whole to float32 (30 MB for the shipped
    model, once per slice of an index's texts), and as fast (7,226 units: 0.59 s, the sparse product
    over the float32 copy 0.69 s)."""
    n = len(offsets) - 1
    out = np.empty((n, table.shape[1]), dtype=np.float32)
    i = 0
    while i < n:
        j = min(n, max(i + 1, int(np.searchsorted(offsets, offsets[i] + _GATHER_TOKENS, side="right")) - 1))
        lo, hi = offsets[i], offsets[j]
        out[i:j] = _weighted_sums(table, flat[lo:hi], offsets[i:j + 1] - lo, weights[lo:hi])
        i = j
    return out


def _weighted_sums(table: np.ndarray, flat: np.ndarray, offsets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """[N, D] float32: row i is the sum of weights[j] * table[flat[j]] over its tokens (offsets[i] to
    offsets[i + 1]), as the sparse product computes it, from only the rows the tokens use."""
    lengths = np.diff(offsets)
    out = np.zeros((len(lengths), table.shape[1]), dtype=np.float32)
    if len(flat):
        terms = table[flat].astype(np.float32)
        terms *= weights[:, None]
        filled = lengths > 0
        out[filled] = np.add.reduceat(terms, offsets[:-1][filled], axis=0)
    return out


def _head(text: str) -> str:
    """A unit's head: the text up to the end of its first line that is not a decorator or annotation
    (`@...`), decorators included."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            return text
        if not text[start:end].lstrip().startswith("@"):
            return text[:end]
        start = end + 1


def save(model: StaticEncoder, directory: str | os.PathLike[str]) -> Path:
    """Write `model` into `directory` atomically; returns the config path."""
    d = Path(directory)
    arrays = {"embeddings": model.embeddings.astype(np.float16), "mean": model.mean.astype(np.float32)}
    if model.predictor is not None:
        arrays["predictor"] = model.predictor.astype(np.float32)
    if model.token_weights is not None:
        arrays["token_weights"] = model.token_weights.astype(np.float32)
    name, digest = write_safetensors_numpy(d, arrays, "static")
    write_json(d / CONFIG_NAME, {
        "format_version": FORMAT_VERSION, "kind": KIND, "dim": model.dim, "vocab_size": model.vocab_size,
        "max_words": model.max_words, "head_weight": model.head_weight, "position_tau": model.position_tau,
        "weights_file": name, "weights_sha256": digest,
        "metadata": model.metadata, "tokenizer": json.loads(model.tokenizer_json)})
    fsync_dir(d)
    remove_stale(d, "static", name)
    return d / CONFIG_NAME


def load(directory: str | os.PathLike[str], config: dict[str, Any] | None = None) -> StaticEncoder:
    """Read and check a static encoder; raises CheckpointError saying what is wrong and what to do."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    d = Path(directory)
    config = config if config is not None else read_config(d)
    missing = [k for k in ("dim", "weights_file", "weights_sha256", "tokenizer") if k not in config]
    if missing:
        raise CheckpointError(f"model at {d}: {CONFIG_NAME} lacks {', '.join(missing)}; {_FIX}")
    name = str(config["weights_file"])
    path = d / name
    if Path(name).name != name or not name.endswith(".safetensors"):
        raise CheckpointError(f"model at {d}: bad weights_file {name!r} in {CONFIG_NAME}; {_FIX}")
    if not path.exists():
        raise CheckpointError(f"model at {d}: weights file {name} is missing; {_FIX}")
    if sha256_file(path) != config["weights_sha256"]:
        raise CheckpointError(f"model at {d}: {name} is corrupt (its checksum does not match {CONFIG_NAME}); {_FIX}")
    try:
        arrays = _mapped(path) or load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"model at {d}: cannot read {name} ({exc}); {_FIX}") from exc
    table, mean = arrays.get("embeddings"), arrays.get("mean")
    if table is None or mean is None or table.ndim != 2 or table.shape[1] != config["dim"]:
        raise CheckpointError(f"model at {d}: {name} does not hold a [vocab, {config['dim']}] table and its mean; {_FIX}")
    try:
        return StaticEncoder(json.dumps(config["tokenizer"]), table, mean, predictor=arrays.get("predictor"),
                             token_weights=arrays.get("token_weights"),
                             max_words=int(config.get("max_words", MAX_WORDS)),
                             head_weight=float(config.get("head_weight", 1.0)),
                             position_tau=float(config.get("position_tau", 0.0)), metadata=config.get("metadata") or {})
    except Exception as exc:  # ValueError from us; tokenizers raises its own Exception type
        raise CheckpointError(f"model at {d}: the tokenizer or table is unusable ({exc}); {_FIX}") from exc


_DTYPES = {"F16": np.float16, "F32": np.float32}


def _mapped(path: Path) -> dict[str, np.ndarray] | None:
    """The file's tensors mapped from it, not read (copy on write: the file is never changed): a
    process keeps only the table rows its texts use (a server's queries and saves: a few hundred KB
    of the shipped model's 15 MB). Laid out as the safetensors format says (an 8-byte little-endian
    header length, a JSON header of dtype, shape and data_offsets, then the data); None when a
    tensor is of another dtype (the caller reads the file then)."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    start = 8 + size
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            return None
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if end - begin != int(np.prod(shape)) * np.dtype(dtype).itemsize:
            raise ValueError(f"tensor {name}: {end - begin} bytes for shape {shape}")
        out[name] = np.memmap(path, dtype=dtype, mode="c", offset=start + begin, shape=shape) if end > begin \
            else np.zeros(shape, dtype)
    return out


def read_config(d: Path) -> dict[str, Any]:
    """config.json of a model folder, checked for being JSON with a format_version."""
    path = d / CONFIG_NAME
    if not path.exists():
        raise CheckpointError(f"no model at {d}: {CONFIG_NAME} is missing; {_FIX}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"model at {d}: {CONFIG_NAME} is corrupt ({exc}); {_FIX}") from exc
    if not isinstance(config, dict) or "format_version" not in config:
        raise CheckpointError(f"model at {d}: {CONFIG_NAME} has no format_version; {_FIX}")
    return config
