"""The swarm end to end: real MLX, real `mlx.launch` (ring backend on loopback), real crawled repos,
real training subprocesses under the idle scheduler."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures import GitRepo
from vjepa_core.model.encoder import checkpoint as ckpt_io
from vjepa_core.swarm.coordinator import run_folder
from vjepa_core.swarm.runfolder import RunFolder, read_json
from vjepa_core.swarm.scheduler import IdleScheduler
from vjepa_core.swarm.trainer import run_worker

TOPICS = ["parse", "render", "store", "fetch", "merge", "split", "score", "index"]
TINY = ["--from-scratch", "--dim", "32", "--depth", "1", "--batch-size", "8", "--no-embed", "-q"]


def build_repo(path: Path) -> GitRepo:
    """Eight documented Python files and a history in which neighbours change together."""
    repo = GitRepo(path)
    for t in TOPICS:
        body = "\n\n".join(
            f'def {t}_{j}(items, limit={j}):\n    """{t.capitalize()} the items, variant {j}, and keep the first."""\n'
            f"    out = [x for x in items if x]\n    for k in range(limit):\n        out.append(k * {j})\n"
            f"    return out[:limit]" for j in range(6))
        repo.commit(f"add {t}", {f"pkg/{t}.py": body + "\n"})
    for i in range(6):
        a, b = TOPICS[i], TOPICS[(i + 1) % len(TOPICS)]
        repo.commit(f"touch {a} {b}", {f"pkg/{a}.py": (repo.path / f"pkg/{a}.py").read_text() + f"\n# {i}\n",
                                       f"pkg/{b}.py": (repo.path / f"pkg/{b}.py").read_text() + f"\n# {i}\n"})
    return repo


def vjepa(*args: str | Path, timeout: float = 120, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vjepa_core.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, check=False, **kw)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("swarm")
    repo = build_repo(base / "repo")
    index = base / "index"
    r = vjepa("crawl", repo.path, "--index-dir", index, "--no-embed", "-q")
    assert r.returncode == 0, r.stderr
    return repo.path, index


def fresh_index(workspace: tuple[Path, Path], tmp_path: Path) -> Path:
    """A private copy of the crawled index, so tests do not share run folders."""
    index = tmp_path / "index"
    shutil.copytree(workspace[1], index)
    return index


def weights(path: Path) -> dict[str, np.ndarray]:
    return {k: np.array(v) for k, v in ckpt_io.load(path).weights.items()}


def max_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    assert a.keys() == b.keys()
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


def wait_for(cond, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_workers_match_one(workspace: tuple[Path, Path], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = workspace
    index = fresh_index(workspace, tmp_path)
    out = tmp_path / "two"
    r = vjepa("train", root, "--index-dir", index, "--workers", "2", "--steps", "6", "--out", out, *TINY)
    assert r.returncode == 0, r.stderr
    run = run_folder(index)
    spec = run.spec()
    assert spec["shards"] == 2 and sum(spec["shard_units"]) == spec["units"] == 48
    beats = run.heartbeats()
    assert sorted(beats) == [0, 1] and all(b["world"] == 2 and b["state"] == "done" for b in beats.values())
    assert "Worker 2 ready to help!" in run.log_path.read_text()
    assert beats[0]["fingerprint"] == pytest.approx(beats[1]["fingerprint"], rel=1e-6)

    # The dashboard's JSON, as `vjepa swarm status --json` prints it for scripts.
    from vjepa_core.cli import main

    assert main(["swarm", "status", str(root), "--index-dir", str(index), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "done" and status["step"] == 6 and sorted(status["ranks"]) == ["0", "1"]
    events = [e["message"] for e in status["events"]]
    assert "Worker 2 ready to help!" in events and "Workers sharing what they learned..." in events
    assert main(["swarm", "status", str(root), "--index-dir", str(index), "--once"]) == 0
    once = capsys.readouterr().out
    assert "done" in once and "steps/s" in once

    # The same spec and shards, trained by one worker without a launcher.
    one = RunFolder(tmp_path / "one")
    one.path.mkdir()
    shutil.copytree(run.shards_dir, one.shards_dir)
    one.write_spec({k: v for k, v in spec.items() if k not in ("format", "coordinator")})
    run_worker(one)
    assert read_json(one.heartbeat_dir / "rank-0.json")["shards"] == [0, 1]

    two_w, one_w = weights(out), weights(one.checkpoint_dir)
    trained = max_diff(two_w, {k: np.array(v) for k, v in ckpt_io.load(run.checkpoint_dir).weights.items()})
    assert trained == 0.0  # --out holds the run's final checkpoint
    diff = max_diff(two_w, one_w)
    assert diff < 1e-4, diff
    # ...and training moved the weights far more than that: the comparison can fail.
    init = RunFolder(tmp_path / "init")
    init.path.mkdir()
    shutil.copytree(run.shards_dir, init.shards_dir)
    init.write_spec({**{k: v for k, v in spec.items() if k not in ("format", "coordinator")}, "steps": 1})
    run_worker(init)
    assert max_diff(one_w, weights(init.checkpoint_dir)) > 100 * max(diff, 1e-6)


def test_a_swarm_worker_is_the_one_training_loop(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    """A worker is vjepa_core.model.train.train (the loop `vjepa train` runs) fed its shards' batches:
    the same loop by hand, with one generator per (seed, shard, step), gives the same weights."""
    import mlx.core as mx

    from vjepa_core.model.encoder.batches import BatchSampler
    from vjepa_core.model.encoder.network import EncoderConfig
    from vjepa_core.model.encoder.objective import init_models, pack_weights
    from vjepa_core.model.encoder.schedules import make_optimizer
    from vjepa_core.model.encoder.tokenizer import CodeTokenizer
    from vjepa_core.model.train import TrainConfig, train
    from vjepa_core.swarm.coordinator import prepare_run
    from vjepa_core.swarm.trainer import per_shard_batch
    from vjepa_core.workspace import Workspace

    run = RunFolder(tmp_path / "run")
    spec = prepare_run(Workspace(workspace[0], fresh_index(workspace, tmp_path)), run, workers=1, shards=2, steps=4,
                       batch_size=8, from_scratch=True, enc_overrides={"dim": 32, "depth": 1})
    swarm = run_worker(run)
    assert swarm is not None

    cfg, enc_cfg = TrainConfig.from_dict(spec["train_config"]), EncoderConfig(**spec["encoder_config"])
    newline_ids = CodeTokenizer.from_json(spec["tokenizer"]).newline_ids
    samplers = [BatchSampler(run.load_shard(s), cfg, enc_cfg.max_len, newline_ids) for s in (0, 1)]
    batch, cross = per_shard_batch(cfg.batch_size, 2), per_shard_batch(cfg.cross_view_batch, 2)
    mx.random.seed(cfg.seed)
    model, target = init_models(enc_cfg, None)
    optimizer = make_optimizer(cfg)
    optimizer.init(model.trainable_parameters())
    train(model, target, optimizer, lambda it: [
        sampler.draw(np.random.default_rng([cfg.seed, s, it]), batch, cross) for s, sampler in enumerate(samplers)],
        cfg, steps=4, shards=2)
    by_hand = {k: np.array(v) for k, v in pack_weights(model, target).items()}
    assert max_diff({k: np.array(v) for k, v in swarm.weights.items()}, by_hand) == 0.0


def reference_weights(run: RunFolder, tmp_path: Path) -> dict[str, np.ndarray]:
    """The run's spec trained start to end by one in-process worker, without interruption."""
    ref = RunFolder(tmp_path / "reference")
    ref.path.mkdir()
    shutil.copytree(run.shards_dir, ref.shards_dir)
    ref.write_spec({k: v for k, v in run.spec().items() if k not in ("format", "coordinator")})
    run_worker(ref)
    return weights(ref.checkpoint_dir)


PACED = ["--steps", "20", "--checkpoint-every", "4", "--max-steps-per-second", "10"]


def start_paced_run(workspace: tuple[Path, Path], tmp_path: Path, workers: int = 2,
                    extra: list[str] | None = None) -> tuple[subprocess.Popen[str], RunFolder, Path]:
    """`vjepa train --workers 2` in the background, paced so that a test can act mid-run."""
    index = fresh_index(workspace, tmp_path)
    out = tmp_path / "model"
    proc = subprocess.Popen([sys.executable, "-m", "vjepa_core.cli", "train", str(workspace[0]), "--index-dir",
                             str(index), "--workers", str(workers), *PACED, *(extra or []), "--out", str(out),
                             *TINY],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, run_folder(index), out


def test_killed_worker_run_completes(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    proc, run, out = start_paced_run(workspace, tmp_path)
    beat = wait_for(lambda: (b := run.heartbeats().get(1)) and b.get("step", 0) >= 6 and b, 90, "worker 2 at step 6")
    assert run.done_step() >= 4  # a checkpoint exists to resume from
    os.kill(int(beat["pid"]), signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    status = read_json(run.status_path)
    assert (status["state"], status["restarts"], status["workers"]) == ("done", 1, 1), status["events"]
    events = [e["message"] for e in status["events"]]
    assert any(e.startswith("Worker 2 stopped (killed by signal 9)") for e in events), events
    ckpt = ckpt_io.load(out)
    assert ckpt.metadata["step"] == 20 and ckpt.metadata["swarm"] == {"shards": 2, "world": 1, "sync_every": 0}
    # Resuming on one worker computed what the uninterrupted swarm would have.
    assert max_diff(weights(out), reference_weights(run, tmp_path)) < 1e-4


def test_hung_worker_is_replaced(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    proc, run, out = start_paced_run(workspace, tmp_path, extra=["--heartbeat-timeout", "3"])
    # Worker 1 hangs (SIGSTOP: it stops beating, and worker 2 waits for it in the all-reduce).
    hung = wait_for(lambda: (b := run.heartbeats().get(0)) and b.get("step", 0) >= 6 and b, 90, "worker 1 at step 6")
    os.kill(int(hung["pid"]), signal.SIGSTOP)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    status = read_json(run.status_path)
    assert (status["state"], status["restarts"], status["workers"]) == ("done", 1, 1), status["events"]
    events = [e["message"] for e in status["events"]]
    assert any(e.startswith("Worker 1 stopped (no heartbeat for") for e in events), events
    assert not _alive(int(hung["pid"]))  # the hung worker was cleaned up, not left behind
    assert ckpt_io.load(out).metadata["step"] == 20


def test_resume_after_coordinator_killed(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    proc, run, out = start_paced_run(workspace, tmp_path)
    wait_for(lambda: run.done_step() >= 8, 90, "a checkpoint at step 8")
    pids = [int(b["pid"]) for b in run.heartbeats().values()]
    proc.kill()
    proc.communicate()
    # The workers notice that their coordinator is gone and stop.
    wait_for(lambda: not any(_alive(p) for p in pids), 30, "the workers to stop")
    from vjepa_core.swarm.dashboard import run_status

    assert run_status(run)["state"] == "interrupted"
    stopped_at = run.done_step()
    assert 8 <= stopped_at < 20 and not out.exists()

    r = vjepa("train", workspace[0], "--index-dir", run.path.parent.parent, "--resume", timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"Picking up where we left off: step {stopped_at} of 20." in r.stderr
    ckpt = ckpt_io.load(out)
    assert ckpt.metadata["step"] == 20 and ckpt.metadata["swarm"]["world"] == 2
    assert max_diff(weights(out), reference_weights(run, tmp_path)) < 1e-4


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_promotion_refuses_a_worse_candidate(workspace: tuple[Path, Path]) -> None:
    import mlx.core as mx
    from mlx.utils import tree_flatten

    from vjepa_core.model.encoder.checkpoint import Checkpoint, modules_for
    from vjepa_core.model.encoder.encode import load_model
    from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR
    from vjepa_core.model.encoder.network import EncoderConfig
    from vjepa_core.model.encoder.tokenizer import CodeTokenizer
    from vjepa_core.swarm.coordinator import workspace_units
    from vjepa_core.swarm.promotion import decide
    from vjepa_core.workspace import Workspace

    root, index = workspace
    ws = Workspace(root, index)
    units = workspace_units(ws)
    current = load_model(DEFAULT_MODEL_DIR)  # the shipped static encoder
    tokenizer = CodeTokenizer.train([u.text for u in units], vocab_size=512)
    cfg = EncoderConfig(vocab_size=tokenizer.vocab_size, dim=32, depth=1, heads=2, predictor_dim=16,
                        predictor_depth=1, max_len=64)
    mx.random.seed(7)
    random_init = Checkpoint(cfg, tokenizer.to_json(), {
        f"{prefix}.{k}": v for prefix, m in modules_for(cfg).items() for k, v in tree_flatten(m.parameters())})
    refused = decide(random_init, current, root, units)
    assert not refused.promote
    assert refused.candidate < refused.current and "less well" in refused.why
    assert refused.queries >= 5 and refused.candidates == 48
    assert "files changed in the last" in refused.held_out  # the history tail, not every unit
    same = decide(current, current, root, units)
    assert same.promote and same.candidate == same.current
    assert decide(random_init, None, root, units).promote  # nothing in use yet: anything is better


def test_sync_every_averages_weights(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = workspace
    index = fresh_index(workspace, tmp_path)
    out = tmp_path / "model"
    r = vjepa("train", root, "--index-dir", index, "--workers", "2", "--steps", "5", "--sync-every", "2",
              "--out", out, *TINY)
    assert r.returncode == 0, r.stderr
    beats = run_folder(index).heartbeats()
    # The ranks stepped on their own shards and met at steps 2, 4 and the last: the same weights.
    assert beats[0]["fingerprint"] == pytest.approx(beats[1]["fingerprint"], rel=1e-6)
    assert ckpt_io.load(out).metadata["swarm"] == {"shards": 2, "world": 2, "sync_every": 2}


def test_clear_errors(workspace: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vjepa_core.cli import main

    root, _ = workspace
    index = fresh_index(workspace, tmp_path)
    assert main(["train", str(root), "--index-dir", str(index), "--workers", "9", "--steps", "2", *TINY]) == 2
    assert "8 file(s) cannot be shared among 9 workers" in capsys.readouterr().err
    bad = tmp_path / "hosts.json"
    bad.write_text("{}")
    assert main(["train", str(root), "--index-dir", str(index), "--hostfile", str(bad), *TINY]) == 2
    err = capsys.readouterr().err
    assert "hostfile" in err and "docs/swarm.md" in err
    assert main(["swarm", "status", str(root), "--index-dir", str(tmp_path / "none")]) == 2
    assert "no swarm run" in capsys.readouterr().err
    assert main(["train", str(root), "--index-dir", str(index), "--workers", "2", "--sync-every", "-1"]) == 2
    assert "--sync-every must be a positive number (got -1)" in capsys.readouterr().err
    # One worker is the plain trainer: no launcher, no run folder.
    assert main(["train", str(root), "--index-dir", str(index), "--steps", "2", "--out", str(tmp_path / "m"),
                 *TINY]) == 0
    assert ckpt_io.load(tmp_path / "m").metadata["steps"] == 2 and not run_folder(index).exists()


def test_idle_training_starts_stops_and_resumes(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = workspace
    index = fresh_index(workspace, tmp_path)
    promoted: list[Path] = []
    states: list[str] = []
    sched = IdleScheduler(root, index, idle_seconds=0.5, max_load=None, on_promoted=promoted.append,
                          on_state=states.append,
                          train_args=[*TINY, "--steps", "30", "--checkpoint-every", "2",
                                      "--max-steps-per-second", "8"])
    run = run_folder(index)
    try:
        assert sched.state == "waiting"
        time.sleep(1.0)
        assert sched.state == "waiting" and sched.runs == 0  # nothing edited yet: nothing to learn
        sched.touch()  # an edit
        assert sched.state == "waiting"
        wait_for(lambda: sched.state == "training", 10, "training to start")
        wait_for(lambda: run.done_step() >= 4, 60, "a checkpoint")
        group = [sched._proc.pid, *(int(b["pid"]) for b in run.heartbeats().values())]  # type: ignore[union-attr]
        sched.touch()  # the user types again
        t0 = time.monotonic()
        wait_for(lambda: not any(_alive(p) for p in group), 2.0, "training to stop within 2 s")
        assert time.monotonic() - t0 < 2.0
        wait_for(lambda: sched.state == "waiting", 2.0, "the scheduler to notice")
        stopped_at = run.done_step()
        assert 4 <= stopped_at < 30 and sched.last_reason.startswith("stopped")
        # Idle again: the run resumes from its checkpoint and finishes.
        wait_for(lambda: sched.runs == 2 and sched.state == "waiting", 90, "the resumed run to finish")
        assert sched.last_exit == 0, (index / "swarm" / "idle.log").read_text()
        status = sched.status()
        events = [e["message"] for e in status["swarm"]["events"]]
        assert f"Picking up where we left off: step {stopped_at} of 30." in events
        assert status["swarm"]["state"] == "done" and status["swarm"]["step"] == 30
        decision = status["swarm"]["promotion"]
        assert promoted == ([index / "model"] if decision["promote"] else [])
        assert states[:3] == ["training", "stopping", "waiting"]
        time.sleep(1.0)
        assert sched.runs == 2  # finished, and no edit since: no new run
    finally:
        sched.close()
    assert sched.state == "closed"


def test_a_run_started_by_the_scheduler_stops_when_the_server_is_killed() -> None:
    # The server (here: a stand-in process) dies with SIGKILL; its training, in its own session,
    # must not live on.
    from vjepa_core.swarm.scheduler import PARENT_ENV

    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child = subprocess.Popen(
        [sys.executable, "-c", ("from vjepa_core.swarm.scheduler import stop_when_parent_dies\n"
         "import time\nstop_when_parent_dies(0.1)\ntime.sleep(60)")],
        env={**os.environ, PARENT_ENV: str(server.pid)}, start_new_session=True)
    try:
        time.sleep(1.0)
        assert child.poll() is None  # the server lives: the run goes on
        server.kill()
        server.wait()
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        for p in (server, child):
            if p.poll() is None:
                p.kill()
