"""Next-file predictions: the cache behind the "Next: ..." lens, and `vjepa.predictNext(uri?)`
(workspace/executeCommand).

The cache is filled after each full (re-)indexing (the core's `indexed` hook), in the engine
thread, before lenses are refreshed; the lens only reads it. Before the workspace's first fit the
lenses answer from the statistics at once while the fit runs in a background process; when it
lands, both lens caches (Related and Next) are filled again and the client is asked to refresh.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError

from vjepa_core.messages import VjepaError, text
from vjepa_core.workspace import Workspace

from .. import picking
from ..arguments import file_and_flags
from ..folders import LENS_FILES, Folder, locate
from ..server import VjepaServer, as_result

if TYPE_CHECKING:
    from vjepa_core.workspace import Hit, NextFilePredictor

LIMIT = 10
CHUNK = 25  # files per engine job when filling the caches (about a quarter of a second of work)


def _rank_each(workspace: Workspace, predictor: NextFilePredictor | None, alive: set[str], paths: list[str],
               k: int) -> tuple[dict[str, list[Hit]], dict[str, list[Hit]]]:
    """`Workspace.predict_next(after=[p], k)` for every p in `paths`, from one fitted predictor and
    one file list instead of one history read per file; and, once the ranker is fit, their Related
    lenses from it (LENS_FILES files each)."""
    if predictor is None:
        return {}, {}
    nxt = workspace.predict_next_many(paths, k, predictor=predictor, alive=alive)
    related = workspace.related_many(paths, LENS_FILES) if predictor.fitted is not None else {}
    return nxt, related


def _plan(folder: Folder) -> tuple[NextFilePredictor | None, set[str], tuple[object, ...]] | None:
    """Runs in the engine thread: (predictor, indexed files, cache key), or None when the cache is
    still right. Predictions depend on the history and on which files exist, not on their content:
    a save that adds no file and no commit keeps the cache as it is."""
    predictor, commits = folder.workspace.next_predictor()
    indexed = folder.workspace.indexed_files().paths
    fitted = predictor is not None and predictor.fitted is not None
    key = (commits[-1].sha if commits else "", len(commits), frozenset(indexed), fitted)
    return None if key == folder.next_key else (predictor, set(indexed), key)


async def fill_next(ls: VjepaServer, folder: Folder) -> None:
    """The top next file after each indexed file, for the lenses: computed in the engine thread in
    chunks, so commands asked meanwhile are answered between them; then swapped in whole."""
    loop = asyncio.get_running_loop()
    plan = await loop.run_in_executor(ls.engine, _plan, folder)
    if plan is None:
        await _prepare_search(ls, folder)
        return
    predictor, alive, key = plan
    paths, ranked, related = sorted(alive), {}, {}
    for i in range(0, len(paths), CHUNK):
        nxt, rel = await loop.run_in_executor(ls.engine, _rank_each, folder.workspace, predictor, alive,
                                              paths[i:i + CHUNK], 1)
        ranked.update(nxt)
        related.update(rel)
    folder.next = {p: hits[0] for p, hits in ranked.items() if hits}
    folder.related.update(related)
    folder.next_key = key
    await loop.run_in_executor(ls.engine, folder.workspace.release_memory)
    # With a fitted ranker, what a save's answer from memory needs is loaded now (every file's
    # frame and neighbour row), not by the first save.
    await loop.run_in_executor(ls.engine, folder.workspace.preview_save, [])
    if folder.workspace.lens.pending and id(folder) not in _WAITING:
        _WAITING.add(id(folder))
        asyncio.get_running_loop().create_task(_when_fit_lands(ls, folder))
    await _prepare_search(ls, folder)


async def _prepare_search(ls: VjepaServer, folder: Folder) -> None:
    """Search's snapshot and encoder loaded and warmed (Workspace.prepare_search), so the first
    workspace/symbol is as fast as the next ones: once no lens fit is running. The fit's process
    and these (~50 MB on 5,000 files) are not held at once: a query meanwhile loads them itself."""
    if folder.workspace.lens.pending:
        return
    try:
        await asyncio.get_running_loop().run_in_executor(ls.engine, folder.workspace.prepare_search)
    except Exception as exc:  # noqa: BLE001 -- said in the log; the first query loads search itself
        ls.log(f"loading search for {folder.root} failed: {exc}", types.MessageType.Warning)


_WAITING: set[int] = set()  # the folders (ids) whose background fit is awaited
FIT_POLL_S = 1.0


async def _when_fit_lands(ls: VjepaServer, folder: Folder) -> None:
    """Wait for the background fit (work-done progress meanwhile: time so far, and time left when an
    earlier fit of this index says how long one takes), then fill both lens caches from it and
    refresh the lenses."""
    loop = asyncio.get_running_loop()
    bar = await ls.begin_progress(text("server.fit_title", name=folder.root.name))
    expected = folder.workspace.lens.last_fit_seconds()
    t0 = loop.time()
    try:
        while folder.workspace.lens.fitting():
            await asyncio.sleep(FIT_POLL_S)
            elapsed = int(loop.time() - t0)
            if expected:
                bar.report(loop, text("server.fit_progress_eta", elapsed=elapsed, left=max(1, int(expected - elapsed))),
                           min(99, int(100 * elapsed / expected)))
            else:
                bar.report(loop, text("server.fit_progress", elapsed=elapsed), 0)
        await asyncio.sleep(0)  # the last report (scheduled through the loop) goes out before the end
        bar.end(text("server.fit_done", elapsed=int(loop.time() - t0)))
        await loop.run_in_executor(ls.engine, folder.workspace.lens.forget)
        await loop.run_in_executor(ls.engine, folder.refresh_caches)
        await fill_next(ls, folder)  # search is loaded there too (~0.4 s on 5,000 files), before the refresh
        await ls.refresh_lenses()
    finally:
        _WAITING.discard(id(folder))


def _after(ls: VjepaServer, uri: str | None) -> tuple[Folder, list[str] | None]:
    """The folder to ask and the files to predict after: the given one, else the files last edited
    in the editor (the event log), else None (the workspace's latest commit)."""
    if uri is not None:
        folder, rel = locate(ls.folders, uri)
        if not folder.indexed:
            raise VjepaError("server.not_indexed", root=folder.root)
        return folder, [rel]
    indexed = [f for f in ls.folders if f.indexed]
    if not indexed:
        raise VjepaError("server.no_folder")
    folder = max(indexed, key=lambda f: len(f.recent) > 0)  # the first with edits, else the first
    return folder, list(folder.recent) or None


async def predict_next(ls: VjepaServer, *args: Any) -> list[dict[str, Any]]:
    """vjepa.predictNext(uri?, {"pick": bool}?): the files most likely to be worked on next, with
    scores and reasons; with picking, also offered as a pick list. (pygls has no optional command
    arguments: hence *args.)"""
    uri, flags = file_and_flags("vjepa.predictNext", args, ("pick",))
    try:
        folder, after = _after(ls, uri)
    except VjepaError as exc:
        raise JsonRpcInternalError(str(exc)) from exc
    results = [as_result(h) for h in await ls.engine_call(folder.workspace.predict_next, after, LIMIT)]
    if picking.wanted(ls, flags):
        picking.offer(ls, folder.root, results, text("server.pick_next"),
                      text("server.pick_nothing", path=after[-1] if after else folder.root.name))
    return results


async def stop_fits(ls: VjepaServer) -> None:
    """At shutdown: a background fit this server started ends with it."""
    for folder in ls.folders:
        await asyncio.to_thread(folder.workspace.lens.stop)


def register(server: VjepaServer) -> None:
    server.hooks.indexed.append(fill_next)
    server.hooks.shutdown.append(stop_fits)
    server.command("vjepa.predictNext")(predict_next)
