"""Initialization options, parsed once into a typed object; a bad value falls back to its default."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Options:
    trust_workspace: bool = False
    index_dir: Path | None = None  # one sub-folder per workspace folder goes under it
    kind_messages: bool = True
    train_steps: int = 300  # vjepa.trainNow's fine-tuning steps
    watch: bool = True  # watch the folders for changes made outside the editor
    watch_debounce_ms: int = 400

    @classmethod
    def parse(cls, raw: Any) -> tuple[Options, list[str]]:
        """The options and a list of complaints about values that were ignored."""
        if not isinstance(raw, dict):
            return cls(), [] if raw is None else [f"initializationOptions should be an object, not {raw!r}"]
        problems: list[str] = []

        def flag(key: str, default: bool) -> bool:
            value = raw.get(key, default)
            if isinstance(value, bool):
                return value
            problems.append(f"{key} should be true or false, not {value!r}; using {default}")
            return default

        def count(key: str, default: int, low: int, high: int) -> int:
            value = raw.get(key, default)
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                return value
            problems.append(f"{key} should be a whole number from {low} to {high}, not {value!r}; using {default}")
            return default

        index_dir = raw.get("indexDir")
        if index_dir is not None and not isinstance(index_dir, str):
            problems.append(f"indexDir should be a path, not {index_dir!r}; using the default")
            index_dir = None
        return cls(trust_workspace=flag("trustWorkspace", False),
                   index_dir=Path(index_dir).expanduser() if index_dir else None,
                   kind_messages=flag("kindMessages", True),
                   train_steps=count("trainSteps", 300, 1, 100_000),
                   watch=flag("watch", True),
                   watch_debounce_ms=count("watchDebounceMs", 400, 10, 60_000)), problems
