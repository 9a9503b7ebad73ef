"""The models: `encoder/` (the unit encoder: code units -> vectors), `train.py` (its one training
loop, for `vjepa train` and every swarm worker), `nextfile/` (next-file prediction), and `blas.py`
(the BLAS that numpy and MLX share). Shipped weights: `default_model/` and `nextfile/default_prior/`."""
