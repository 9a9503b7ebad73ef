"""The swarm: data-parallel JEPA training over MLX distributed (issue 5).

| module | job |
|---|---|
| `runfolder.py` | the run folder: spec, shards, resumable state, heartbeats, status JSON (all atomic) |
| `partition.py` | units -> shards, by file, balanced by size |
| `trainer.py` | one worker's training loop (gradient averaging or weight averaging every K steps) |
| `worker.py` | the worker entry point that `mlx.launch` starts |
| `coordinator.py` | prepares a run, launches workers, watches them, recovers, promotes |
| `promotion.py` | candidate vs current on the workspace's held-out history tail |
| `idle.py` | idle-time retraining for the language server |
| `dashboard.py` | `vjepa swarm status` and `vjepa bench swarm` |
"""
