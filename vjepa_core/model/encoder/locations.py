"""Where unit-encoder checkpoints live. No MLX here: the CLI and the server read these at start-up."""

from __future__ import annotations

from pathlib import Path

# A small model trained by `vjepa train` on the Python standard library ships with the package
# (docs/default-model.md has the command); local training fine-tunes from it.
DEFAULT_MODEL_DIR = Path(__file__).parent.parent / "default_model"
LOCAL_MODEL = "model"  # a workspace's own model: this folder under its index folder
FINE_TUNE_RECORD = "fine-tune.json"  # under the index folder: the last `vjepa train`'s promotion decision
NEXT_PREDICTOR_FILE = "nextfile.safetensors"  # under the index folder: the lenses' fitted next-file ranker
