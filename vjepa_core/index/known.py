"""What the index knows of a path, and when it knows nothing, why: the one place that turns "no
such row" into a sentence (a typo, a folder, a file skipped as a secret, denied, ignored, skipped
as binary, or newer than the last crawl). The workspace asks before it answers a question about a
file, so the CLI, the API and the language server all get the same honest error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vjepa_core.harvest.allow import ALLOW_FILE
from vjepa_core.harvest.safety import denied_name
from vjepa_core.index.store import Store, sql_quote
from vjepa_core.messages import VjepaError

FOLDER_EXAMPLES = 3  # indexed files named as examples when a folder is given


def require_indexed_file(store: Store, root: Path, rel: str, excluded: Callable[[str], bool]) -> str:
    """`rel` (workspace-relative) when it is a file the index holds whole; else a VjepaError that
    says why it is not, and what to do. `excluded`: whether the crawl's rules leave a path out."""
    rows = store.read("files", ["status"], where=f"path = {sql_quote(rel)}")["status"].to_pylist()
    if rows and rows[0] == "ok":
        return rel
    shown = rel if rel != "." else str(root)
    if rows:
        raise VjepaError("path.skipped", path=shown, reason=rows[0])
    family = dict(store.secret_skips()).get(rel)
    if family is not None:
        raise VjepaError("path.secret", path=shown, family=family, allow=ALLOW_FILE)
    reason = denied_name(rel) if rel != "." else None
    if reason:
        raise VjepaError("path.denied", path=shown, reason=reason)
    target = root / rel
    if target.is_dir():
        raise VjepaError("path.folder", path=shown, example=_examples(store, rel))
    if not target.exists():
        raise VjepaError("path.unknown", path=shown, root=root)
    if excluded(rel):
        raise VjepaError("path.ignored", path=shown)
    raise VjepaError("path.not_indexed", path=shown, root=root)


def _examples(store: Store, folder: str) -> str:
    """", for example a.py or b.py" with indexed files under `folder`, or "" when it holds none."""
    prefix = "" if folder in (".", "") else folder.rstrip("/") + "/"
    inside = [p for p in store.read("files", ["path"], where="status = 'ok'")["path"].to_pylist()
              if p.startswith(prefix)]
    paths = sorted(inside, key=lambda p: (p.count("/"), p))[:FOLDER_EXAMPLES]
    if not paths:
        return ""
    return ", for example " + " or ".join(paths)



def require_indexed_files(store: Store, root: Path, paths: list[str], indexed: set[str],
                          excluded: Callable[[str], bool]) -> None:
    """Each of `paths` is in `indexed` (the files the index holds whole); else a VjepaError says
    why the first one that is not is missing (as `require_indexed_file`)."""
    for rel in paths:
        if rel not in indexed:
            require_indexed_file(store, root, rel, excluded)
