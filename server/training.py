"""`vjepa.trainNow()`: fine-tune the model on the workspace now, off the event loop, with
work-done progress and kind messages; then re-embed, refresh the caches and the lenses."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pygls.exceptions import JsonRpcInternalError

from vjepa_core.messages import text

from .folders import Folder
from .indexing import refresh_caches
from .server import VjepaServer  # at run time: pygls reads the command handlers' type hints

STOP_SLACK_SECONDS = 1.0  # beyond the scheduler's grace time, for it to notice the process is gone


def _train(folder: Folder, steps: int, log: Any) -> dict[str, Any]:
    """Runs in the engine thread: train, embed with the new model, recompute every cache."""
    started = time.perf_counter()
    saved = folder.workspace.train(steps=steps, log=log)
    folder.workspace.reload_model()
    folder.workspace.embed()
    refresh_caches(folder)
    return {"root": str(folder.root), "model": dict(folder.model), "path": str(saved), "steps": steps,
            "seconds": round(time.perf_counter() - started, 3)}


async def train_now(ls: VjepaServer) -> list[dict[str, Any]]:
    """vjepa.trainNow(): one result per indexed folder ({root, model, path, steps, seconds})."""
    from .lifecycle import refresh_lenses

    folders = [f for f in ls.folders if f.indexed]
    if not folders:
        raise JsonRpcInternalError(text("server.no_folder"))
    if ls.training:
        raise JsonRpcInternalError(text("server.training_busy"))
    results = []
    ls.training = True
    try:
        ls.on_user_activity()  # asking to train is activity: idle-time training stops and stays off
        await idle_training_stopped(ls, folders)
        async with ls.index_lock:
            ls.publish_status()
            for folder in folders:
                results.append(await _train_folder(ls, folder))
    finally:
        ls.training, ls.progress = False, None
        ls.publish_status()
    await refresh_lenses(ls)
    return results


async def idle_training_stopped(ls: VjepaServer, folders: list[Folder]) -> None:
    """Wait (on the loop, briefly) until no idle-time training process runs beside this one: the
    scheduler kills a stopping one after its grace time."""
    for folder in [f for f in folders if f.scheduler is not None]:
        deadline = time.monotonic() + folder.scheduler.stop_grace + STOP_SLACK_SECONDS
        while folder.scheduler.state in ("training", "stopping") and time.monotonic() < deadline:
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


def register(server: VjepaServer) -> None:
    server.command("vjepa.trainNow")(train_now)
