"""The one training loop (vjepa_core.model.train.train): `vjepa train` is that loop fed by one seeded
generator, and a step's micro-batches are averaged (the swarm's side is in tests/swarm)."""

from __future__ import annotations

import sysconfig
from collections.abc import Sequence
from pathlib import Path

import mlx.core as mx
import numpy as np
import pytest

from vjepa_core.harvest.units import CodeUnit, extract
from vjepa_core.model.encoder.batches import Batch, BatchSampler
from vjepa_core.model.encoder.network import EncoderConfig
from vjepa_core.model.encoder.objective import init_models, pack_weights
from vjepa_core.model.encoder.schedules import make_optimizer
from vjepa_core.model.encoder.tokenizer import CodeTokenizer
from vjepa_core.model.encoder.views import encode_views, view_input
from vjepa_core.model.train import StepReport, TrainConfig, TrainingCallback, train, train_encoder

STDLIB = Path(sysconfig.get_paths()["stdlib"])
ENC = EncoderConfig(vocab_size=512, dim=32, depth=1, heads=2, max_len=64, predictor_dim=16, predictor_depth=1)
CFG = TrainConfig(steps=4, batch_size=8, lr=1e-3, warmup=2, cross_view_batch=4, doc_max_len=32, length_buckets=(32,),
                  probe_size=16, log_every=100, monitor_every=100)


@pytest.fixture(scope="module")
def units() -> list[CodeUnit]:
    out: list[CodeUnit] = []
    for path in sorted((STDLIB / "json").glob("*.py")):
        out += extract(str(path), path.read_text(encoding="utf-8"), "python").units
    return out


@pytest.fixture(scope="module")
def tokenizer(units: list[CodeUnit]) -> CodeTokenizer:
    return CodeTokenizer.train([u.text for u in units], vocab_size=ENC.vocab_size)


class Steps(TrainingCallback):
    def __init__(self) -> None:
        self.begun: list[int] = []
        self.reports: list[StepReport] = []

    def on_step_begin(self, step: int) -> None:
        self.begun.append(step)

    def on_step_end(self, report: StepReport) -> None:
        self.reports.append(report)


def fresh(cfg: TrainConfig = CFG):  # type: ignore[no-untyped-def]
    mx.random.seed(cfg.seed)
    model, target = init_models(ENC, None)
    optimizer = make_optimizer(cfg)
    optimizer.init(model.trainable_parameters())
    return model, target, optimizer


def assert_same(a: dict[str, mx.array], b: dict[str, mx.array]) -> None:
    assert a.keys() == b.keys()
    for k, v in a.items():
        assert mx.array_equal(v, b[k]).item(), k


def test_vjepa_train_is_the_loop_fed_by_one_generator(units: list[CodeUnit], tokenizer: CodeTokenizer) -> None:
    plain = train_encoder(units, tokenizer, ENC, CFG)
    # The same by hand: one generator seeded with cfg.seed draws the monitors' probe, then a batch a step.
    rng = np.random.default_rng(CFG.seed)
    arrays = encode_views([view_input(u) for u in units], tokenizer, ENC.max_len, CFG.doc_max_len)
    rng.choice(len(arrays["ids"]), size=min(CFG.probe_size, len(arrays["ids"])), replace=False)
    sampler = BatchSampler(arrays, CFG, ENC.max_len, tokenizer.newline_ids)
    model, target, optimizer = fresh()
    steps = Steps()
    last = train(model, target, optimizer, lambda it: [sampler.draw(rng, CFG.batch_size, CFG.cross_view_batch)],
                 CFG, callbacks=[steps])
    assert_same(plain.weights, pack_weights(model, target))
    assert steps.begun == [1, 2, 3, 4] and [r.step for r in steps.reports] == [1, 2, 3, 4]
    assert last == steps.reports[-1] and last.synced and plain.metadata["final"]["loss"] == last.loss
    assert all(r.ema == pytest.approx(CFG.ema_start + (CFG.ema_end - CFG.ema_start) * (r.step - 1) / 3)
               for r in steps.reports)


def test_a_step_averages_its_micro_batches(units: list[CodeUnit], tokenizer: CodeTokenizer) -> None:
    arrays = encode_views([view_input(u) for u in units], tokenizer, ENC.max_len, CFG.doc_max_len)
    sampler = BatchSampler(arrays, CFG, ENC.max_len, tokenizer.newline_ids)

    def batches(copies: int) -> dict[str, mx.array]:
        def draw(it: int) -> Sequence[Batch]:
            b = sampler.draw(np.random.default_rng([CFG.seed, it]), CFG.batch_size, CFG.cross_view_batch)
            return [b] * copies

        model, target, optimizer = fresh()
        train(model, target, optimizer, draw, CFG, shards=copies)
        return pack_weights(model, target)

    once = batches(1)
    assert_same(once, batches(2))  # the mean of two equal gradients is that gradient, exactly
    model, target, _ = fresh()
    moved = pack_weights(model, target)
    assert any(not mx.array_equal(once[k], moved[k]).item() for k in once)  # ...and training moved the weights
