"""`vjepa bench secrets`: content screening's catch rate per family on a corpus of synthetic,
format-valid secrets (bench/secret_corpus.py), and its false positives and speed on clean trees.

Each layer is measured alone and together (what the crawl runs): `own` (secret_rules.py),
`engine` (Kingfisher with our rule file) and `product` (both). A tree's files are the ones the
crawl would read: denied names and ignored paths are left out first, as in `vjepa crawl`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from vjepa_core.bench.secret_corpus import corpus
from vjepa_core.bench.secret_formats import Case
from vjepa_core.bench.secret_holdout import holdout
from vjepa_core.harvest.safety import IgnoreRules, check_root
from vjepa_core.harvest.secret_rules import find_own_secret
from vjepa_core.harvest.secrets import find_engine_secret, find_secret
from vjepa_core.harvest.walk import read_text, walk

Finder = Callable[[str], "str | None"]
LAYERS: dict[str, Finder] = {"own": find_own_secret, "engine": find_engine_secret, "product": find_secret}


def _catch(cases: list[Case]) -> dict:
    out: dict = {"cases": len(cases), "families": len({c.family for c in cases})}
    for name, find in LAYERS.items():
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for case in cases:
            per[case.family][1] += 1
            per[case.family][0] += find(case.text) is not None
        out[name] = {"caught": sum(c for c, _ in per.values()),
                     "families_complete": sum(c == n for c, n in per.values()),
                     "per_family": {f: f"{c}/{n}" for f, (c, n) in sorted(per.items())}}
    return out


def _tree(root: Path, exclude: list[str]) -> dict:
    root = check_root(root, allow_home=True, allow_system=True)
    texts = [(e.rel, r.text) for e in walk(root, IgnoreRules(root, exclude)).files
             if (r := read_text(e)).text is not None]
    size = sum(len(t.encode("utf-8", "surrogateescape")) for _, t in texts)
    out: dict = {"root": str(root), "text_files": len(texts), "mb": round(size / 1e6, 2)}
    for name, find in LAYERS.items():
        start = time.perf_counter()
        flagged = [(rel, fam) for rel, text in texts if (fam := find(text))]
        seconds = time.perf_counter() - start
        out[name] = {"flagged": len(flagged), "rate": round(len(flagged) / max(1, len(texts)), 5),
                     "seconds": round(seconds, 3), "mb_per_s": round(size / 1e6 / max(seconds, 1e-9), 1),
                     "paths": [f"{rel} ({fam})" for rel, fam in flagged]}
    return out


def bench_secrets(trees: list[Path], seed: int = 0, exclude: list[str] | None = None) -> dict:
    find_secret("warm up")  # the engine compiles (or loads) its rules once: not part of any timing
    return {"corpus": _catch(corpus(seed)), "holdout": _catch(holdout()),
            "trees": [_tree(t, exclude or []) for t in trees]}


def print_secrets_bench(result: dict) -> None:
    for part in ("corpus", "holdout"):
        r = result[part]
        row = ", ".join(f"{k} {r[k]['caught']}/{r['cases']} ({r[k]['families_complete']}/{r['families']} families)"
                        for k in LAYERS)
        print(f"{part}: {row}")
    for t in result["trees"]:
        row = ", ".join(f"{k} {t[k]['flagged']} flagged ({t[k]['mb_per_s']} MB/s)" for k in LAYERS)
        print(f"{t['root']}: {t['text_files']} text files, {t['mb']} MB: {row}")
        for path in t["product"]["paths"]:
            print(f"  {path}")
