"""The swarm: data-parallel JEPA training over MLX distributed (issue 5; docs/swarm.md).

| module | job |
|---|---|
| `runfolder.py` | the run folder: spec, shards, resumable state, heartbeats, status JSON (all atomic) |
| `partition.py` | units -> shards, by file, balanced by size |
| `trainer.py` | one worker: its shards' batches through the one loop (`vjepa_core.model.train.train`), heartbeats, checkpoints |
| `worker.py` | the worker entry point that `mlx.launch` starts |
| `coordinator.py` | prepares a run, launches workers, watches them, recovers, promotes |
| `promotion.py` | candidate vs current on the workspace's held-out history tail |
| `scheduler.py` | idle-time retraining for the language server |
| `dashboard.py` | `vjepa swarm status` (the benchmark, `vjepa bench swarm`, is vjepa_core/bench/swarm.py) |
"""
