"""The coordinator (the queen): prepares a run, starts the workers with `mlx.launch`, watches their
heartbeats, recovers from a dead or hung worker by resuming from the last checkpoint with the workers
that remain, and hands the result to promotion. Its view of the run is `status.json`."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

import numpy as np
import psutil

from vjepa_core.harvest.units import CodeUnit
from vjepa_core.messages import VjepaError, Voice, text
from vjepa_core.model.encoder import checkpoint as ckpt_io
from vjepa_core.model.encoder.atomic import write_json
from vjepa_core.model.encoder.locations import LOCAL_MODEL
from vjepa_core.model.encoder.views import encode_views
from vjepa_core.model.train import TrainConfig
from vjepa_core.swarm.partition import partition_by_file
from vjepa_core.swarm.runfolder import RunFolder

BACKENDS = ("ring", "mpi", "nccl")
HEARTBEAT_TIMEOUT = 60.0  # seconds without a heartbeat from a training worker: hung
STARTUP_TIMEOUT = 180.0  # seconds for a worker's first heartbeat (imports, data, first compile)
MAX_RESTARTS = 3
PROGRESS_FACTOR = 4  # no step done by any worker for this many heartbeat timeouts: stuck


def swarm_dir(index_dir: Path) -> Path:
    return Path(index_dir) / "swarm"


def run_folder(index_dir: Path) -> RunFolder:
    """The workspace's run folder (one run at a time)."""
    return RunFolder(swarm_dir(index_dir) / "run")


def workspace_units(ws: Any) -> list[CodeUnit]:
    cols = ("path", "kind", "name", "text", "start_line", "end_line", "hash")
    t = ws.store.visible_units(list(cols))
    return [CodeUnit(p, k, n, s, e, x, h) for p, k, n, x, s, e, h in zip(*(t[c].to_pylist() for c in cols))]


def read_hostfile(path: Path) -> dict[str, Any]:
    """mlx.launch's hostfile: a list of hosts, or {"backend", "envs", "hosts"}; each host has "ssh" and "ips"."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VjepaError("swarm.hostfile", path=path, reason=str(exc)) from None
    if isinstance(data, list):
        data = {"hosts": data}
    hosts = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, dict) and "ssh" in h for h in hosts):
        raise VjepaError("swarm.hostfile", path=path, reason='it needs a list of hosts, each with "ssh" (and "ips")')
    return {"backend": data.get("backend", ""), "envs": list(data.get("envs", [])), "hosts": hosts}


def prepare_run(ws: Any, run: RunFolder, *, workers: int, steps: int, seed: int = 0, batch_size: int | None = None,
                from_scratch: bool = False, enc_overrides: dict[str, Any] | None = None, sync_every: int = 0,
                checkpoint_every: int | None = None, max_steps_per_s: float = 0.0, backend: str = "ring",
                hostfile: Path | None = None, out: Path | None = None, shards: int | None = None) -> dict[str, Any]:
    """Write a fresh run folder: units partitioned by file into `shards` (default: one per worker),
    tokenized; the spec."""
    units = workspace_units(ws)
    if not units:
        raise VjepaError("train.no_units", root=ws.root)
    files = len({u.path for u in units})
    shards = shards or workers
    if files < max(shards, workers):
        raise VjepaError("swarm.too_few_files", files=files, workers=max(shards, workers))
    init, tokenizer, enc_cfg = ws.training_setup(units, from_scratch, enc_overrides)
    cfg = TrainConfig(steps=steps, seed=seed)
    if batch_size:
        cfg = replace(cfg, batch_size=batch_size, cross_view_batch=batch_size)
    if run.path.exists():
        shutil.rmtree(run.path)
    run.path.mkdir(parents=True)
    parts = partition_by_file(units, shards)
    for s, shard in enumerate(parts):
        arrays = encode_views([(u.text, u.kind, u.name) for u in shard], tokenizer, enc_cfg.max_len, cfg.doc_max_len)
        run.save_shard(s, {**arrays, "files": np.array(sorted({u.path for u in shard}), dtype=str)})
    if init is not None:
        ckpt_io.save(init, run.init_dir)
    spec = {
        "root": str(ws.root), "index_dir": str(ws.index_dir), "units": len(units), "files": files,
        "workers": workers, "shards": shards, "steps": steps, "sync_every": sync_every,
        "checkpoint_every": checkpoint_every or max(1, min(25, steps // 4)), "max_steps_per_s": max_steps_per_s,
        "backend": backend, "hostfile": str(Path(hostfile).resolve()) if hostfile else None,
        "out": str(Path(out).resolve()) if out else None,
        "train_config": cfg.to_dict(), "encoder_config": enc_cfg.to_dict(),
        "tokenizer": tokenizer.to_json(), "init": init is not None, "created": time.time(),
        "shard_units": [len(p) for p in parts],
        "shard_bytes": [sum(len(u.text.encode("utf-8", "replace")) for u in p) for p in parts],
    }
    run.write_spec(spec)
    return spec


def launcher() -> list[str]:
    """How to run `mlx.launch` with this interpreter's MLX."""
    script = Path(sys.executable).parent / "mlx.launch"
    if script.exists():
        return [sys.executable, str(script)]
    try:
        import mlx._distributed_utils.launch  # noqa: F401
    except ImportError:
        raise VjepaError("swarm.no_launcher", python=sys.executable) from None
    return [sys.executable, "-c", "import sys; from mlx._distributed_utils.launch import main; sys.exit(main())"]


def free_port_base(count: int) -> int:
    """A base port with `count` free consecutive ports on loopback (the ring backend uses base..base+count-1)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            socks = []
            for p in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise OSError("no free ports for the ring backend")


_RANK_FAIL = re.compile(r"Node with rank (\d+) (?:exited with code (-?\d+)|was killed)")


class Coordinator:
    """Runs (or resumes) the run in `run` to its last step, recovering from lost workers."""

    def __init__(self, run: RunFolder, voice: Voice, *, workers: int | None = None,
                 heartbeat_timeout: float = HEARTBEAT_TIMEOUT, startup_timeout: float = STARTUP_TIMEOUT,
                 max_restarts: int = MAX_RESTARTS, log: Callable[[str], None] = lambda _: None) -> None:
        self.run, self.voice, self.log = run, voice, log
        self.spec = run.spec()
        self.workers = int(workers or self.spec["workers"])
        self.heartbeat_timeout, self.startup_timeout, self.max_restarts = heartbeat_timeout, startup_timeout, max_restarts
        self.hosts = read_hostfile(Path(self.spec["hostfile"]))["hosts"] if self.spec.get("hostfile") else None
        if self.hosts is not None:
            self.workers = len(self.hosts)
        self.workers = max(1, min(self.workers, int(self.spec["shards"])))  # at most one worker per shard
        self.status: dict[str, Any] = {"state": "starting", "run": str(run.path), "pid": os.getpid(),
                                       "host": socket.gethostname(), "steps": int(self.spec["steps"]),
                                       "shards": int(self.spec["shards"]), "restarts": 0, "events": [],
                                       "started": time.time(), "ranks": {}}
        self._proc: subprocess.Popen[bytes] | None = None

    # --- status ---
    def event(self, key: str, **fields: Any) -> None:
        msg = text(key, **fields)
        self.voice.say(key, **fields)
        self.status["events"] = [*self.status["events"][-19:], {"time": time.time(), "message": msg}]
        self.publish()

    def publish(self, beats: dict[int, dict[str, Any]] | None = None) -> None:
        st = self.status
        if beats is not None:
            st["ranks"] = {str(r): b for r, b in beats.items()}
        steps_done = [int(b.get("step", 0)) for b in (beats or {}).values()]
        st["step"] = max(self.run.done_step(), min(steps_done) if steps_done else 0)
        rates = [float(b.get("steps_per_s") or 0) for b in (beats or {}).values() if b.get("state") == "training"]
        rate = min(rates) if rates else 0.0
        st["eta_s"] = (st["steps"] - st["step"]) / rate if rate > 0 else None
        st["workers"] = self.workers
        st["updated"] = time.time()
        self.run.write_status(st)

    # --- launching and watching ---
    def _command(self) -> list[str]:
        worker = ["-m", "vjepa_core.swarm.worker", str(self.run.path)]  # mlx.launch puts --python first
        backend = self.spec.get("backend") or "ring"
        if self.workers == 1 and self.hosts is None:
            return [sys.executable, *worker]
        cmd = [*launcher(), "--backend", backend, "--python", sys.executable]
        if self.hosts is not None:
            hf = self.run.path / "hostfile.json"
            write_json(hf, {"backend": backend, "envs": [], "hosts": self.hosts})
            cmd += ["--hostfile", str(hf)]
        else:
            cmd += ["-n", str(self.workers)]
        if backend == "ring":
            cmd += ["--starting-port", str(free_port_base(self.workers))]
        return [*cmd, "--", *worker]

    def _launch(self) -> subprocess.Popen[bytes]:
        self.run.clear_heartbeats()
        spec = self.run.spec()
        spec["coordinator"] = {"pid": os.getpid(), "host": socket.gethostname()}
        self.run.write_spec({k: v for k, v in spec.items() if k != "format"})
        cmd = self._command()
        self.log("launch: " + " ".join(cmd))
        with open(self.run.log_path, "ab") as logf:
            logf.write(f"--- {time.ctime()}: {self.workers} worker(s)\n".encode())
            logf.flush()
            # stdin stays an open pipe: mlx.launch busy-polls a stdin at end-of-file.
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=logf, stderr=subprocess.STDOUT,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self._proc = proc
        if len(cmd) > 2 and cmd[1] != "-m":
            self._calm_launcher(proc)
        return proc

    def _calm_launcher(self, proc: subprocess.Popen[bytes]) -> None:
        """mlx.launch polls its pipes in a tight loop (a core's worth of CPU); once it has started the
        workers (which inherit its priority) it gets the lowest priority, so it only uses idle CPU."""
        expected = self.workers if self.hosts is None else len(self.hosts)
        deadline = time.time() + 20
        try:
            p = psutil.Process(proc.pid)
            while time.time() < deadline and proc.poll() is None:
                if len(p.children()) >= expected:
                    os.setpriority(os.PRIO_PROCESS, proc.pid, 19)
                    return
                time.sleep(0.05)
        except (psutil.Error, OSError):
            pass

    def _kill(self) -> None:
        proc = self._proc
        if proc is None:
            return
        try:
            tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        except psutil.Error:
            tree = []
        for p in tree:
            try:
                p.send_signal(signal.SIGTERM)
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(tree, timeout=1.5)
        for p in alive:
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(alive, timeout=2)
        if proc.stdin:
            proc.stdin.close()
        proc.wait()
        self._proc = None

    def _log_tail(self, start: int) -> str:
        try:
            with open(self.run.log_path, "rb") as f:
                f.seek(start)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _first_failure(self, log_start: int) -> tuple[int | None, str]:
        """The rank that failed first, from the launcher's report: a rank killed by a signal (negative
        exit code) before one that exited with an error (as its peers do when a ring peer vanishes)."""
        fails = [(int(m.group(1)), m.group(2)) for m in _RANK_FAIL.finditer(self._log_tail(log_start))]
        if not fails:
            return None, ""
        rank, code = min(fails, key=lambda f: 0 if f[1] is None or int(f[1]) < 0 else 1)
        if code is None:
            return rank, "killed"
        return rank, f"killed by signal {-int(code)}" if int(code) < 0 else f"exit code {code}"

    def _watch(self, proc: subprocess.Popen[bytes], log_start: int) -> tuple[str, str, int | None]:
        """Until the workers finish or one fails: ("done"|"exit"|"hung"|"stuck", why, failed rank or None)."""
        started = time.time()
        host = socket.gethostname()
        ready: set[int] = set()
        sharing = False
        while True:
            rc = proc.poll()
            beats = self.run.heartbeats()
            for r, b in beats.items():
                if r not in ready:
                    ready.add(r)
                    self.event("swarm.worker_ready", rank=r + 1)
            if not sharing and self.workers > 1 and len(beats) == self.workers and \
                    all(int(b.get("step", 0)) >= 1 for b in beats.values()):
                sharing = True  # every worker has been through an all-reduce
                self.event("swarm.sharing")
            self.publish(beats)
            if rc is not None:
                if rc == 0 and self.run.done_step() >= int(self.spec["steps"]):
                    return "done", "", None
                rank, why = self._first_failure(log_start)
                return "exit", why or f"exit code {rc}", rank
            now = time.time()
            stale: list[tuple[int, float, int]] = []
            for r in range(self.workers):
                b = beats.get(r)
                if b is not None and b.get("state") != "done" and b.get("host") == host:
                    try:
                        gone = psutil.Process(int(b["pid"])).status() == psutil.STATUS_ZOMBIE
                    except psutil.NoSuchProcess:
                        gone = True
                    if gone:  # the launcher reports how; the others fail next, on the lost connection
                        try:
                            proc.wait(timeout=5)
                        except subprocess.TimeoutExpired:
                            pass
                        rank, why = self._first_failure(log_start)
                        return "exit", why or "its process ended", r if rank is None else rank
                if b is None:  # not started yet: imports, data, the launcher's ssh
                    if now - started > self.startup_timeout:
                        stale.append((started, r))
                elif b.get("state") != "done" and now - float(b["time"]) > self.heartbeat_timeout:
                    stale.append((float(b["time"]), r))  # the process stopped beating: stopped or wedged
            if stale:
                last, r = min(stale)
                return "hung", f"no heartbeat for {now - last:.0f} s", r
            # Alive but getting nowhere (a lost message, a deadlock): restart them all from the checkpoint.
            if len(beats) == self.workers and all(b.get("state") != "done" for b in beats.values()):
                progress = max(float(b.get("progress_time") or started) for b in beats.values())
                first = all(b.get("progress_time") is None for b in beats.values())
                limit = self.startup_timeout if first else PROGRESS_FACTOR * self.heartbeat_timeout
                if now - progress > limit:
                    return "stuck", f"no progress for {now - progress:.0f} s", None
            time.sleep(0.2)

    def run_to_end(self) -> None:
        """Train to the last step; raises VjepaError when restarts run out."""
        restarts = 0
        done = self.run.done_step()
        if done:
            self.event("swarm.resume", step=done, steps=self.spec["steps"])
        while True:
            self.status["state"] = "running"
            self.event("swarm.start", workers=self.workers, units=self.spec["units"], shards=self.spec["shards"])
            log_start = self.run.log_path.stat().st_size if self.run.log_path.exists() else 0
            proc = self._launch()
            try:
                outcome, why, rank = self._watch(proc, log_start)
            finally:
                self._kill()
            if outcome == "done":
                return
            restarts += 1
            self.status["restarts"] = restarts
            if restarts > self.max_restarts:
                self.status["state"] = "failed"
                self.publish()
                raise VjepaError("swarm.failed", restarts=restarts - 1, reason=f"a worker stopped ({why})",
                                 log=self.run.log_path)
            self.status["state"] = "recovering"
            if self.workers > 1 and rank is not None:
                if self.hosts is not None and rank is not None and rank < len(self.hosts):
                    self.hosts = [h for i, h in enumerate(self.hosts) if i != rank]
                self.workers = len(self.hosts) if self.hosts is not None else self.workers - 1
            if rank is None:
                self.event("swarm.restart", reason=why, step=self.run.done_step())
            else:
                self.event("swarm.worker_lost", rank=rank + 1, reason=why, workers=self.workers,
                           step=self.run.done_step())


class RunLock:
    """One coordinator per workspace: an flock on swarm/coordinator.lock (released if the process dies)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = swarm_dir(index_dir) / "coordinator.lock"
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise VjepaError("swarm.busy", path=self.path.parent) from None
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def train_swarm(ws: Any, voice: Voice, *, resume: bool = False, workers: int | None = None, steps: int = 300,
                seed: int = 0, batch_size: int | None = None, from_scratch: bool = False,
                enc_overrides: dict[str, Any] | None = None, sync_every: int = 0,
                checkpoint_every: int | None = None, max_steps_per_s: float = 0.0, backend: str = "ring",
                hostfile: Path | None = None, out: Path | None = None, embed: bool = True,
                heartbeat_timeout: float = HEARTBEAT_TIMEOUT, log: Callable[[str], None] = lambda _: None,
                ) -> dict[str, Any]:
    """`vjepa train --workers N` / `--resume`: prepare (or pick up) the run, train it to the end with
    the coordinator, then save it to `out` or decide on promotion. Returns the final status."""
    from vjepa_core.swarm.promotion import decide

    with RunLock(ws.index_dir):
        run = run_folder(ws.index_dir)
        prior = run.status() if run.exists() else None
        if resume and run.exists() and (prior is None or prior.get("state") != "done"):
            n = workers
        else:
            if resume:
                voice.say("swarm.nothing_to_resume")
            if hostfile is not None:
                workers = len(read_hostfile(hostfile)["hosts"])
            prepare_run(ws, run, workers=workers or 1, steps=steps, seed=seed, batch_size=batch_size,
                        from_scratch=from_scratch, enc_overrides=enc_overrides, sync_every=sync_every,
                        checkpoint_every=checkpoint_every, max_steps_per_s=max_steps_per_s, backend=backend,
                        hostfile=hostfile, out=out)
            n = None
        coord = Coordinator(run, voice, workers=n, heartbeat_timeout=heartbeat_timeout, log=log)
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, on_term)
        t0 = time.time()
        try:
            coord.run_to_end()
        except KeyboardInterrupt:
            coord.status["state"] = "stopped"
            coord.publish()
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
        spec = coord.spec
        voice.say("swarm.done", steps=spec["steps"], seconds=f"{time.time() - t0:.0f}")
        candidate = ckpt_io.load(run.checkpoint_dir)
        if spec.get("out"):
            ckpt_io.save(candidate, spec["out"])
            voice.say("swarm.saved", path=spec["out"])
            coord.status["saved"] = spec["out"]
        else:
            coord.status["state"] = "promoting"
            coord.publish()
            decision = decide(candidate, ws.checkpoint(), ws.root, workspace_units(ws))
            write_json(run.promotion_path, decision.to_dict())
            coord.status["promotion"] = decision.to_dict()
            if decision.promote:
                target = Path(ws.index_dir) / LOCAL_MODEL
                ckpt_io.save(candidate, target)
                ws.reload_model()
                coord.status["saved"] = str(target)
                voice.say("swarm.promoted", why=decision.why)
                if embed:
                    report = ws.embed()
                    if report is not None:
                        voice.say("embed.done", new=report.units_embedded, reused=report.units_reused,
                                  files=report.files, semantic=report.semantic_relations)
            else:
                voice.say("swarm.kept", why=decision.why)
        coord.status["state"] = "done"
        coord.status["finished"] = time.time()
        coord.publish()
        return coord.status
