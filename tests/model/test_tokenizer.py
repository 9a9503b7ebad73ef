"""The code tokenizer: special ids, code-aware splits, batching, persistence, determinism."""

from __future__ import annotations

import glob
import itertools
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from vjepa_core.model.encoder.tokenizer import SPECIAL_TOKENS, CodeTokenizer

STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return [Path(p).read_text(encoding="utf-8") for p in sorted(glob.glob(str(STDLIB / "json" / "*.py")))]


@pytest.fixture(scope="module")
def tok(corpus: list[str]) -> CodeTokenizer:
    return CodeTokenizer.train(corpus, vocab_size=600)


def test_special_ids(tok: CodeTokenizer) -> None:
    assert (tok.pad_id, tok.mask_id, tok.cls_id, tok.sep_id, tok.unk_id) == (0, 1, 2, 3, 4)
    assert len(SPECIAL_TOKENS) == 5
    assert tok.vocab_size == 600


def test_training_is_deterministic(corpus: list[str], tok: CodeTokenizer) -> None:
    assert CodeTokenizer.train(corpus, vocab_size=600).to_json() == tok.to_json()


def test_identifiers_split_on_case_underscore_and_digits(tok: CodeTokenizer) -> None:
    pieces = [tok.decode([i]) for i in tok.encode("getHTTPResponse max_len = 128")]
    assert "".join(pieces) == "getHTTPResponse max_len = 128"
    for p in pieces:  # no token crosses a case change, an underscore or a digit boundary
        assert not any(a.islower() and b.isupper() for a, b in itertools.pairwise(p)), pieces
        assert p == "_" or "_" not in p, pieces
        assert not any(c.isdigit() for c in p) or len(p.strip()) == 1, pieces
    assert "HTTP" not in "".join(p for p in pieces if "Response" in p)


def test_roundtrip_text_and_unicode(tok: CodeTokenizer) -> None:
    text = "def f(x):\n    return 'über' + x  # ✓\n"
    assert tok.decode(tok.encode(text)) == text


def test_encode_batch_pads_and_truncates(tok: CodeTokenizer) -> None:
    ids = tok.encode_batch(["x = 1", "", "y = 2 " * 50], max_len=16)
    assert ids.shape == (3, 16) and ids.dtype == np.int32
    n = len(tok.encode("x = 1"))
    assert (ids[0, :n] != 0).all() and (ids[0, n:] == 0).all()
    assert (ids[1] == 0).all()
    assert (ids[2] != 0).all()


def test_newline_ids_mark_line_breaks(tok: CodeTokenizer) -> None:
    ids = tok.encode("a = 1\n    b = 2\nc")
    marked = [tok.decode([i]) for i in ids if i in set(tok.newline_ids.tolist())]
    assert marked and all("\n" in m for m in marked)


def test_json_and_file_roundtrip(tok: CodeTokenizer, tmp_path: Path) -> None:
    again = CodeTokenizer.from_json(tok.to_json())
    text = "class HTTPServer:\n    pass"
    assert again.encode(text) == tok.encode(text)
    tok.save(tmp_path / "tok.json")
    assert CodeTokenizer.load(tmp_path / "tok.json").encode(text) == tok.encode(text)
    with pytest.raises(ValueError, match="not a valid tokenizer"):
        CodeTokenizer.from_json("{broken")


def test_long_texts_give_the_same_ids_as_a_full_encode(corpus: list[str], tok: CodeTokenizer) -> None:
    # encode_batch cuts long texts before tokenising; the kept ids must not change.
    texts = [t for t in corpus if len(t) > 5000] + ["x" * 3000, " " * 2500 + "def f(): pass"]
    for max_len in (16, 128):
        got = tok.encode_batch(texts, max_len)
        for row, text in enumerate(texts):
            full = tok._tok.encode(text, add_special_tokens=False).ids[:max_len]
            assert got[row, : len(full)].tolist() == full
