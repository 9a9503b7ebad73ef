"""Walk an allowed root and read its files, kindly and safely.

The walk checks the deny catalogue and ignore rules *before* listing a folder or opening a
file, never follows a symlink, and classifies what it cannot use (binary, too large,
undecodable, unreadable) with a reason instead of failing.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer

from vjepa_core.harvest.safety import IgnoreRules, denied_home_paths, denied_name

DEFAULT_MAX_BYTES = 1024 * 1024

# Extensions that are never text: skipped from the name alone, without opening the file.
BINARY_EXTENSIONS = frozenset(
    [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".icns", ".webp", ".tif", ".tiff", ".psd", ".heic", ".avif", ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".jar", ".war", ".whl", ".egg", ".so", ".dylib", ".dll", ".exe", ".bin", ".o", ".a", ".lib", ".obj", ".class", ".pyc", ".pyo", ".pyd", ".wasm", ".mp3", ".mp4", ".m4a", ".wav", ".flac", ".ogg", ".mov", ".avi", ".mkv", ".webm", ".ttf", ".otf", ".woff", ".woff2", ".eot", ".sqlite", ".db", ".sqlite3", ".lance", ".safetensors", ".npy", ".npz", ".pt", ".onnx", ".parquet", ".arrow", ".feather", ".h5", ".hdf5", ".pkl", ".pickle", ".dmg", ".iso", ".img"]
)

# Why a file was left out. Denied files are only ever counted, never listed; files skipped as secrets
# are listed by path and rule family (never their text) so the user can allow a false alarm.
SKIP_DENIED = "denied (privacy list)"
SKIP_SYMLINK = "symlink (not followed)"
SKIP_SYMLINK_OUT = "symlink out of the root"
SKIP_UNREADABLE = "unreadable"
SKIP_BINARY = "binary"
SKIP_TOO_LARGE = "too large"
SKIP_UNDECODABLE = "undecodable text"
SKIP_SECRET = "holds a secret"
SKIP_SPECIAL = "not a regular file"


@dataclass(slots=True)
class FileEntry:
    rel: str  # workspace-relative posix path
    path: str  # absolute path
    size: int
    mtime_ns: int


@dataclass
class WalkResult:
    files: list[FileEntry] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)  # the skeleton: every folder visited, '' is the root
    skipped: Counter[str] = field(default_factory=Counter)
    # (path, reason) for skips a person may want to see; never denied paths.
    skipped_paths: list[tuple[str, str]] = field(default_factory=list)


def walk(root: Path, rules: IgnoreRules | None = None) -> WalkResult:
    """List the files VJEPA may read under `root` (already validated by safety.check_root)."""
    rules = rules or IgnoreRules(root)
    result = WalkResult()
    denied_abs = denied_home_paths()  # lower-cased: ~/.SSH is ~/.ssh on macOS and Windows
    root_str = str(root)
    stack: list[str] = [""]
    while stack:
        rel_dir = stack.pop()
        abs_dir = os.path.join(root_str, rel_dir) if rel_dir else root_str
        rules.load_dir(rel_dir)
        result.dirs.append(rel_dir)
        try:
            with os.scandir(abs_dir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            result.skipped[SKIP_UNREADABLE] += 1
            result.skipped_paths.append((rel_dir or ".", SKIP_UNREADABLE))
            continue
        subdirs = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = not is_link and entry.is_dir(follow_symlinks=False)
            except OSError:
                result.skipped[SKIP_UNREADABLE] += 1
                continue
            if denied_name(rel, is_dir) or entry.path.lower() in denied_abs:
                result.skipped[SKIP_DENIED] += 1
                continue
            if rules.ignored(rel, is_dir):
                continue
            if is_link:
                # Never followed: a link inside the root duplicates what the walk sees anyway,
                # and one pointing outside would read what the user did not allow.
                target = os.path.realpath(entry.path)
                inside = target == root_str or target.startswith(root_str + os.sep)
                reason = SKIP_SYMLINK if inside else SKIP_SYMLINK_OUT
                result.skipped[reason] += 1
                result.skipped_paths.append((rel, reason))
                continue
            if is_dir:
                subdirs.append(rel)
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                result.skipped[SKIP_UNREADABLE] += 1
                result.skipped_paths.append((rel, SKIP_UNREADABLE))
                continue
            if not entry.is_file(follow_symlinks=False):
                result.skipped[SKIP_SPECIAL] += 1
                continue
            result.files.append(FileEntry(rel, entry.path, st.st_size, st.st_mtime_ns))
        stack.extend(reversed(subdirs))
    return result


@dataclass(slots=True)
class ReadResult:
    text: str | None  # None when skipped
    hash: str  # of the raw bytes; '' when the file was not read
    skip: str | None = None
    encoding: str = "utf-8"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_text(entry: FileEntry, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read a file as text, or say why not. Never raises for bad content."""
    if entry.size > max_bytes:
        return ReadResult(None, "", SKIP_TOO_LARGE)
    if os.path.splitext(entry.rel)[1].lower() in BINARY_EXTENSIONS:
        return ReadResult(None, "", SKIP_BINARY)
    try:
        with open(entry.path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError:
        return ReadResult(None, "", SKIP_UNREADABLE)
    if len(data) > max_bytes:  # grew since the walk
        return ReadResult(None, "", SKIP_TOO_LARGE)
    digest = content_hash(data)
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ReadResult(None, digest, SKIP_BINARY)
    try:
        return ReadResult(data.decode("utf-8-sig"), digest)
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return ReadResult(None, digest, SKIP_UNDECODABLE)
    return ReadResult(str(best), digest, encoding=best.encoding)
