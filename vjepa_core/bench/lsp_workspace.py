"""A synthetic, deterministic (seeded) git workspace for `vjepa bench lsp --generate N`, and the
copy of a real one that the bench edits.

Packages of 20 files (an __init__, modules importing each other, tests, leaf scripts) with a history
of a few hundred commits in which a module and its test change together.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_SYSTEM": os.devnull}

WORDS = ["parser", "lexer", "store", "cache", "index", "graph", "queue", "router", "client", "server", "codec", "buffer", "stream", "token", "schema", "table", "vector", "matrix", "kernel", "loader", "writer", "reader", "scanner", "planner", "solver", "tracker", "broker", "ledger", "invoice", "order", "cart", "price", "stock", "sensor", "signal", "filter", "mixer", "render", "canvas", "sprite", "camera", "shader", "mesh", "audio", "codecx", "clock", "timer", "event", "hook", "plugin", "config", "secret", "auth", "session", "cookie", "profile", "account", "report", "metric", "gauge", "counter", "alert", "notice", "mailer", "batch", "chunk", "shard", "replica"]
VERBS = ["load", "save", "parse", "build", "merge", "split", "check", "apply", "render", "fetch", "send", "flush", "scan", "sort", "rank", "score"]


@dataclass
class Synthetic:
    root: Path
    files: list[str] = field(default_factory=list)
    leaves: list[str] = field(default_factory=list)  # never imported, never committed again: save targets
    modules: list[str] = field(default_factory=list)  # importable modules (dotted name from the path)
    commits: int = 0


def _module_text(rng: random.Random, name: str, imports: list[str]) -> str:
    lines = [f'"""{name.replace("_", " ")}: {" ".join(rng.sample(WORDS, 6))}."""', ""]
    lines += [f"from {m} import *  # noqa: F403" for m in imports]
    lines.append("")
    for _ in range(rng.randint(2, 4)):
        verb, noun, other = rng.choice(VERBS), rng.choice(WORDS), rng.choice(WORDS)
        fn = f"{verb}_{noun}_{rng.randrange(1000)}"
        lines += ["", f"def {fn}({noun}, {other}=None):",
                  f'    """{verb.capitalize()} the {noun} with the {other}."""',
                  f"    items = [{noun}] if {other} is None else [{noun}, {other}]",
                  f"    return [x for x in items if x is not None][:{rng.randint(1, 9)}]", ""]
    cls = "".join(w.capitalize() for w in rng.sample(WORDS, 2))
    lines += ["", f"class {cls}:", f'    """A {cls} keeps {rng.choice(WORDS)} state."""', "",
              "    def __init__(self):", f"        self.{rng.choice(WORDS)} = {rng.randrange(100)}", ""]
    return "\n".join(lines)


def generate_workspace(root: Path, n: int, *, commits: int = 300, seed: int = 0) -> Synthetic:
    """A git repository of `n` Python files in `root` (created; must not exist or be empty).
    Deterministic for a given (n, commits, seed)."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    syn = Synthetic(root)
    content: dict[str, str] = {}
    packages: list[dict[str, Any]] = []
    i = 0
    while len(content) < n:
        pkg = f"pkg_{i:04d}"
        names = rng.sample(WORDS, 12)
        mods = [f"{pkg}/{w}_{i:04d}.py" for w in names]
        tests = [f"{pkg}/tests/test_{w}_{i:04d}.py" for w in names[:3]]
        leaves = [f"{pkg}/tool_{w}_{i:04d}.py" for w in rng.sample(VERBS, 4)]
        order = [f"{pkg}/__init__.py", *mods, *tests, *leaves]
        packages.append({"mods": mods, "tests": tests})
        for path in order[: n - len(content)]:
            dotted = path[:-3].replace("/", ".")
            if path.endswith("__init__.py"):
                content[path] = f'"""The {pkg} package."""\n'
            elif path in mods:
                k = mods.index(path)
                imports = [p[:-3].replace("/", ".") for p in rng.sample(mods[:k], min(k, rng.randint(0, 2)))]
                if syn.modules and rng.random() < 0.3:
                    imports.append(rng.choice(syn.modules[-60:]))
                content[path] = _module_text(rng, dotted.rsplit(".", 1)[-1], imports)
                syn.modules.append(dotted)
            elif path in tests:
                target = mods[tests.index(path)][:-3].replace("/", ".")
                content[path] = _module_text(rng, dotted.rsplit(".", 1)[-1], [target])
            else:
                content[path] = _module_text(rng, dotted.rsplit(".", 1)[-1], [mods[rng.randrange(3, 12)][:-3].replace("/", ".")])
                syn.leaves.append(path)
        i += 1
    syn.files = list(content)
    # The history: everything at once, then commits with habits (a module with its test, sometimes a
    # neighbour too; hot packages more often). Written with one `git fast-import` stream.
    stream: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(k: int, message: str, changed: dict[str, str]) -> None:
        stream.append(b"commit refs/heads/main\nmark :%d\n" % (k + 1))
        stream.append(b"committer Bench <bench@example.com> %d +0000\n" % (1_700_000_000 + 3600 * k))
        data(message)
        if k:
            stream.append(b"from :%d\n" % k)
        for path, text in changed.items():
            stream.append(f"M 100644 inline {path}\n".encode())
            data(text)

    commit(0, "initial import", content)
    hot = [p for p in packages if p["tests"]][: max(1, len(packages) // 4)]
    for k in range(1, commits + 1):
        pkg = rng.choice(hot if rng.random() < 0.7 else [p for p in packages if p["tests"]] or packages)
        j = rng.randrange(len(pkg["tests"])) if pkg["tests"] else None
        changed = [pkg["mods"][j], pkg["tests"][j]] if j is not None else [pkg["mods"][0]]
        if rng.random() < 0.3 and len(pkg["mods"]) > 3:
            changed.append(pkg["mods"][rng.randrange(3, len(pkg["mods"]))])
        for path in changed:
            if path in content:
                content[path] += f"\nREVISION_{k} = {k}\n"
        commit(k, f"work on {changed[0]}", {p: content[p] for p in changed if p in content})
    syn.commits = commits + 1
    env = {**os.environ, **GIT_ENV}
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True, env=env)
    subprocess.run([*git, "fast-import", "--quiet"], input=b"".join(stream), check=True, env=env)
    subprocess.run([*git, "checkout", "-q", "-f", "main"], check=True, env=env)
    return syn


def python_files(root: Path) -> list[str]:
    """The workspace's files, relative and sorted (git's list when it is a repository)."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files"], capture_output=True, text=True, check=True,
                             env={**os.environ, **GIT_ENV}).stdout.splitlines()
    except (subprocess.CalledProcessError, FileNotFoundError):
        out = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    return sorted(out)


def copy_workspace(src: Path, dest: Path) -> None:
    """The bench edits files: it works on a copy (a clone of a git repository keeps its history)."""
    if (src / ".git").exists():
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(src), str(dest)], check=True,
                       env={**os.environ, **GIT_ENV})
    else:
        shutil.copytree(src, dest, symlinks=True)
