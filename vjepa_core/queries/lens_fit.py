"""`python -m vjepa_core.queries.lens_fit ROOT INDEX_DIR`: the lens ranker's fit, in a child process
at low priority (`LensRanker` starts it), holding the index's fit lock so only one runs; it saves
the fit next to the index, where the next lens call finds it.

It stays light beside the server: the index's import and similarity relations come from the Arrow
file the last full index left (index/links.py) while the relations have not changed since, so
LanceDB (about 110 MB of memory once imported) is not loaded; otherwise it opens the index. MLX
keeps no freed buffers here (its cache limit is 0): the fit's training steps allocate arrays of a
few sizes over and over, and the cache held up to 35 MB of the process's peak (190 -> 155 MB on a
5,000-file workspace, the fit as fast)."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    from vjepa_core.model.blas import ensure_fast_blas

    ensure_fast_blas()  # may re-execute this process with the system OpenBLAS preloaded
    import mlx.core as mx

    mx.set_cache_limit(0)
    root, index_dir = Path(argv[0]), Path(argv[1])
    try:
        os.nice(10)  # the editor and the user's own work come first
    except OSError:
        pass
    from vjepa_core.harvest.history import read_commits
    from vjepa_core.index.links import load_links
    from vjepa_core.queries.lens import FIT_LOCK, LensRanker
    from vjepa_core.queries.related import links_from_rows

    with open(index_dir / FIT_LOCK, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print("lens fit: another fit of this index is running; leaving it to that one", flush=True)
            return 0
        t0 = time.perf_counter()
        commits = read_commits(root)
        ranker = LensRanker(root, index_dir)
        rows = load_links(index_dir)
        if rows is not None:  # the fit reads only the links (the sessions serve at ranking time)
            ranker.fit_now(commits, links_from_rows(rows))
        else:  # the relations changed since the last full index: from the index itself
            from vjepa_core.index.store import Store

            ranker.get(commits, Store.open(index_dir, root, create=False), fit="now")
        print(f"lens fit: {len(commits)} commits in {time.perf_counter() - t0:.1f}s, saved "
              f"(links from {'the index' if rows is None else 'its Arrow file'})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
