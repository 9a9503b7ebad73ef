"""`vjepa bench lsp`: the real `vjepa-lsp` over stdio on a big workspace (issue 4).

Spawns the server (never imports it), lets it index a copy of the workspace, then measures what an
editor feels: code-lens latency (p50/p99 over many requests on random files), save-to-refreshed-lens
(an import added to a file, didSave, until the server's workspace/codeLens/refresh arrives and a
codeLens request shows the imported file), the server's RSS and its CPU use while idle.

`--generate N` builds a synthetic, deterministic (seeded) git workspace of N Python files instead:
packages of 20 files (an __init__, modules importing each other, tests, leaf scripts) with a history
of a few hundred commits in which a module and its test change together.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vjepa_core.messages import VjepaError, Voice

TARGETS = {"lens_p99_ms": 20.0, "save_to_lens_p95_ms": 500.0, "rss_mb": 400.0, "idle_cpu_percent": 1.0,
           "workspace_files": 5000}
GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_SYSTEM": os.devnull}


# --- the CLI ------------------------------------------------------------------------------------
def register(sub: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    """Add `vjepa bench lsp` to `bench`."""
    p = bench.add_parser("lsp", help="the language server over stdio: lens latency, save-to-lens, RSS, idle CPU")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--root", type=Path, help="a workspace to measure on (a copy is used; it is never changed)")
    where.add_argument("--generate", type=int, metavar="N", help="measure on a synthetic git workspace of N Python files")
    p.add_argument("--files", type=int, default=500, metavar="N", help="random files to ask for lenses (default 500)")
    p.add_argument("--requests", type=int, default=2000, help="codeLens requests in all (default 2000)")
    p.add_argument("--saves", type=int, default=20, help="edit-and-save rounds (default 20)")
    p.add_argument("--idle-seconds", type=float, default=10.0, help="how long to watch idle CPU (default 10)")
    p.add_argument("--commits", type=int, default=300, help="commits in a generated history (default 300)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the first index (default 3600)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run_bench_lsp)


def run_bench_lsp(args: argparse.Namespace, voice: Voice, console: Console) -> int:
    if args.generate is None and not Path(args.root).is_dir():
        raise VjepaError("bench_lsp.no_root", root=args.root)
    for name in ("files", "requests", "saves"):
        if getattr(args, name) < 1:
            raise VjepaError("bench_lsp.bad_count", option=f"--{name}", value=getattr(args, name))
    if args.generate is not None and args.generate < 20:
        raise VjepaError("bench_lsp.bad_count", option="--generate", value=args.generate)
    report = bench_lsp(root=args.root, generate=args.generate, files=args.files, requests=args.requests,
                       saves=args.saves, idle_seconds=args.idle_seconds, commits=args.commits, seed=args.seed,
                       index_timeout=args.timeout, log=lambda key, **kw: voice.say(key, **kw))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def print_report(report: dict[str, Any]) -> None:
    out = Console()
    t = Table(title=f"vjepa-lsp on {report['workspace_files']} files ({report['date']})", title_justify="left")
    for col in ("figure", "measured", "target", "met"):
        t.add_column(col)
    for row in report["table"]:
        t.add_row(row["figure"], row["measured"], row["target"], "yes" if row["met"] else "NO")
    out.print(t)
    s = report["save"]
    out.print(f"first index {report['index_seconds']:.1f} s; {report['lens']['requests']} lens requests on "
              f"{report['lens']['files']} files; saves {s['saves']}, refreshes seen {s['refreshes_observed']}, "
              f"lens current after the save {s['lens_current']}, new import in the lens's top 3 {s['lens_updated']}",
              highlight=False)


# --- a synthetic workspace ----------------------------------------------------------------------
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


# --- measuring ----------------------------------------------------------------------------------
def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _server_command() -> list[str]:
    script = Path(sys.executable).parent / "vjepa-lsp"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "server.main"]


def _python_files(root: Path) -> list[str]:
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files"], capture_output=True, text=True, check=True,
                             env={**os.environ, **GIT_ENV}).stdout.splitlines()
    except (subprocess.CalledProcessError, FileNotFoundError):
        out = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    return sorted(out)


def _copy_workspace(src: Path, dest: Path) -> None:
    """The bench edits files: it works on a copy (a clone of a git repository keeps its history)."""
    if (src / ".git").exists():
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(src), str(dest)], check=True,
                       env={**os.environ, **GIT_ENV})
    else:
        shutil.copytree(src, dest, symlinks=True)


def _tree_rss_cpu(proc: Any) -> tuple[float, float]:
    """RSS (MB) and cumulative CPU seconds of the server and its children."""
    import psutil

    procs = [proc, *proc.children(recursive=True)]
    rss = cpu = 0.0
    for p in procs:
        try:
            rss += p.memory_info().rss
            t = p.cpu_times()
            cpu += t.user + t.system
        except psutil.Error:
            continue
    return rss / 2**20, cpu


def bench_lsp(*, root: Path | None = None, generate: int | None = None, files: int = 500, requests: int = 2000,
              saves: int = 20, idle_seconds: float = 10.0, commits: int = 300, seed: int = 0,
              index_timeout: float = 3600.0, log: Any = None) -> dict[str, Any]:
    """Run the whole benchmark in temp folders (cleaned up) and return the report."""
    say = log or (lambda key, **kw: None)
    with tempfile.TemporaryDirectory(prefix="vjepa-bench-lsp-") as tmp:
        work = Path(tmp) / "workspace"
        leaves: list[str] = []
        if generate is not None:
            say("bench_lsp.generating", files=generate, commits=commits)
            syn = generate_workspace(work, generate, commits=commits, seed=seed)
            leaves = syn.leaves
        else:
            _copy_workspace(Path(root).resolve(), work)  # type: ignore[arg-type]
        return asyncio.run(_measure(work, Path(tmp), leaves=leaves, files=files, requests=requests, saves=saves,
                                    idle_seconds=idle_seconds, seed=seed, index_timeout=index_timeout, say=say))


async def _measure(work: Path, tmp: Path, *, leaves: list[str], files: int, requests: int, saves: int,
                   idle_seconds: float, seed: int, index_timeout: float, say: Any) -> dict[str, Any]:
    import psutil
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient
    from pygls.uris import from_fs_path

    rng = random.Random(seed + 1)
    all_files = _python_files(work)
    py = [f for f in all_files if f.endswith(".py")]
    client = LanguageClient("vjepa-bench", "1")
    refreshes: list[float] = []
    statuses: list[dict[str, Any]] = []
    refreshed = asyncio.Event()

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def _refresh(params: None) -> None:
        refreshes.append(time.perf_counter())
        refreshed.set()

    @client.feature("vjepa/status")
    def _status(params: Any) -> None:
        statuses.append({"state": getattr(params, "state", None), "t": time.perf_counter()})

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def _progress(params: Any) -> None:
        return None

    for method in (types.WINDOW_LOG_MESSAGE, types.WINDOW_SHOW_MESSAGE, types.PROGRESS):
        client.feature(method)(lambda params: None)

    env = {**os.environ, "XDG_DATA_HOME": str(tmp / "data")}
    cmd = _server_command()
    here = Path(__file__).resolve().parents[2]  # the checkout root (server/ sits beside vjepa_core/)
    if cmd[0] == sys.executable:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(here), env.get("PYTHONPATH", "")) if p)
    await client.start_io(*cmd, env=env, cwd=str(tmp))
    server = client._server
    assert server is not None and server.stderr is not None
    stderr_tail: list[bytes] = []

    async def drain() -> None:  # the server logs to stderr; an unread pipe would block it
        while line := await server.stderr.readline():  # type: ignore[union-attr]
            stderr_tail.append(line)
            del stderr_tail[:-50]

    drainer = asyncio.create_task(drain())
    proc = psutil.Process(server.pid)
    peak = [0.0]

    async def sample_rss() -> None:  # the peak, indexing included (sampled twice a second)
        while True:
            peak[0] = max(peak[0], _tree_rss_cpu(proc)[0])
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_rss())
    uri = lambda rel: from_fs_path(str(work / rel)) or ""

    async def lens(rel: str) -> list[Any]:
        return await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri(rel)))) or []

    def field_of(item: Any, name: str) -> Any:
        return item.get(name) if isinstance(item, dict) else getattr(item, name, None)

    async def _import_target(rel: str) -> str:
        """A module whose import will lift it into `rel`'s top 3 (the lens), from the server's own
        ranking (vjepa.relatedFiles, not timed): the best one just below the top 3 (semantic
        neighbours move when a file changes; a runner-up stays close), else one unrelated so far."""
        ranked = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="vjepa.relatedFiles", arguments=[uri(rel)])) or []
        paths = [str(field_of(r, "path")) for r in ranked]
        lower = [str(field_of(r, "path")) for r in ranked[3:] if str(field_of(r, "path")).endswith(".py")
                 and not str(field_of(r, "path")).endswith("__init__.py")]
        steady = [p for p, r in zip(paths[3:], ranked[3:]) if p in lower and field_of(r, "reason") != "semantic"]
        lower = steady + [p for p in lower if p not in steady]
        fresh = [m for m in py if m != rel and m not in paths and not m.endswith("__init__.py")]
        return lower[0] if lower else rng.choice(fresh or [m for m in py if m != rel])

    async def settle(timeout: float) -> None:
        """Until the server says idle and stays quiet (no status change) for a second."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            last = statuses[-1] if statuses else {"state": None, "t": 0.0}
            if last["state"] == "idle" and time.perf_counter() - last["t"] > 1.0:
                return
            await asyncio.sleep(0.1)

    try:
        caps = types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(
                code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True)),
            text_document=types.TextDocumentClientCapabilities(
                code_lens=types.CodeLensClientCapabilities(dynamic_registration=False),
                synchronization=types.TextDocumentSyncClientCapabilities(did_save=True)),
            window=types.WindowClientCapabilities(work_done_progress=True))
        say("bench_lsp.indexing", files=len(all_files))
        t0 = time.perf_counter()
        await client.initialize_async(types.InitializeParams(
            capabilities=caps, client_info=types.ClientInfo(name="vjepa-bench-lsp"),
            initialization_options={"trustWorkspace": True, "indexDir": str(tmp / "index"), "kindMessages": False,
                                    "idleTraining": False, "watch": False},
            workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(work)) or "", name=work.name)]))
        client.initialized(types.InitializedParams())
        try:
            await asyncio.wait_for(refreshed.wait(), index_timeout)
        except asyncio.TimeoutError:
            raise VjepaError("bench_lsp.index_timeout", seconds=index_timeout,
                             tail=b"".join(stderr_tail[-5:]).decode(errors="replace").strip()) from None
        index_seconds = time.perf_counter() - t0
        await settle(60.0)
        rss_after_index, _ = _tree_rss_cpu(proc)

        # Code lenses: sequential requests over random files (an editor asks one file at a time).
        say("bench_lsp.lenses", requests=requests, files=min(files, len(py) or len(all_files)))
        sample = rng.sample(py or all_files, min(files, len(py) or len(all_files)))
        for rel in sample[:20]:  # warm-up
            await lens(rel)
        latencies, with_lenses = [], 0
        for _ in range(requests):
            rel = rng.choice(sample)
            t = time.perf_counter()
            got = await lens(rel)
            latencies.append((time.perf_counter() - t) * 1000)
            with_lenses += bool(got)

        # Save -> refreshed lens: add an import of a module from elsewhere, save, wait for the refresh
        # request and then for a codeLens answer that shows the imported file.
        say("bench_lsp.saves", saves=saves)
        known = set(py)
        targets = [p for p in leaves if p in known] or py
        targets = rng.sample(targets, min(saves, len(targets)))
        save_ms, to_refresh_ms, observed, updated, fresh_lens, rounds = [], [], 0, 0, 0, []
        for rel in targets:
            other = await _import_target(rel)
            dotted = other[:-3].replace("/", ".")
            path = work / rel
            path.write_text(path.read_text(encoding="utf-8") + f"\nimport {dotted}\n", encoding="utf-8")
            n_before = len(refreshes)
            refreshed.clear()
            t = time.perf_counter()
            client.text_document_did_save(types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=uri(rel))))
            seen = shown = current = False
            done = t
            first_refresh = None
            deadline = t + 120.0
            while time.perf_counter() < deadline:
                try:
                    await asyncio.wait_for(refreshed.wait(), max(0.01, deadline - time.perf_counter()))
                except asyncio.TimeoutError:
                    break
                refreshed.clear()
                if len(refreshes) > n_before:
                    seen = True
                    first_refresh = first_refresh or refreshes[n_before]
                    deadline = min(deadline, time.perf_counter() + 10.0)  # a later refresh may still bring it
                got = await lens(rel)
                done = time.perf_counter()
                related = [lz.command.title.split(" ", 1)[-1] for lz in got
                           if lz.command and not lz.command.title.startswith("Next: ")]
                if other in related:
                    shown = current = True
                    break
                # The import is in the index but ranks below the top 3 now (semantic neighbours move
                # when a file changes): the lens is still new if it is what the index ranks now.
                now = await client.workspace_execute_command_async(types.ExecuteCommandParams(
                    command="vjepa.relatedFiles", arguments=[uri(rel)])) or []
                now_paths = [str(field_of(r, "path")) for r in now]
                if other in now_paths and related == now_paths[:len(related)] and len(related) == min(3, len(now_paths)):
                    current = True
                    break
            observed += seen
            updated += shown
            fresh_lens += current
            if seen and current:
                save_ms.append((done - t) * 1000)
                to_refresh_ms.append(((first_refresh or done) - t) * 1000)
            entry = {"file": rel, "imported": other, "refresh_seen": seen, "lens_shows_import": shown,
                     "lens_current": current,
                     "ms": round((done - t) * 1000, 1)}
            if not shown:  # what the server ranks now, to see why
                entry["related_now"] = [(field_of(r, "path"), field_of(r, "score"), field_of(r, "reason")) for r in
                                        (await client.workspace_execute_command_async(types.ExecuteCommandParams(
                                            command="vjepa.relatedFiles", arguments=[uri(rel)])) or [])[:5]]
            rounds.append(entry)
            await settle(30.0)

        # Idle: everything settled, nobody asks anything.
        await settle(60.0)
        await asyncio.sleep(2.0)
        say("bench_lsp.idle", seconds=idle_seconds)
        _, cpu0 = _tree_rss_cpu(proc)
        t = time.perf_counter()
        await asyncio.sleep(idle_seconds)
        rss_end, cpu1 = _tree_rss_cpu(proc)
        idle_cpu = 100.0 * (cpu1 - cpu0) / (time.perf_counter() - t)
    finally:
        try:
            await asyncio.wait_for(client.shutdown_async(None), 30)
            client.exit(None)
            await asyncio.wait_for(client.stop(), 30)
        except Exception:  # noqa: BLE001 - a server that does not go politely is stopped
            if server.returncode is None:
                server.kill()
            await server.wait()
        drainer.cancel()
        sampler.cancel()

    rss_peak = max(rss_after_index, rss_end, peak[0])
    lens_p50, lens_p99 = _percentile(latencies, 50), _percentile(latencies, 99)
    save_p95 = _percentile(save_ms, 95)
    table = [
        {"figure": "workspace files", "measured": str(len(all_files)), "target": ">= 5,000",
         "met": len(all_files) >= TARGETS["workspace_files"]},
        {"figure": "code lens p50", "measured": f"{lens_p50:.2f} ms", "target": "-", "met": True},
        {"figure": "code lens p99", "measured": f"{lens_p99:.2f} ms", "target": "<= 20 ms",
         "met": lens_p99 <= TARGETS["lens_p99_ms"]},
        {"figure": "save to refreshed lens p95", "measured": f"{save_p95:.0f} ms", "target": "<= 500 ms",
         "met": save_p95 <= TARGETS["save_to_lens_p95_ms"] and fresh_lens == len(targets)},
        {"figure": "RSS after indexing", "measured": f"{rss_after_index:.0f} MB", "target": "<= 400 MB",
         "met": rss_after_index <= TARGETS["rss_mb"]},
        {"figure": "RSS at the end", "measured": f"{rss_end:.0f} MB", "target": "<= 400 MB",
         "met": rss_end <= TARGETS["rss_mb"]},
        {"figure": "RSS peak (indexing included)", "measured": f"{rss_peak:.0f} MB", "target": "<= 400 MB",
         "met": rss_peak <= TARGETS["rss_mb"]},
        {"figure": "idle CPU", "measured": f"{idle_cpu:.2f} %", "target": "~0 % (<= 1 %)",
         "met": idle_cpu <= TARGETS["idle_cpu_percent"]},
    ]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "workspace_files": len(all_files), "python_files": len(py),
        "server": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(_server_command())),
        "cpus": os.cpu_count(), "index_seconds": round(index_seconds, 2),
        # vjepa-lsp inherits this process's environment: `vjepa` preloads OpenBLAS when it can.
        "server_blas": "openblas (LD_PRELOAD)" if "openblas" in os.environ.get("LD_PRELOAD", "") else "as installed",
        "lens": {"requests": len(latencies), "files": len(sample), "answers_with_lenses": with_lenses,
                 "p50_ms": round(lens_p50, 3), "p99_ms": round(lens_p99, 3), "max_ms": round(max(latencies), 3)},
        "save": {"saves": len(targets), "refreshes_observed": observed, "lens_updated": updated,
                 "lens_current": fresh_lens,
                 "p50_ms": round(_percentile(save_ms, 50), 1), "p95_ms": round(save_p95, 1),
                 "to_refresh_p95_ms": round(_percentile(to_refresh_ms, 95), 1), "rounds": rounds},
        "rss_mb": {"after_index": round(rss_after_index, 1), "end": round(rss_end, 1), "peak": round(rss_peak, 1)},
        "idle_cpu_percent": round(idle_cpu, 3), "idle_seconds": idle_seconds,
        "targets": TARGETS, "table": table,
    }
