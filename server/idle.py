"""Idle-time retraining: one `vjepa_core.swarm.scheduler.IdleScheduler` per approved folder.

The scheduler runs `vjepa train --resume` in a low-priority process when the user has been idle for
`idleMinutes` (every didOpen/didChange/didSave calls `touch()` through `VjepaServer.on_user_activity`,
which stops a running training within 2 s). Its callbacks come from its own thread and hop back to
the loop with `call_soon_threadsafe`; a promoted model is then loaded, vectors refreshed in the
engine thread, the caches swapped and the client asked to refresh its lenses. The scheduler's state
and the swarm's status JSON travel in `vjepa/status` (per folder, "idle_training").
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from vjepa_core.messages import text
from vjepa_core.swarm.scheduler import IdleScheduler

from .folders import Folder

if TYPE_CHECKING:
    from .server import VjepaServer

ACTIVITY = ("training", "stopping", "waiting", "closed", "off")  # most active first


async def start_scheduler(ls: VjepaServer, folder: Folder) -> None:
    """Give an indexed folder its idle-time scheduler (unless `idleTraining` is false)."""
    if not ls.options.idle_training or folder.scheduler is not None:
        return
    loop = asyncio.get_running_loop()

    def hop(fn: Any, *args: Any) -> None:  # scheduler thread (or the loop) -> the loop
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is gone: the server is exiting
            pass

    options = ls.options
    train_args = ["--steps", str(options.train_steps), "--workers", str(options.workers)]
    # The constructor reads the run folder and starts a thread: not on the loop.
    folder.scheduler = await asyncio.to_thread(
        IdleScheduler, folder.root, folder.workspace.index_dir, idle_seconds=options.idle_seconds,
        max_load=options.max_load, train_args=train_args,
        on_promoted=lambda _model_dir: hop(lambda: ls.background(adopt_model(ls, folder))),
        on_state=lambda state: hop(state_changed, ls, folder, state))
    await read_details(ls, folder)


def state_changed(ls: VjepaServer, folder: Folder, state: str) -> None:
    """On the loop: publish the new state now, the swarm's details once read (off the loop)."""
    folder.idle_training = {**folder.idle_training, "state": state}
    if state == "training":
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=text("swarm.idle_start")))
    elif state == "stopping":
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=text("swarm.idle_stop")))
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
    from .indexing import refresh_caches  # indexing -> status -> idle: imported late

    folder.workspace.reload_model()
    folder.workspace.embed()
    refresh_caches(folder)


async def adopt_model(ls: VjepaServer, folder: Folder) -> None:
    """After a promotion: hot-swap the model without blocking lenses (they answer from the old
    caches until the new ones are swapped in), then ask the client to refresh them."""
    from .lifecycle import refresh_lenses

    await asyncio.get_running_loop().run_in_executor(ls.engine, _adopt, folder)
    ls.publish_status()
    ls.say(text("server.train_done", version=folder.model["version"], name=folder.root.name))
    await refresh_lenses(ls)


def overall(folders: list[Folder]) -> str:
    """The most active idle-training state over the folders, for status bars."""
    states = [f.idle_training.get("state", "off") for f in folders] or ["off"]
    return min(states, key=lambda s: ACTIVITY.index(s) if s in ACTIVITY else len(ACTIVITY))


async def close_schedulers(ls: VjepaServer) -> None:
    for folder in [f for f in ls.folders if f.scheduler is not None]:
        await asyncio.to_thread(folder.scheduler.close)  # stops its training process, if any
