"""`vjepa bench swarm`: steps/s and time-to-target loss for 1, 2, 4 workers on one workspace, side by side.

Every count trains the same shards (as many as the largest count), global batch and seed, so the loss curves are the same (up to
float rounding: see vjepa_core/swarm/trainer.py) and time-to-target measures speed alone. The target is the 1-worker
run's final loss (smoothed over 5 steps), or the first count's when 1 is not among the counts.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from vjepa_core.messages import Voice
from vjepa_core.swarm.coordinator import Coordinator, prepare_run
from vjepa_core.swarm.runfolder import RunFolder

SMOOTH = 5


def _curve(run: RunFolder) -> list[tuple[int, float, float]]:
    rows = [json.loads(line) for line in (run.path / "losses.jsonl").read_text().splitlines() if line.strip()]
    out = []
    for i, r in enumerate(rows):
        window = [x["loss"] for x in rows[max(0, i - SMOOTH + 1): i + 1]]
        out.append((int(r["step"]), float(r["time"]), sum(window) / len(window)))
    return out


def bench_swarm(root: str | Path, index_dir: Path | None, counts: list[int], *, steps: int = 60,
                batch_size: int = 32, seed: int = 0) -> dict[str, Any]:
    from vjepa_core.workspace import Workspace

    ws = Workspace(root, index_dir)
    runs: dict[int, dict[str, Any]] = {}
    curves: dict[int, list[tuple[int, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="vjepa-bench-swarm-") as tmp:
        for n in counts:
            run = RunFolder(Path(tmp) / f"w{n}")
            prepare_run(ws, run, workers=n, shards=max(counts), steps=steps, seed=seed, batch_size=batch_size,
                        checkpoint_every=steps)
            t0 = time.time()
            Coordinator(run, Voice(quiet=True)).run_to_end()
            wall = time.time() - t0
            curves[n] = [(s, t - t0, loss) for s, t, loss in _curve(run)]
            first_t = curves[n][0][1]
            train_s = curves[n][-1][1] - first_t
            runs[n] = {"workers": n, "wall_s": round(wall, 2), "startup_s": round(first_t, 2),
                       "steps_per_s": round((steps - 1) / train_s, 2) if train_s > 0 else None,
                       "final_loss": round(curves[n][-1][2], 4)}
    target = curves[1 if 1 in curves else counts[0]][-1][2]
    for n, curve in curves.items():
        # The curves agree only up to float rounding across worker counts (about 1e-4): 0.1% slack.
        hit = next((t for _, t, loss in curve if loss <= target * 1.001), None)
        runs[n]["time_to_target_s"] = round(hit, 2) if hit is not None else None
    return {"root": str(ws.root), "steps": steps, "global_batch": batch_size, "target_loss": round(target, 4),
            "runs": [runs[n] for n in counts]}


def print_bench(result: dict[str, Any]) -> str:
    lines = [(f"{result['root']}: {result['steps']} steps, global batch {result['global_batch']}, "
              f"target loss {result['target_loss']}"),
             f"  {'workers':>7s} {'steps/s':>8s} {'startup s':>10s} {'to target s':>12s} {'wall s':>7s} {'loss':>7s}"]
    for r in result["runs"]:
        ttt = r["time_to_target_s"]
        lines.append(f"  {r['workers']:7d} {r['steps_per_s'] or 0:8.2f} {r['startup_s']:10.2f} "
                     f"{ttt if ttt is not None else '-':>12} {r['wall_s']:7.2f} {r['final_loss']:7.4f}")
    return "\n".join(lines)
