"""`vjepa bench crawl`: crawl+parse+store against tree-sitter parsing alone, in one run.

Each phase runs in a fresh process so its peak RSS is its own. The files are read once
beforehand so both phases meet a warm page cache.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from vjepa_core.harvest.safety import IgnoreRules, check_root
from vjepa_core.harvest.walk import walk


def _peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _phase_parse(root: str, exclude: list[str], queue: mp.Queue) -> None:
    from vjepa_core.harvest.languages import language_for
    from vjepa_core.harvest.units import parse_only

    rootp = Path(root)
    started = time.perf_counter()
    files = walk(rootp, IgnoreRules(rootp, exclude)).files
    parsed = 0
    for e in files:
        language = language_for(e.rel)
        if language is None or e.size > 1024 * 1024:
            continue
        with open(e.path, "rb") as fh:
            parse_only(fh.read(), language)
        parsed += 1
    queue.put({"seconds": time.perf_counter() - started, "files": parsed, "peak_rss_mb": _peak_rss_mb()})


def _phase_crawl(root: str, index_dir: str, exclude: list[str], queue: mp.Queue) -> None:
    from vjepa_core.index.crawl import crawl

    report = crawl(root, index_dir, allow_home=True, allow_system=True, rebuild=True, exclude=exclude)
    queue.put({"seconds": report.seconds, "files": report.files_indexed, "units": report.units,
               "relations": report.relations_total, "peak_rss_mb": _peak_rss_mb()})


def _run(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def bench_crawl(root: Path, exclude: list[str] | None = None) -> dict:
    exclude = list(exclude or [])
    rootp = check_root(root, allow_home=True, allow_system=True)
    for e in walk(rootp, IgnoreRules(rootp, exclude)).files:  # warm the page cache for both phases
        try:
            with open(e.path, "rb") as fh:
                fh.read()
        except OSError:
            pass
    parse = _run(_phase_parse, str(rootp), exclude)
    with tempfile.TemporaryDirectory(prefix="vjepa-bench-") as tmp:
        crawled = _run(_phase_crawl, str(rootp), os.path.join(tmp, "index"), exclude)
    for phase in (parse, crawled):
        phase["files_per_s"] = phase["files"] / phase["seconds"] if phase["seconds"] else 0.0
    crawled["units_per_s"] = crawled["units"] / crawled["seconds"] if crawled["seconds"] else 0.0
    return {
        "root": str(rootp),
        "exclude": exclude,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "parse_only": parse,
        "crawl": crawled,
        "ratio_crawl_to_parse": crawled["seconds"] / parse["seconds"] if parse["seconds"] else None,
    }


def print_crawl_bench(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"bench crawl: {result['root']}")
    for col in ("phase", "files", "units", "seconds", "files/s", "units/s", "peak RSS MB"):
        t.add_column(col, justify="right")
    p, c = result["parse_only"], result["crawl"]
    t.add_row("tree-sitter parse alone", str(p["files"]), "", f"{p['seconds']:.2f}", f"{p['files_per_s']:.0f}",
              "", f"{p['peak_rss_mb']:.0f}")
    t.add_row("crawl+parse+store", str(c["files"]), str(c["units"]), f"{c['seconds']:.2f}",
              f"{c['files_per_s']:.0f}", f"{c['units_per_s']:.0f}", f"{c['peak_rss_mb']:.0f}")
    Console().print(t)
    Console().print(f"crawl / parse-alone time: {result['ratio_crawl_to_parse']:.2f}x (target <= 2x); "
                    f"relations: {c['relations']}")

