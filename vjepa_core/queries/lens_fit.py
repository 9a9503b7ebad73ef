"""`python -m vjepa_core.queries.lens_fit ROOT INDEX_DIR`: the lens ranker's fit, in a child process
at low priority (`LensRanker` starts it), holding the index's fit lock so only one runs; it saves
the fit next to the index, where the next lens call finds it."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    from vjepa_core.model.blas import ensure_fast_blas

    ensure_fast_blas()  # may re-execute this process with the system OpenBLAS preloaded
    root, index_dir = Path(argv[0]), Path(argv[1])
    try:
        os.nice(10)  # the editor and the user's own work come first
    except OSError:
        pass
    from vjepa_core.harvest.history import read_commits
    from vjepa_core.index.store import Store
    from vjepa_core.queries.lens import FIT_LOCK, LensRanker

    with open(index_dir / FIT_LOCK, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print("lens fit: another fit of this index is running; leaving it to that one", flush=True)
            return 0
        t0 = time.perf_counter()
        commits = read_commits(root)
        store = Store.open(index_dir, root, create=False)
        ranker = LensRanker(root, index_dir)
        ranker.get(commits, store, fit="now")
        print(f"lens fit: {len(commits)} commits in {time.perf_counter() - t0:.1f}s, saved", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
