"""Next-file predictions as hits: the fitted predictor's ranking of the indexed files after the
recent ones, each hit saying which file it follows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vjepa_core.queries.hits import Hit

if TYPE_CHECKING:
    from vjepa_core.index.store import Store
    from vjepa_core.model.nextfile.runtime import NextFilePredictor


def alive_files(store: Store) -> set[str]:
    """The indexed files that were read ("ok"): the only candidates a prediction may name."""
    files = store.read("files", ["path", "status"])
    return {p for p, s in zip(files["path"].to_pylist(), files["status"].to_pylist()) if s == "ok"}


def next_after(predictor: NextFilePredictor, alive: set[str], recent: list[str], k: int = 10) -> list[Hit]:
    """The `k` files most likely touched after `recent` (oldest first, not empty); the latest of
    them is never its own successor."""
    ranked = predictor.rank(recent, recent[-1], alive - set(recent[-1:]), k)
    return [Hit(p, score, reason, f"next after {recent[-1]}") for p, score, reason in ranked]


def next_after_each(predictor: NextFilePredictor, alive: set[str], paths: list[str],
                    k: int = 10) -> dict[str, list[Hit]]:
    """`next_after([p])` for each path, against the same predictor and file list."""
    return {p: next_after(predictor, alive, [p], k) for p in paths}
