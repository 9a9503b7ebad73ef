"""The one catalogue of what VJEPA says to people, and the voice that says it.

Every user-facing sentence lives here so the tone stays warm and consistent, and so a
`--quiet` (or the server's `kindMessages: false`) can silence the chatty ones. Errors are
never silenced and never softened: they say what failed and what to do.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

# key -> template. "chatty" messages can be turned off; the rest always speak.
CATALOGUE: dict[str, str] = {
    # crawl
    "crawl.start": "Hello! Taking a gentle look around {root}. Everything stays on this machine.",
    "crawl.repair": "The last crawl was interrupted; tidying up {count} half-written entries first.",
    "crawl.walk": "Found {files} files to get to know.",
    "crawl.history": "Reading the git history ({commits} commits) to learn what changes together.",
    "crawl.nothing_new": "Nothing has changed since last time. Your index is up to date.",
    "crawl.done": "All done! {files} files and {units} code units, with {relations} relations between them.",
    "crawl.secrets": "Skipped {count} file(s) that looked like they hold secrets. They were not stored.",
    "crawl.compact": "Tidying the index so it stays small.",
    # model
    "train.start": "Learning from {units} code units in {root}. This stays on your machine.",
    "train.done": "Training finished. The new model is saved at {path}.",
    "embed.done": "Vectors are up to date: {new} new, {reused} reused, {files} files, {semantic} semantic links.",
    "embed.none": "No model yet, so no vectors. Run `vjepa train` to make one.",
    # status
    "status.empty": "No index yet for {root}. Run `vjepa crawl {root}` to create one.",
    # --- server (issue 4) ---
    # --- swarm (issue 5) ---
    # --- insights (issue 7) ---
}

ERRORS: dict[str, str] = {
    "root.missing": "I can't find the folder {root}. Check the path and try again.",
    "root.not_dir": "{root} is a file, not a folder. Give me the folder you'd like me to learn from.",
    "root.system": (
        "{root} is a system location, so I won't read it. Point me at a project folder instead."
    ),
    "root.home": (
        "{root} is your whole home folder. I'd rather not read all of it: name a project folder, "
        "or pass --allow-home if you really mean it."
    ),
    "root.denied": (
        "{root} is on the privacy deny list ({reason}), so I won't read it. Choose another folder."
    ),
    "index.schema": (
        "The index at {path} was written by a different version of VJEPA (schema {found}, I need "
        "{expected}). Remove that folder or run `vjepa crawl --rebuild` to index again from scratch."
    ),
    "index.other_root": (
        "The index at {path} belongs to {other}, not {root}. Use another --index-dir, or --rebuild."
    ),
    "index.unreadable": (
        "I couldn't open the index at {path}: {reason}. Run `vjepa crawl --rebuild {root}` to start it fresh."
    ),
    "index.missing": "There's no index for {root} yet. Run `vjepa crawl {root}` first.",
    "train.no_units": "I found no code units in {root} to learn from. Run `vjepa crawl` first, or check the folder.",
    "path.outside": "{path} is outside the workspace {root}, so I won't look at it.",
    "git.failed": "Reading the git history failed: {reason}. Continuing without temporal patterns.",
    # --- server (issue 4) ---
    # --- swarm (issue 5) ---
    # --- insights (issue 7) ---
}


class VjepaError(Exception):
    """An error we can explain: carries a catalogue key and its fields."""

    def __init__(self, key: str, **fields: object) -> None:
        self.key = key
        self.fields = fields
        super().__init__(ERRORS[key].format(**fields))


def text(key: str, **fields: object) -> str:
    """The catalogue sentence for `key` (messages or errors)."""
    template = CATALOGUE.get(key) or ERRORS[key]
    return template.format(**fields)


@dataclass
class Voice:
    """Speaks catalogue messages to a stream; `quiet` mutes everything but errors and warnings."""

    quiet: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def say(self, key: str, **fields: object) -> None:
        if not self.quiet:
            print(text(key, **fields), file=self.stream)

    def warn(self, key: str, **fields: object) -> None:
        print(text(key, **fields), file=self.stream)

    def error(self, err: VjepaError) -> None:
        print(f"Sorry: {err}", file=self.stream)
