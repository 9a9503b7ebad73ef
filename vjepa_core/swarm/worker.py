"""The worker entry point: `python -m vjepa_core.swarm.worker RUN_DIR` (started by `mlx.launch`, or alone
for a one-worker run). Exit codes: 0 done, 3 the coordinator is gone, 1 anything else."""

from __future__ import annotations

import sys

from vjepa_core.messages import text
from vjepa_core.swarm.runfolder import RunFolder
from vjepa_core.swarm.trainer import CoordinatorGone, run_worker


def main(argv: list[str] | None = None) -> int:
    import mlx.core as mx

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m vjepa_core.swarm.worker RUN_DIR", file=sys.stderr)
        return 2
    run = RunFolder(args[0])
    world = mx.distributed.init()
    print(text("swarm.worker_ready", rank=world.rank() + 1), file=sys.stderr, flush=True)
    try:
        run_worker(run, world, log=lambda s: print(s, file=sys.stderr, flush=True))
    except CoordinatorGone:
        print(text("swarm.worker_orphan", rank=world.rank() + 1), file=sys.stderr, flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
