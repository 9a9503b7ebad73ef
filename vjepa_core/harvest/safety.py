"""The deny catalogue: the one place that says what VJEPA must never read.

Three layers, checked before anything is opened or listed:
1. Roots: only folders the user names; system locations and the bare home folder are refused.
2. Denied locations (absolute, under the home folder): credential stores, keychains, browser
   profiles, password stores.
3. Denied names anywhere in a workspace: dotenv files, keys, certificates, credential and
   token files, VCS internals.
Content screening (secret_scan) is a fourth layer, applied after reading but before storing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePosixPath

import pathspec

from vjepa_core.messages import VjepaError

# Folders (and a few files) relative to the home directory that hold credentials or
# private browsing data. Anything at or under them is denied.
HOME_DENIED: tuple[str, ...] = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker/config.json",
    ".config/gcloud",
    ".config/gh",
    ".config/op",  # 1Password CLI
    ".password-store",
    ".local/share/keyrings",
    ".local/share/kwalletd",
    ".mozilla",
    ".config/google-chrome",
    ".config/chromium",
    ".config/BraveSoftware",
    ".config/microsoft-edge",
    ".thunderbird",
    ".netrc",
    ".pypirc",
    ".git-credentials",
    ".vault-token",
    ".terraform.d/credentials.tfrc.json",
    "Library/Keychains",
    "Library/Cookies",
    "Library/Safari",
    "Library/Application Support/Google/Chrome",
    "Library/Application Support/Firefox",
    "Library/Application Support/BraveSoftware",
    "Library/Application Support/Microsoft Edge",
    "Library/Mobile Documents",
    "AppData/Roaming/Mozilla",
    "AppData/Local/Google/Chrome",
    "AppData/Roaming/Microsoft/Credentials",
)

# Gitignore-style patterns matched against workspace-relative paths. A directory
# pattern (trailing slash) prunes the whole subtree before it is listed.
NAME_DENIED: tuple[str, ...] = (
    # VCS internals: history is read only through the git CLI.
    ".git/",
    ".hg/",
    ".svn/",
    # Environment files with secrets.
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    # Keys and certificates.
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.ppk",
    "*.kdbx",
    "*.gpg",
    "*.pgp",
    "*.asc",
    "*.crt",
    "*.cer",
    "*.der",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".ssh/",
    ".gnupg/",
    ".aws/",
    # Credential and token files.
    "credentials",
    "credentials.*",
    "*credentials*.json",
    "*.credentials",
    "service-account*.json",
    "client_secret*.json",
    "token.json",
    "*.token",
    "*.secret",
    "*.secrets",
    "secrets.yml",
    "secrets.yaml",
    "secrets.json",
    "secrets.toml",
    ".npmrc",
    ".yarnrc.yml",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    ".htpasswd",
    ".vault-token",
    "*.tfstate",
    "*.tfstate.*",
    "kubeconfig",
    "*.keychain",
    "*.keychain-db",
)

# `id_*` with no extension is an SSH key name (id_work, id_github); `id_utils.py` is code.
_SSH_KEY_PREFIX = "id_"

# Roots that are system locations: refused as roots and never entered.
SYSTEM_ROOTS_POSIX: tuple[str, ...] = (
    "/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
    "/run", "/sbin", "/sys", "/usr", "/var", "/System", "/Library", "/private", "/Applications",
    "/Volumes", "/cores",
)
SYSTEM_ROOTS_WINDOWS: tuple[str, ...] = ("C:\\", "C:\\Windows", "C:\\Program Files", "C:\\Program Files (x86)",
                                         "C:\\ProgramData")
# Exactly these are refused, but folders inside them may be allowed (e.g. /Volumes/Work).
_EXACT_ONLY = {"/", "/Volumes", "/private", "C:\\"}

_NAME_SPEC = pathspec.GitIgnoreSpec.from_lines(NAME_DENIED)


def home_dir() -> Path:
    return Path(os.path.expanduser("~")).resolve()


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def denied_location(path: Path) -> str | None:
    """Reason if absolute `path` is at or under a denied home location, else None."""
    home = home_dir()
    if not _is_within(path, home):
        return None
    rel = path.relative_to(home)
    for entry in HOME_DENIED:
        if _is_within(rel, Path(entry)):
            return f"~/{entry}"
    return None


def denied_name(rel_path: str, is_dir: bool = False) -> str | None:
    """Reason if a workspace-relative posix path matches the deny catalogue, else None."""
    candidate = rel_path + "/" if is_dir else rel_path
    result = _NAME_SPEC.check_file(candidate)
    if result.include:
        return NAME_DENIED[result.index] if result.index is not None else "deny list"
    name = PurePosixPath(rel_path).name
    if not is_dir and name.startswith(_SSH_KEY_PREFIX) and "." not in name:
        return "id_* (SSH key)"
    return None


def is_system_location(path: Path) -> bool:
    text = str(path)
    if sys.platform == "win32":
        roots = SYSTEM_ROOTS_WINDOWS
        text_cmp = text.rstrip("\\").lower()
        for r in roots:
            rc = r.rstrip("\\").lower()
            if text_cmp == rc or (r not in _EXACT_ONLY and text_cmp.startswith(rc + "\\")):
                return True
        return False
    for r in SYSTEM_ROOTS_POSIX:
        if text == r or (r not in _EXACT_ONLY and text.startswith(r.rstrip("/") + "/")):
            return True
    return False


def check_root(root: str | os.PathLike[str], *, allow_home: bool = False, allow_system: bool = False) -> Path:
    """Validate a root the user named; return it resolved or raise a VjepaError that explains why not."""
    given = Path(root).expanduser()
    if not given.exists():
        raise VjepaError("root.missing", root=given)
    resolved = given.resolve()
    if not resolved.is_dir():
        raise VjepaError("root.not_dir", root=resolved)
    if not allow_system and is_system_location(resolved) and not _is_within(resolved, home_dir()):
        raise VjepaError("root.system", root=resolved)
    if resolved == home_dir() and not allow_home:
        raise VjepaError("root.home", root=resolved)
    if resolved == Path(resolved.anchor):
        raise VjepaError("root.system", root=resolved)
    reason = denied_location(resolved)
    if reason:
        raise VjepaError("root.denied", root=resolved, reason=reason)
    return resolved


# Noise that is never worth learning from, even without a .gitignore.
DEFAULT_IGNORES: tuple[str, ...] = (
    "__pycache__/",
    "*.pyc",
    "*.pyo",
    "node_modules/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".DS_Store",
    ".idea/",
    ".vs/",
    "target/debug/",
    "target/release/",
)


class IgnoreRules:
    """.gitignore files at every level, .git/info/exclude, .vjepaignore and the default noise list.

    Patterns in a nested .gitignore apply relative to its folder; the deepest file that has an
    opinion about a path decides, as in git.
    """

    def __init__(self, root: Path, extra: tuple[str, ...] | list[str] = ()) -> None:
        """`extra`: gitignore-style patterns given on the command line (`--exclude`); they act like .vjepaignore."""
        self.root = root
        self._specs: dict[str, pathspec.GitIgnoreSpec] = {}
        self._loaded: set[str] = set()  # folders whose .gitignore `excluded` has read
        base_lines: list[str] = list(DEFAULT_IGNORES)
        exclude = root / ".git" / "info" / "exclude"
        base_lines += _read_lines(exclude)
        self._base = _compile(base_lines)
        # .vjepaignore is the user's word about VJEPA specifically: it is consulted last and wins.
        self._vjepa = _compile([*_read_lines(root / ".vjepaignore"), *extra])

    def load_dir(self, rel_dir: str) -> None:
        """Read the .gitignore of a folder (workspace-relative, '' for the root) if it has one."""
        path = self.root / rel_dir / ".gitignore" if rel_dir else self.root / ".gitignore"
        lines = _read_lines(path)
        if lines:
            self._specs[rel_dir] = _compile(lines)

    def excluded(self, rel_path: str) -> bool:
        """The walk's verdict on one file path without walking: True when a folder on the way or
        the file itself is denied by name or ignored. Reads only .gitignore files (each folder's
        once per IgnoreRules), never the path."""
        parts = rel_path.split("/")
        for depth in range(len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in self._loaded:
                self.load_dir(folder)
                self._loaded.add(folder)
            if depth and (denied_name(folder, True) or self.ignored(folder, True)):
                return True
        return bool(denied_name(rel_path)) or self.ignored(rel_path)

    def ignored(self, rel_path: str, is_dir: bool = False) -> bool:
        candidate = rel_path + "/" if is_dir else rel_path
        verdict = self._vjepa.check_file(candidate).include
        if verdict is not None:
            return verdict
        parts = rel_path.split("/")
        # Deepest .gitignore first.
        for depth in range(len(parts) - 1, -1, -1):
            base = "/".join(parts[:depth])
            spec = self._specs.get(base)
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            verdict = spec.check_file(sub).include
            if verdict is not None:
                return verdict
        return bool(self._base.check_file(candidate).include)


def _compile(lines: list[str]) -> pathspec.GitIgnoreSpec:
    """A spec from ignore-file lines; a line git would reject is dropped, not fatal."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:  # GitIgnorePatternError is a ValueError
        good = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except ValueError:
                continue
            good.append(line)
        return pathspec.GitIgnoreSpec.from_lines(good)


def _read_lines(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []
