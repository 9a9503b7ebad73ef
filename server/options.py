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
    train_steps: int = 240  # vjepa.trainNow's fine-tuning steps (about 2 minutes on 2 cores)
    watch: bool = True  # watch the folders for changes made outside the editor
    watch_debounce_ms: int = 400
    idle_training: bool = True  # retrain in the background when the user is idle (IdleScheduler)
    idle_seconds: float = 120.0  # idleMinutes (fractions too), or idleSeconds
    workers: int = 1  # swarm workers for idle-time training
    max_load: float | None = 0.6  # 1-minute load per CPU above which idle training waits; null: no limit
    pick_results: bool | None = None  # offer results as a pick list (None: only for clients without lenses)

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

        def number(key: str, default: float, low: float, high: float) -> float:
            value = raw.get(key, default)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high:
                return float(value)
            problems.append(f"{key} should be a number from {low:g} to {high:g}, not {value!r}; using {default:g}")
            return default

        def optional_flag(key: str) -> bool | None:
            return flag(key, False) if key in raw else None

        idle_seconds = 60.0 * number("idleMinutes", 2.0, 0.0, 24 * 60)
        if "idleSeconds" in raw:  # finer than minutes: for tests and scripted clients
            idle_seconds = number("idleSeconds", idle_seconds, 0.0, 24 * 3600)
        max_load: float | None = 0.6
        if "maxLoad" in raw:
            max_load = None if raw["maxLoad"] is None else number("maxLoad", 0.6, 0.0, 1000.0)
        index_dir = raw.get("indexDir")
        if index_dir is not None and not isinstance(index_dir, str):
            problems.append(f"indexDir should be a path, not {index_dir!r}; using the default")
            index_dir = None
        return cls(trust_workspace=flag("trustWorkspace", False),
                   index_dir=Path(index_dir).expanduser() if index_dir else None,
                   kind_messages=flag("kindMessages", True),
                   train_steps=count("trainSteps", 240, 1, 100_000),
                   watch=flag("watch", True),
                   watch_debounce_ms=count("watchDebounceMs", 400, 10, 60_000),
                   idle_training=flag("idleTraining", True), idle_seconds=idle_seconds,
                   workers=count("workers", 1, 1, 64), max_load=max_load,
                   pick_results=optional_flag("pickResults")), problems
