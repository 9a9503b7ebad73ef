"""Training: `vjepa.trainNow()` (workspace/executeCommand) fine-tunes the model on the workspace
now, and an idle-time scheduler per approved folder retrains in the background. Either way the new
model is then loaded, vectors refreshed in the engine thread, the caches swapped and the client
asked to refresh its lenses.

trainNow runs off the event loop, with work-done progress and kind messages. The idle scheduler
(`Workspace.idle_scheduler`) runs `vjepa train --resume` in a low-priority process when the user has
been idle for `idleMinutes`; every didOpen/didChange/didSave (the core's `edited` hook) touches it,
which stops a running training within 2 s, since training and typing share the same CPU. Its
callbacks come from its own thread and hop back to the loop with `call_soon_threadsafe`. Its state
and the swarm's status JSON travel in `vjepa/status` (per folder, "idle_training").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcInternalError

from vjepa_core.messages import text

from ..folders import Folder
from ..server import VjepaServer  # at run time: pygls reads the command handlers' type hints

STOP_SLACK_SECONDS = 1.0  # beyond the scheduler's grace time, for it to notice the process is gone


def _train(folder: Folder, steps: int, log: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Runs in the engine thread: train, embed with the new model, recompute every cache."""
    started = time.perf_counter()
    saved = folder.workspace.train(steps=steps, log=log)
    folder.workspace.reload_model()
    folder.workspace.embed()
    folder.refresh_caches()
    return {"root": str(folder.root), "model": dict(folder.model), "path": str(saved), "steps": steps,
            "seconds": round(time.perf_counter() - started, 3)}


async def train_now(ls: VjepaServer) -> list[dict[str, Any]]:
    """vjepa.trainNow(): one result per indexed folder ({root, model, path, steps, seconds})."""
    folders = [f for f in ls.folders if f.indexed]
    if not folders:
        raise JsonRpcInternalError(text("server.no_folder"))
    if ls.training:
        raise JsonRpcInternalError(text("server.training_busy"))
    results = []
    ls.training = True
    try:
        touch_schedulers(ls)  # asking to train is activity: idle-time training stops and stays off
        await idle_training_stopped(ls, folders)
        async with ls.index_lock:
            ls.publish_status()
            for folder in folders:
                results.append(await _train_folder(ls, folder))
    finally:
        ls.training, ls.job_progress = False, None
        ls.publish_status()
    await ls.refresh_lenses()
    return results


async def idle_training_stopped(ls: VjepaServer, folders: list[Folder]) -> None:
    """Wait (on the loop, briefly) until no idle-time training process runs beside this one: the
    scheduler kills a stopping one after its grace time."""
    for folder in folders:
        scheduler = folder.scheduler
        if scheduler is None:
            continue
        deadline = time.monotonic() + scheduler.stop_grace + STOP_SLACK_SECONDS
        while scheduler.state in ("training", "stopping") and time.monotonic() < deadline:
            await asyncio.sleep(0.1)


async def _train_folder(ls: VjepaServer, folder: Folder) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    steps = ls.options.train_steps
    bar = await ls.begin_progress(f"Training on {folder.root.name}")
    ls.say(text("server.train_start" if steps != 1 else "server.train_start_one", name=folder.root.name,
                steps=steps))

    def log(entry: dict[str, Any]) -> None:  # engine thread
        if folder.scheduler is not None:
            folder.scheduler.touch()  # keeps idle-time training from starting beside this run
        if "loss" not in entry:
            return
        pct = min(99, int(100 * entry["step"] / steps))
        loop.call_soon_threadsafe(ls.set_progress, {"percentage": pct})
        bar.report(loop, text("server.train_step", step=entry["step"], steps=steps, loss=entry["loss"]), pct)

    try:
        result = await loop.run_in_executor(ls.engine, _train, folder, steps, log)
    except Exception as exc:
        message = text("server.train_failed", root=folder.root, reason=exc)
        bar.end(message)
        raise JsonRpcInternalError(message) from exc
    done = text("server.train_done", version=folder.model["version"], name=folder.root.name)
    bar.end(done)
    ls.say(done)
    return result


def touch_schedulers(ls: VjepaServer) -> None:
    """The user is working now: every folder's idle-time scheduler restarts its idle clock and
    stops a running training, wherever the edit is (training and typing share the same CPU)."""
    for folder in ls.folders:
        if folder.scheduler is not None:
            folder.scheduler.touch()


def user_active(ls: VjepaServer, folder: Folder, rel: str, kind: str) -> None:
    """didOpen/didChange/didSave (the core's `edited` hook)."""
    touch_schedulers(ls)


async def start_scheduler(ls: VjepaServer, folder: Folder) -> None:
    """Give a folder its idle-time scheduler once its first index is done (unless `idleTraining`
    is false, the index failed or the server is stopping)."""
    if not folder.indexed or ls.stopping.is_set():
        return
    if not ls.options.idle_training or folder.scheduler is not None:
        return
    loop = asyncio.get_running_loop()

    def hop(fn: Callable[..., None], *args: object) -> None:  # scheduler thread (or the loop) -> the loop
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is gone: the server is exiting
            pass

    def promoted(_model_dir: Path) -> None:
        hop(lambda: ls.background(adopt_model(ls, folder)))

    options = ls.options
    train_args = ["--steps", str(options.train_steps), "--workers", str(options.workers)]
    # The constructor reads the run folder and starts a thread: not on the loop.
    folder.scheduler = await asyncio.to_thread(
        folder.workspace.idle_scheduler, idle_seconds=options.idle_seconds, max_load=options.max_load,
        train_args=train_args, on_promoted=promoted, on_state=lambda state: hop(state_changed, ls, folder, state))
    await read_details(ls, folder)


def state_changed(ls: VjepaServer, folder: Folder, state: str) -> None:
    """On the loop: publish the new state now, the swarm's details once read (off the loop)."""
    folder.idle_training = {**folder.idle_training, "state": state}
    if state == "training":
        ls.log(text("swarm.idle_start"))
    elif state == "stopping":
        ls.log(text("swarm.idle_stop"))
    ls.publish_status()
    ls.background(read_details(ls, folder))


async def read_details(ls: VjepaServer, folder: Folder) -> None:
    """The scheduler's status (runs, last exit, the swarm's status JSON) into the status cache."""
    scheduler = folder.scheduler
    if scheduler is None:
        return
    details = await asyncio.to_thread(scheduler.status)
    details.pop("idle_for_s", None)  # stale as soon as sent: status bars count on their own
    details["state"] = scheduler.state  # the newest word on the state wins
    folder.idle_training = details
    ls.publish_status()


def _adopt(folder: Folder) -> None:
    """Runs in the engine thread: load the promoted model, bring vectors up to date, swap caches."""
    folder.workspace.reload_model()
    folder.workspace.embed()
    folder.refresh_caches()


async def adopt_model(ls: VjepaServer, folder: Folder) -> None:
    """After a promotion: hot-swap the model without blocking lenses (they answer from the old
    caches until the new ones are swapped in), then ask the client to refresh them."""
    await asyncio.get_running_loop().run_in_executor(ls.engine, _adopt, folder)
    ls.publish_status()
    ls.say(text("server.train_done", version=folder.model["version"], name=folder.root.name))
    await ls.refresh_lenses()


async def close_schedulers(ls: VjepaServer) -> None:
    """At shutdown: each scheduler stops its training process, if any."""
    for folder in ls.folders:
        if folder.scheduler is not None:
            await asyncio.to_thread(folder.scheduler.close)


def register(server: VjepaServer) -> None:
    server.command("vjepa.trainNow")(train_now)
    server.hooks.folder_approved.append(start_scheduler)  # after indexing's: it needs the first index
    server.hooks.edited.append(user_active)
    server.hooks.shutdown.append(close_schedulers)
