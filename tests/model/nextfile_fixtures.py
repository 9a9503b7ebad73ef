"""A git history with a planted next-file habit, for the next-file model and benchmark tests."""

from __future__ import annotations

import random
from pathlib import Path

from tests.fixtures import GitRepo
from vjepa_core.model.nextfile.config import NextFileConfig

TINY = NextFileConfig(dims=16, heads=2, buckets=512, context=8, epochs=30, batch=32, lr=1e-2,
                      ranker_hidden=4, ranker_steps=80, ranker_l2_grid=(0.01, 0.1))
MODULES = 6
FUTURE = "src/x/future.py"


def habit_repo(root: Path) -> GitRepo:
    """A history with a planted habit.

    Editing `src/x/mod_k.py` goes with `src/x/helper_k.py`; the next commit edits
    `tests/test_mod_k.py` with `docs/mod_k.md`; single-file noise commits come in between.
    `FUTURE` is added only in the last tenth of the history (the test period).
    """
    rng = random.Random(7)
    repo = GitRepo(root)
    n = 0

    def commit(files: list[str]) -> None:
        nonlocal n
        n += 1
        repo.commit(f"c{n}", {f: f"# {f} v{n}\n" for f in files})

    commit([f"src/x/mod_{k}.py" for k in range(MODULES)] + [f"src/x/helper_{k}.py" for k in range(MODULES)]
           + [f"tests/test_mod_{k}.py" for k in range(MODULES)] + [f"docs/mod_{k}.md" for k in range(MODULES)]
           + ["README.md", "setup.py"])
    for i in range(70):
        k = rng.randrange(MODULES)
        commit([f"src/x/mod_{k}.py", f"src/x/helper_{k}.py"])
        commit([f"tests/test_mod_{k}.py", f"docs/mod_{k}.md"])
        if rng.random() < 0.5:
            commit([rng.choice(["README.md", "setup.py"])])
        if i == 63:
            commit([FUTURE])
        if i > 63:
            commit([FUTURE, "README.md"])
    return repo
