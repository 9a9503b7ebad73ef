"""Next-file prediction: file frames, a temporal predictor (MLX) and a learned fusion ranker.

The pipeline, V-JEPA-2-AC style but sized for one repository's history, one module per job:

- `config`: every hyper-parameter, `NextFileConfig`.
- `frames`: a file's frame inputs from its path (and an optional content vector).
- `context`: the sequence the predictor reads (recent files, the query's co-change neighbours).
- `predictor`: the causal transformer, and its frozen form that scores files by cosine.
- `training`: examples from a history and the InfoNCE loop (one history, or many for a prior).
- `prior`: the predictor pretrained on public histories, that fitting starts from.
- `features` and `ranker`: each query's candidates and features, and the listwise numpy ranker.
- `fit`: the whole pipeline fit on one history; `runtime`: `NextFilePredictor`, the product's
  API (fit, kept on disk, rank).

The benchmark (shared/BENCHMARKS.md section 1) is `vjepa_core.bench.nextfile`.
"""
