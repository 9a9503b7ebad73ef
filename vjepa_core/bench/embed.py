"""`vjepa bench embed`: encoder units/s on CPU, the fast BLAS path (system OpenBLAS) against MLX's
bundled BLAS, on the same code units.

Each BLAS runs in a fresh child process: the library is fixed when a process starts (LD_PRELOAD).
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
from vjepa_core.model.blas import active_blas
from vjepa_core.model.encoder.checkpoint import load
from vjepa_core.model.encoder.embedding import embed_texts
texts = json.load(open(sys.argv[2]))
ckpt = load(sys.argv[1])
embed_texts(ckpt, texts[:64])  # warm-up: graph building and first allocations
t = time.perf_counter()
embed_texts(ckpt, texts)
dt = time.perf_counter() - t
print(json.dumps({"units": len(texts), "seconds": dt, "units_per_s": len(texts) / dt,
                  "blas": active_blas()["path"], "peak_rss_mb": __import__("resource").getrusage(0).ru_maxrss / 1024}))
"""


def bench_embed(model_dir: Path, root: Path, limit: int = 2000) -> dict:
    """Encoder units/s on CPU: the fast path (system OpenBLAS) vs MLX's bundled BLAS, same units."""
    from vjepa_core.harvest.languages import language_for
    from vjepa_core.harvest.units import extract
    from vjepa_core.harvest.walk import read_text
    from vjepa_core.model.blas import openblas_library

    rootp = check_root(root, allow_home=True, allow_system=True)
    texts: list[str] = []
    for e in walk(rootp, IgnoreRules(rootp)).files:
        language = language_for(e.rel)
        if language in (None, "markdown"):
            continue
        read = read_text(e)
        if read.text:
            texts.extend(u.text for u in extract(e.rel, read.text, language).units)
        if len(texts) >= limit:
            break
    texts = texts[:limit]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(texts, fh)
    base_env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "VJEPA_BLAS_REEXEC")}
    runs = {"reference": {**base_env, "VJEPA_BLAS": "reference"}}
    lib = openblas_library()
    if lib:
        runs["openblas"] = {**base_env, "LD_PRELOAD": lib}
    out: dict = {"model": str(model_dir), "root": str(rootp), "machine": {"cpus": os.cpu_count()}}
    try:
        for name, env in runs.items():
            res = subprocess.run([sys.executable, "-c", _EMBED_CHILD, str(model_dir), fh.name], env=env,
                                 capture_output=True, text=True, check=True)
            out[name] = json.loads(res.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(fh.name)
    if "openblas" in out:
        out["speedup"] = out["openblas"]["units_per_s"] / out["reference"]["units_per_s"]
    return out


def print_embed_bench(result: dict) -> None:
    """Units/s for each BLAS, and the speed-up."""
    for name in ("reference", "openblas"):
        if name in result:
            r = result[name]
            print(f"{name:10s} {r['units']} units in {r['seconds']:.2f} s = {r['units_per_s']:.0f} units/s")
    if "speedup" in result:
        print(f"fast path speed-up: {result['speedup']:.1f}x")
