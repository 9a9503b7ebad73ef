"""The static code encoder: vectors, the on-disk format and its errors, training without collapse.

Real models only: the shipped one (vjepa_core/model/default_model), MLX for training, numpy for vectors.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from vjepa_core.messages import CheckpointError
from vjepa_core.model.encoder import static
from vjepa_core.model.encoder.encode import embed_queries, embed_units, load_model
from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR
from vjepa_core.model.encoder.monitor import collapse_stats
from vjepa_core.model.encoder.static_train import StaticTrainConfig, train_static, training_pairs
from vjepa_core.paths import identifiers

CODE = [
    "def read_config(path):\n    with open(path) as fh:\n        return json.load(fh)\n",
    "class HttpClient:\n    def get(self, url):\n        return self.session.request('GET', url)\n",
    ("def retry(fn, attempts=3):\n    for _ in range(attempts):\n        try:\n            return fn()\n"
     "        except OSError:\n            time.sleep(1)\n"),
    "fn parse_args(argv: &[String]) -> Options {\n    Options::from(argv)\n}\n",
]


@pytest.fixture(scope="module")
def shipped() -> static.StaticEncoder:
    model = load_model(DEFAULT_MODEL_DIR)
    assert isinstance(model, static.StaticEncoder)
    return model


def test_the_shipped_model_is_static_and_centred(shipped: static.StaticEncoder) -> None:
    v = embed_units(shipped, CODE)
    assert v.shape == (len(CODE), shipped.dim)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    sims = v @ v.T
    assert np.all(sims[~np.eye(len(CODE), dtype=bool)] < 0.6)  # unrelated code does not look alike
    assert not embed_units(shipped, ["", "   \n  ", "+-*/"]).any()  # no words: the zero vector


def test_a_query_finds_its_code(shipped: static.StaticEncoder) -> None:
    q = embed_queries(shipped, ["load settings from a json file", "try again when it fails"])
    v = embed_units(shipped, CODE)
    assert int(np.argmax(q[0] @ v.T)) == 0
    assert int(np.argmax(q[1] @ v.T)) == 2


def test_identifiers_are_split_into_words(shipped: static.StaticEncoder) -> None:
    flat, offsets = shipped.token_ids(["getHttpResponse", "get_http_response", "get http response"])
    rows = [flat[offsets[i]:offsets[i + 1]].tolist() for i in range(3)]
    assert rows[0] == rows[1] == rows[2] and rows[0]


def test_the_head_line_and_early_identifiers_weigh_more(shipped: static.StaticEncoder) -> None:
    text = "@cached\ndef read_config(path):\n    data = open(path)\n    return data\n"
    model = static.StaticEncoder(shipped.tokenizer_json, shipped.embeddings, shipped.mean, head_weight=4.0,
                                 position_tau=10.0)
    flat, _, w = model.weighted_ids([text])
    assert w is not None and len(w) == len(flat)
    # token i weighs 1 / (1 + i / 10), four times as much in the head (cached def read_config path:
    # the decorator counts with its definition's line)
    head = len(model.token_ids(["\n".join(identifiers(text)[:4])])[0])
    expected = np.array([(4.0 if i < head else 1.0) / (1 + i / 10) for i in range(len(flat))])
    np.testing.assert_allclose(w, expected, rtol=1e-6)
    # a body cut below its first line has no head; a model without position weights gives none
    assert model.weighted_ids([text], heads=False)[2][0] == pytest.approx(1.0)
    plain = static.StaticEncoder(shipped.tokenizer_json, shipped.embeddings, shipped.mean)
    assert plain.weighted_ids([text])[2] is None
    # a unit's vector pools its tokens' rows with those weights
    expected_pooled = (w[:, None] * model.embeddings[flat]).sum(axis=0) / w.sum()
    np.testing.assert_allclose(model.pooled([text])[0], expected_pooled, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="head_weight"):
        static.StaticEncoder(shipped.tokenizer_json, shipped.embeddings, shipped.mean, head_weight=0.0)


def test_a_loaded_table_stays_float16_and_gives_the_float32_tables_vectors(shipped: static.StaticEncoder) -> None:
    # Half the memory; every text sums only the rows it uses, in runs of whole texts (the same sums
    # as the float32 table's sparse product, up to float rounding), never a float32 copy of the table.
    assert shipped.embeddings.dtype == np.float16
    wide = static.StaticEncoder(shipped.tokenizer_json, shipped.embeddings.astype(np.float32), shipped.mean,
                                predictor=shipped.predictor, token_weights=shipped.token_weights,
                                max_words=shipped.max_words, head_weight=shipped.head_weight,
                                position_tau=shipped.position_tau)
    bulk = CODE * 800  # many runs of texts
    assert np.allclose(embed_units(shipped, bulk), embed_units(wide, bulk), atol=1e-6)
    few = [*CODE, "", "read config"]
    assert np.allclose(embed_units(shipped, few), embed_units(wide, few), atol=1e-6)
    assert not embed_units(shipped, [""]).any()
    assert np.allclose(embed_queries(shipped, ["http client"]), embed_queries(wide, ["http client"]), atol=1e-6)


def test_a_model_saved_before_position_weights_loads_without_them(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    config = json.loads((d / "config.json").read_text())
    config.pop("head_weight", None)
    config.pop("position_tau", None)
    (d / "config.json").write_text(json.dumps(config))
    old = load_model(d)
    assert isinstance(old, static.StaticEncoder) and old.head_weight == 1.0 and old.position_tau == 0.0


def test_round_trip(shipped: static.StaticEncoder, tmp_path: Path) -> None:
    path = static.save(shipped, tmp_path / "m")
    back = load_model(path.parent)
    assert isinstance(back, static.StaticEncoder)
    # the table is stored as float16: vectors agree to that precision
    np.testing.assert_allclose(embed_units(back, CODE), embed_units(shipped, CODE), atol=2e-3)
    np.testing.assert_allclose(embed_queries(back, CODE), embed_queries(shipped, CODE), atol=2e-3)
    assert (back.head_weight, back.position_tau) == (shipped.head_weight, shipped.position_tau)
    again = static.save(back, tmp_path / "m")
    assert again.read_bytes() == path.read_bytes()
    assert len(list((tmp_path / "m").glob("static-*.safetensors"))) == 1


def test_reweighting_sets_position_weights_a_query_skip_and_a_new_mean(shipped: static.StaticEncoder,
                                                                     tmp_path: Path) -> None:
    from vjepa_core.model.encoder.reweight import reweight

    plain = static.StaticEncoder(shipped.tokenizer_json, shipped.embeddings, shipped.mean,
                                 predictor=shipped.predictor)
    out = reweight(plain, CODE * 3, head_weight=3.0, position_tau=20.0, query_skip=0.5)
    assert (out.head_weight, out.position_tau) == (3.0, 20.0)
    assert out.metadata["reweighted"]["query_skip"] == 0.5 and out.metadata["reweighted"]["mean_sample"] == 12
    skip = out.predictor - plain.predictor
    np.testing.assert_allclose(skip, 0.5 * np.linalg.norm(plain.predictor, 2) * np.eye(plain.dim), atol=1e-5)
    np.testing.assert_allclose(out.mean, out.pooled(CODE * 3).mean(axis=0), rtol=1e-4, atol=1e-6)
    back = load_model(static.save(out, tmp_path / "rw").parent)
    np.testing.assert_allclose(embed_units(back, CODE), embed_units(out, CODE), atol=2e-3)
    np.testing.assert_allclose(embed_queries(back, CODE), embed_queries(out, CODE), atol=2e-3)


def test_the_reweight_command_writes_a_model_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vjepa_core.model.encoder.reweight import main

    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "a.py").write_text("\n\n".join(c for c in CODE if c.startswith(("def", "class"))))
    (tree / "skipped").mkdir()
    (tree / "skipped" / "b.py").write_text("def left_out():\n    return 1\n")
    out = tmp_path / "out"
    assert main([str(DEFAULT_MODEL_DIR), str(tree), "--exclude", "skipped/", "--head-weight", "2",
                 "--position-tau", "30", "--query-skip", "0", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    model = load_model(out)
    assert isinstance(model, static.StaticEncoder) and (model.head_weight, model.position_tau) == (2.0, 30.0)
    assert model.metadata["reweighted"]["mean_sample"] == 4  # pkg/a.py: two functions, a class, its method
    shipped = load_model(DEFAULT_MODEL_DIR)
    assert isinstance(shipped, static.StaticEncoder)
    np.testing.assert_allclose(model.predictor, shipped.predictor, atol=1e-6)  # no skip added


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "copy"
    shutil.copytree(DEFAULT_MODEL_DIR, d)
    return d


def test_a_corrupt_weights_file_is_refused_clearly(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    weights = next(d.glob("static-*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        load_model(d)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(format_version=7), "format 7"),
    (lambda c: c.update(weights_file="../x.safetensors"), "bad weights_file"),
    (lambda c: c.update(weights_file="static-0000.safetensors"), "missing"),
    (lambda c: c.pop("tokenizer"), "lacks tokenizer"),
    (lambda c: c.update(dim=128), r"\[vocab, 128\]"),
])
def test_a_bad_config_is_refused_clearly(tmp_path: Path, change, message: str) -> None:
    d = _copy(tmp_path)
    config = json.loads((d / "config.json").read_text())
    change(config)
    (d / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=message):
        load_model(d)


def test_a_missing_or_broken_config_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="config.json is missing"):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_model(tmp_path)


def _corpus() -> list[tuple[str, str, str]]:
    units = []
    for i, (verb, noun) in enumerate([(v, n) for v in ("read", "write", "parse", "send", "close", "open")
                                      for n in ("file", "socket", "config", "header", "cookie", "token")]):
        body = (f"def {verb}_{noun}(self, {noun}_{i}):\n    \"\"\"{verb.title()} the {noun} given by the caller.\"\"\"\n"
                f"    result = self.{noun}s.{verb}({noun}_{i})\n    log.debug('{verb} {noun} %s', result)\n"
                f"    return result\n")
        units.append((body, "function", f"{verb}_{noun}"))
    return units


def test_training_lowers_the_loss_without_collapse(shipped: static.StaticEncoder) -> None:
    units = _corpus()
    pairs = training_pairs(units)
    assert len(pairs) == 2 * len(units)  # a docstring pair and a name pair for each
    log: list[dict] = []
    trained = train_static(shipped, pairs, [u for u, _, _ in units],
                           StaticTrainConfig(steps=30, batch_size=16, warmup=3, monitor_every=10), log=log.append)
    first, last = log[0], log[-1]
    assert last["step"] == 30 and last["loss"] < first["loss"]
    stats = collapse_stats(embed_units(trained, [u for u, _, _ in units]))
    assert stats["rank"] > 10 and stats["cos"] < 0.5 and stats["std_ratio"] > 0.5
    assert trained.predictor is not None and trained.predictor.shape == (shipped.dim, shipped.dim)
    assert trained.metadata["trained"]["steps"] == 30


def test_training_needs_pairs(shipped: static.StaticEncoder) -> None:
    with pytest.raises(ValueError, match="at least two"):
        train_static(shipped, [], ["x = 1"], StaticTrainConfig(steps=1))


def test_vjepa_train_fine_tunes_the_static_encoder_and_judges_it_on_held_out_units(
        git_repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vjepa_core.cli import main as cli_main
    from vjepa_core.workspace import Workspace

    units = _corpus()
    for i in range(0, len(units), 6):  # six commits; the last two (20%, rounded up) are the history's tail
        git_repo.commit(f"c{i}", {f"pkg/m{i}.py": "\n\n".join(u for u, _, _ in units[i:i + 6])})
    ws = Workspace(git_repo.path, tmp_path / "idx")
    ws.index()
    out = tmp_path / "tuned"
    ws.train(steps=10, out=out)
    tuned = load_model(out)
    assert isinstance(tuned, static.StaticEncoder)
    # The tail's files hold 12 documented units; every fifth (3) is a held-out query, not trained on.
    assert tuned.metadata["fine_tuned_on"]["held_out_units"] == 3
    assert tuned.metadata["fine_tuned_on"]["pairs"] == 2 * (len(units) - 3)
    assert ws.last_training["queries"] == 3 and "left out of training" in ws.last_training["held_out"]
    assert {"promote", "why", "candidate", "current"} <= set(ws.last_training)
    # Through the CLI into the workspace's own slot: kept or promoted, it says which.
    assert cli_main(["train", str(git_repo.path), "--index-dir", str(tmp_path / "idx"), "--steps", "10"]) == 0
    err = capsys.readouterr().err
    local = tmp_path / "idx" / "model"
    assert ("kept the model in use" in err) != (local / "config.json").exists()
    assert isinstance(Workspace(git_repo.path, tmp_path / "idx").checkpoint(), static.StaticEncoder)
