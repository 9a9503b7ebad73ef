"""nextfile: the ranker sees where the work has moved (recent shares) and learns most from the latest
fit queries (recency weights)."""

from __future__ import annotations

import numpy as np

from vjepa_core.harvest.history import Commit
from vjepa_core.model.nextfile.config import NextFileConfig
from vjepa_core.model.nextfile.features import FEATURES, AuxStats
from vjepa_core.model.nextfile.ranker import FusionRanker, recency_weights


def _commit(i: int, *files: str) -> Commit:
    return Commit(f"c{i}", 1_700_000_000 + 60 * i, tuple(("M", f) for f in files), ())


def test_a_file_the_work_left_drifts_down_and_a_new_focus_up() -> None:
    aux = AuxStats(16)
    for i in range(400):  # CHANGES.md in every commit of the first 300, then the work moves to core.py
        aux.apply(_commit(i, "CHANGES.md" if i < 300 else "core.py", f"tests/case{i}.py"))
    hub_share100, hub_share300, hub_drift = aux.shares("CHANGES.md", 300)
    core_share100, _, core_drift = aux.shares("core.py", 100)
    assert hub_share100 == 0.0 and 0.6 < hub_share300 < 0.7 and hub_drift < -1.0
    assert core_share100 == 1.0 and core_drift > 0.5
    fork = aux.fork()  # the editor's pseudo-commits leave the shares as the history has them
    fork.ctx.apply(_commit(401, "CHANGES.md"))
    assert fork.shares("CHANGES.md", 300) == (hub_share100, hub_share300, hub_drift)


def test_recency_weights_halve_per_half_life() -> None:
    w = recency_weights([100, 150, 200], 0.5)
    assert w is not None and np.allclose(w, [0.25, 0.5, 1.0])
    assert recency_weights([], 0.25) is None and recency_weights([1, 2], 0.0) is None


def test_the_ranker_follows_the_queries_that_count_most() -> None:
    """Early queries say the co-change count finds the truth, late ones say recency does: weighted
    towards the late ones, the ranker ranks by recency."""
    cols = ("co_log", "rec_rank")
    rng = np.random.default_rng(0)
    data, when = [], []
    for i in range(200):
        rows = np.zeros((5, len(FEATURES)), np.float32)
        rows[:, FEATURES.index("co_log")] = rng.permutation(5)
        rows[:, FEATURES.index("rec_rank")] = rng.permutation(5)
        truth = np.zeros(5, np.float32)
        truth[np.argmax(rows[:, FEATURES.index("co_log" if i < 100 else "rec_rank")])] = 1.0
        data.append((rows, truth))
        when.append(i)
    cfg = NextFileConfig(ranker_hidden=0)
    probe = np.zeros((2, len(FEATURES)), np.float32)
    probe[0, FEATURES.index("co_log")] = 4.0  # the co-change favourite
    probe[1, FEATURES.index("rec_rank")] = 4.0  # the recent one
    late = FusionRanker(cols, cfg).fit(data, weights=recency_weights(when, 0.1)).score(probe)
    early = FusionRanker(cols, cfg).fit(data, weights=recency_weights([-t for t in when], 0.1)).score(probe)
    assert late[1] > late[0] and early[0] > early[1]
