"""The allow file: `.vjepaallow` at the workspace root lists files whose content screening is
skipped, for a false positive (test data with user:password URLs, a documented example key).

Gitignore syntax, read as .vjepaignore is (safety.IgnoreRules). It only switches off the content
screening (harvest/secrets.py) for the files it matches: the deny catalogue of credential file
names is checked before any file is opened, and a denied name stays denied whatever this file
says.
"""

from __future__ import annotations

from pathlib import Path

from vjepa_core.harvest.safety import compile_patterns, read_pattern_lines

ALLOW_FILE = ".vjepaallow"


class AllowRules:
    """The patterns of one workspace's .vjepaallow (none when it has no such file)."""

    def __init__(self, lines: list[str] | tuple[str, ...] = ()) -> None:
        self.text = "\n".join(lines)  # what the index keeps, to see when the rules changed
        self._spec = compile_patterns(list(lines))

    @classmethod
    def read(cls, root: Path) -> AllowRules:
        """The rules of the .vjepaallow at `root`."""
        return cls(read_pattern_lines(root / ALLOW_FILE))

    def allowed(self, rel_path: str) -> bool:
        """Whether the workspace-relative posix path is listed: its content is not screened."""
        return bool(self._spec.check_file(rel_path).include)
