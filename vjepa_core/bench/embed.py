"""`vjepa bench embed`: encoder units/s on CPU and the geometry of its vectors.

Every model given (the shipped one, and `--baseline DIR`, e.g. the transformer encoder an earlier
release shipped) runs on the same code units, once with MLX's bundled reference BLAS (what a fresh
`pip install` gets) and once with the system OpenBLAS preloaded when there is one. Each run is a
fresh child process: the BLAS is fixed when a process starts (LD_PRELOAD). The first pass over the
units is "cold" (nothing cached: the static encoder works out every identifier's tokens); the second
is "warm". Tokenizing is part of both. Loading the model and the first call's imports are timed apart
("start-up", once per process). Geometry (protocol section 6): mean cosine of 2,000 random pairs
of unit vectors and of file vectors (a file's vector: the normalised mean of its units'), and the
effective rank (RankMe) of the unit vectors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from vjepa_core.harvest.safety import IgnoreRules, check_root
from vjepa_core.harvest.walk import walk

_EMBED_CHILD = """
import json, sys, time
import numpy as np
from vjepa_core.model.blas import active_blas
from vjepa_core.model.encoder.encode import embed_units, load_model
from vjepa_core.model.encoder.monitor import collapse_stats
data = json.load(open(sys.argv[2]))
texts, paths = data["texts"], data["paths"]
t = time.perf_counter(); model = load_model(sys.argv[1]); embed_units(model, ["def first(): pass"])
startup = time.perf_counter() - t  # loading the model, and the libraries the first call imports
t = time.perf_counter(); v = embed_units(model, texts); cold = time.perf_counter() - t
t = time.perf_counter(); embed_units(model, texts); warm = time.perf_counter() - t
out = {"units": len(texts), "startup_s": startup, "cold_s": cold, "warm_s": warm, "units_per_s": len(texts) / cold,
       "warm_units_per_s": len(texts) / warm, "blas": active_blas()["path"],
       "peak_rss_mb": __import__("resource").getrusage(0).ru_maxrss / 1024}
if sys.argv[3] == "geometry":
    rng = np.random.default_rng(0)
    def mean_cos(x):
        i, j = rng.integers(0, len(x), 2000), rng.integers(0, len(x), 2000)
        keep = i != j
        return float((x[i[keep]] * x[j[keep]]).sum(axis=1).mean())
    files = {}
    for p, row in zip(paths, v):
        files.setdefault(p, []).append(row)
    fv = np.stack([np.mean(r, axis=0) for r in files.values()])
    fv /= np.maximum(np.linalg.norm(fv, axis=1, keepdims=True), 1e-12)
    sample = v[rng.choice(len(v), size=min(len(v), 2000), replace=False)]
    out["geometry"] = {"unit_pairs_mean_cos": mean_cos(v), "file_pairs_mean_cos": mean_cos(fv),
                       "files": len(fv), "effective_rank": collapse_stats(sample)["rank"], "dim": int(v.shape[1])}
print(json.dumps(out))
"""


def collect_units(root: Path, limit: int) -> tuple[list[str], list[str]]:
    """(texts, paths) of up to `limit` code units under `root`, through the same safe walk as a crawl."""
    from vjepa_core.harvest.languages import language_for
    from vjepa_core.harvest.units import extract
    from vjepa_core.harvest.walk import read_text

    rootp = check_root(root, allow_home=True, allow_system=True)
    texts: list[str] = []
    paths: list[str] = []
    for e in walk(rootp, IgnoreRules(rootp)).files:
        language = language_for(e.rel)
        if language in (None, "markdown"):
            continue
        read = read_text(e)
        if read.text:
            for u in extract(e.rel, read.text, language).units:
                texts.append(u.text)
                paths.append(e.rel)
        if len(texts) >= limit:
            break
    return texts[:limit], paths[:limit]


def bench_embed(model_dir: Path, root: Path, limit: int = 20000, baseline: Path | None = None) -> dict:
    """Units/s (cold and warm) of each model under each BLAS, on the same units; geometry of each."""
    from vjepa_core.model.blas import openblas_library

    texts, paths = collect_units(root, limit)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"texts": texts, "paths": paths}, fh)
    base_env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "VJEPA_BLAS_REEXEC")}
    blases = {"reference": {**base_env, "VJEPA_BLAS": "reference"}}
    lib = openblas_library()
    if lib:
        blases["openblas"] = {**base_env, "LD_PRELOAD": lib}
    models = {"model": Path(model_dir), **({"baseline": Path(baseline)} if baseline else {})}
    out: dict = {"root": str(root), "units": len(texts), "machine": {"cpus": os.cpu_count()},
                 "models": {name: {"path": str(d)} for name, d in models.items()}}
    try:
        for name, d in models.items():
            for blas, env in blases.items():
                res = subprocess.run([sys.executable, "-c", _EMBED_CHILD, str(d), fh.name,
                                      "geometry" if blas == "reference" else "-"],
                                     env=env, capture_output=True, text=True, check=True)
                run = json.loads(res.stdout.strip().splitlines()[-1])
                if "geometry" in run:
                    out["models"][name]["geometry"] = run.pop("geometry")
                out["models"][name][blas] = run
    finally:
        os.unlink(fh.name)
    return out


def print_embed_bench(result: dict) -> None:
    """Units/s for each model and BLAS, and the geometry."""
    print(f"{result['units']} units from {result['root']}")
    for name, m in result["models"].items():
        print(f"{name}: {m['path']}")
        for blas in ("reference", "openblas"):
            if blas in m:
                r = m[blas]
                print(f"  {blas:10s} cold {r['units_per_s']:8.0f} units/s   warm {r['warm_units_per_s']:8.0f} units/s"
                      f"   (start-up {r['startup_s']:.2f} s once per process)")
        g = m.get("geometry")
        if g:
            print(f"  geometry   mean cosine: units {g['unit_pairs_mean_cos']:.3f}, files {g['file_pairs_mean_cos']:.3f};"
                  f" effective rank {g['effective_rank']:.0f} of {g['dim']}")
