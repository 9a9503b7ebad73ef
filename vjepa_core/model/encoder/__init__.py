"""The unit encoder: a small transformer over code-aware BPE tokens, trained with JEPA, whose EMA
target encoder gives each code unit its vector (and, with the cross-view head, each query).

One module per job:

- `tokenizer`: the code-aware BPE tokenizer; `network`: the MLX modules and `EncoderConfig`.
- `views`: a unit's doc view (docstring, comment or signature) and body, and their token ids.
- `masks`: the target spans; `batches`: training batches (length buckets, spans, view pairs).
- `objective`: the JEPA modules, the loss with its cross-view and anti-collapse terms, the EMA.
- `schedules`: learning rate, EMA momentum, the optimizer; `monitor`: collapse statistics.
- `checkpoint`: the on-disk format (safetensors + config.json, via `atomic`); `locations`: where
  the shipped model and a workspace's own live.
- `embedding`: unit and query vectors from a checkpoint.

The training loop and `TrainConfig` are `vjepa_core.model.train` (shared with the swarm's workers).
"""
