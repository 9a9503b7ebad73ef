"""`python -m vjepa_core.index_job PARENT_PID`: `Workspace.index` in a child process that exits
(index/child.py carries the job, its progress and its report). The language server indexes this
way (server/folders.py): the crawl's and the embedding's peak, the secret rules compiled to screen
every file (about 55 MB) and what 29,000 units' small objects leave in the heap end with the child,
and the server reads what it wrote (LanceDB tables, the search snapshot, the links file) from disk.
"""

from __future__ import annotations

import sys
from typing import Any

from vjepa_core.harvest.secrets import release_rules
from vjepa_core.index.child import Progress, serve
from vjepa_core.index.memory import release_freed_memory


def index(job: dict[str, Any], progress: Progress) -> Any:
    from vjepa_core.workspace import Workspace

    def read(done: int, total: int, path: str) -> None:
        progress(done, total, path)
        if done == total:  # the crawl has screened its last file: its rules go before the embedding
            release_rules()
            release_freed_memory()

    workspace = Workspace(job["root"], job["index_dir"], allow_home=job["allow_home"])
    return workspace.index(progress=read, **job["options"])


if __name__ == "__main__":
    sys.exit(serve(index))
