"""`vjepa train` on the static encoder: fine-tune it on a workspace's own (context, body) pairs, then
keep it only if it finds held-out code at least as well as the model in use (promotion.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vjepa_core.messages import VjepaError

if TYPE_CHECKING:
    from vjepa_core.harvest.units import CodeUnit
    from vjepa_core.model.encoder.static import StaticEncoder

# The static encoder's learning rate on a workspace's own code: the shipped model's 0.01 overfits a
# small corpus (requests' held-out MRR 0.492 -> 0.440; at 0.002: 0.500).
FINE_TUNE_LR = 0.002


@dataclass
class FineTune:
    decision: dict[str, Any]  # promotion.Decision.to_dict()
    promoted: bool
    saved: bool  # whether a model was written to the target


def fine_tune_static(root: Path, init: StaticEncoder, units: list[CodeUnit], steps: int, seed: int,
                     target: Path, own_slot: bool, log: Callable[[dict[str, Any]], None] | None) -> FineTune:
    """Every fifth documented unit of the files the history's tail changed is a query and is left
    out of training; the fine-tuned model is saved to `target` when promoted, or always when
    `target` is not the workspace's own model slot (`own_slot`: an explicit --out)."""
    from vjepa_core.model.encoder import static
    from vjepa_core.model.encoder.static_train import StaticTrainConfig, train_static, training_pairs
    from vjepa_core.model.encoder.views import make_views
    from vjepa_core.swarm.promotion import decide, evaluation_set, held_out_sample

    evaluation = held_out_sample(evaluation_set(root, units))
    asked = set(evaluation[0])
    train_units = [u for u in units if make_views(u.text, u.kind, u.name)[0] not in asked]
    pairs = training_pairs([(u.text, u.kind, u.name) for u in train_units],
                           [u.path.rsplit("/", 1)[0] if "/" in u.path else "" for u in train_units],
                           min_body_chars=0)
    if len(pairs) < 2:
        raise VjepaError("train.no_pairs", root=root)
    cfg = StaticTrainConfig(steps=steps, seed=seed, lr=FINE_TUNE_LR, min_lr=FINE_TUNE_LR / 20)
    model = train_static(init, pairs, [u.text for u in units], cfg, log=log)
    model.metadata["fine_tuned_on"] = {"units": len(train_units), "pairs": len(pairs),
                                       "held_out_units": len(units) - len(train_units)}
    decision = decide(model, init, root, units, evaluation=evaluation)
    if log:
        log({"promotion": decision.why})
    save = decision.promote or not own_slot
    if save:
        static.save(model, target)
    return FineTune(decision.to_dict(), decision.promote, save)
