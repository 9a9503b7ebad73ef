"""A code-aware byte-level BPE, trained locally on the user's own units and saved with the checkpoint.

Pre-tokenization splits code before BPE merges anything, so merges learn sub-words of identifiers
rather than whole lines: identifiers break at case changes and underscores (`getHTTPResponse` ->
`get` `HTTP` `Response`, `max_len` -> `max` `_` `len`), digits stand alone, a newline keeps its
indentation as one piece and other whitespace runs stay one piece. A single leading space rides on
the word or punctuation after it (as in GPT-2), which keeps sequences short. ByteLevel then maps
every byte to a symbol, so no input is ever unknown.

Special tokens have fixed ids: [PAD]=0, [MASK]=1, [CLS]=2, [SEP]=3, [UNK]=4.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

SPECIAL_TOKENS = ("[PAD]", "[MASK]", "[CLS]", "[SEP]", "[UNK]")
# Order matters: the first alternative that matches at a position wins.
CODE_SPLIT = (
    r" ?[A-Z]+(?=[A-Z][a-z])"  # acronym before a capitalised word: HTTP|Response
    r"| ?[A-Z]?[a-z]+"  # a (capitalised) lowercase word
    r"| ?[A-Z]+"  # a trailing acronym
    r"|\d"  # digits one by one
    r"|_+"  # underscores
    r"|\n[ \t]*"  # newline plus the next line's indentation
    r"|[ \t]+"  # other whitespace runs
    r"| ?[^\s\w]+"  # punctuation runs
    r"| ?\w+"  # letters outside ASCII
    r"|\s+"
)


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CODE_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])


_CHARS_PER_TOKEN_BOUND = 16


_ENCODE_CHUNK = 2048  # texts per call into the tokenizers library


class CodeTokenizer:
    """A thin, typed wrapper around a `tokenizers.Tokenizer` with fixed special ids."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        for i, tok in enumerate(SPECIAL_TOKENS):
            if tokenizer.token_to_id(tok) != i:
                raise ValueError(f"tokenizer must map {tok} to id {i}")
        self._tok = tokenizer
        self._newline_ids: np.ndarray | None = None

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 8192) -> CodeTokenizer:
        """Train a BPE on `texts`; the same texts in the same order give the same tokenizer."""
        tok = Tokenizer(models.BPE(unk_token="[UNK]"))
        tok.pre_tokenizer = _pre_tokenizer()
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=2,
            special_tokens=list(SPECIAL_TOKENS),
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator(texts, trainer=trainer)
        return cls(tok)

    # ---- encoding ----------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str], max_len: int) -> np.ndarray:
        """int32 [B, max_len]: ids truncated to max_len and right-padded with [PAD]=0."""
        out = np.zeros((len(texts), max_len), dtype=np.int32)
        # Only the first max_len tokens are kept, and no token is near 16 characters on average:
        # cutting long texts first gives the same ids and saves most of the tokenizer's time.
        cut = [t[: max_len * _CHARS_PER_TOKEN_BOUND] for t in texts]
        # In chunks: the library's Encoding objects of 30k units at once took ~225 MB.
        for start in range(0, len(cut), _ENCODE_CHUNK):
            encoded = self._tok.encode_batch(cut[start:start + _ENCODE_CHUNK], add_special_tokens=False)
            for row, enc in enumerate(encoded, start):
                ids = enc.ids[:max_len]
                out[row, : len(ids)] = ids
        return out

    def decode(self, ids: Iterable[int]) -> str:
        return self._tok.decode([int(i) for i in ids if int(i) != self.pad_id])

    @property
    def newline_ids(self) -> np.ndarray:
        """Sorted ids of the tokens that contain a newline: statement boundaries for masking."""
        if self._newline_ids is None:
            vocab = self._tok.get_vocab()
            self._newline_ids = np.array(sorted(i for t, i in vocab.items() if "Ċ" in t), dtype=np.int32)
        return self._newline_ids

    # ---- ids and sizes -----------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self._tok.get_vocab_size()

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def mask_id(self) -> int:
        return 1

    @property
    def cls_id(self) -> int:
        return 2

    @property
    def sep_id(self) -> int:
        return 3

    @property
    def unk_id(self) -> int:
        return 4

    # ---- persistence -------------------------------------------------------------------------
    def to_json(self) -> str:
        return self._tok.to_str()

    @classmethod
    def from_json(cls, s: str) -> CodeTokenizer:
        try:
            json.loads(s)
            return cls(Tokenizer.from_str(s))
        except Exception as exc:  # the tokenizers library raises plain Exception subclasses
            raise ValueError(f"not a valid tokenizer JSON: {exc}") from exc

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the tokenizer JSON atomically (temp file in the same folder, then rename)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(self.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CodeTokenizer:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))
