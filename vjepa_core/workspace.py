"""One workspace: its index, its model, and the questions it answers: the engine's public face,
for the Python API, the CLI and the language server (which imports nothing else of vjepa_core but
messages and paths). Result types come with it (`Hit`, `IndexReport`, `EditorEvent`, ...); the
heavy ones are imported for type checking only, so importing this module stays light."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vjepa_core.harvest.safety import IgnoreRules, check_root, denied_location, denied_name
from vjepa_core.index.locations import default_index_dir
from vjepa_core.index.lock import holds_writer_lock, writer_lock
from vjepa_core.index.memory import release_memory
from vjepa_core.index.reports import EditorEvent, IndexedFiles, IndexReport, ModelStatus, SecretSkip
from vjepa_core.messages import VjepaError
from vjepa_core.model.encoder.locations import DEFAULT_MODEL_DIR, FINE_TUNE_RECORD, LOCAL_MODEL

if TYPE_CHECKING:
    from vjepa_core.harvest.history import Commit
    from vjepa_core.harvest.units import CodeUnit
    from vjepa_core.index.crawl import ProgressFn
    from vjepa_core.index.store import Store
    from vjepa_core.index.vectors import EmbedReport
    from vjepa_core.messages import Voice
    from vjepa_core.model.encoder.checkpoint import Checkpoint
    from vjepa_core.model.encoder.encode import UnitModel
    from vjepa_core.model.encoder.network import EncoderConfig
    from vjepa_core.model.encoder.static import StaticEncoder
    from vjepa_core.model.encoder.tokenizer import CodeTokenizer
    from vjepa_core.model.nextfile.runtime import NextFilePredictor
    from vjepa_core.queries.hits import Hit
    from vjepa_core.queries.lens import Fit, LensRanker
    from vjepa_core.swarm.scheduler import IdleScheduler


COMPACT_EVERY = 20  # update_files calls between compactions


class Workspace:
    def __init__(self, root: str | os.PathLike[str] = ".", index_dir: str | os.PathLike[str] | None = None, *,
                 allow_home: bool = True) -> None:
        self.root = check_root(root, allow_home=allow_home)
        self._allow_home = allow_home
        self.index_dir = Path(index_dir) if index_dir else default_index_dir(self.root)
        self._store: Store | None = None
        self._ckpt: UnitModel | None = None
        self._lens: LensRanker | None = None  # the lenses' ranker, kept across calls (`lens`)
        self._rules: IgnoreRules | None = None  # .gitignore/.vjepaignore, read on first use (`excludes`)
        self._updates = 0  # update_files calls, for compaction
        self.last_training: dict[str, Any] = {}  # the last `train`'s promotion decision (static encoder)
        # `index` without a voice runs in a child process (index_job.py) for more files than child_min_files
        self.index_in_child, self.child_min_files = False, 0

    @classmethod
    def under(cls, root: str | os.PathLike[str], base: str | os.PathLike[str] | None, *,
              allow_home: bool = True) -> Workspace:
        """The workspace at `root` with its index in `base`, in a sub-folder named as the default
        index folder is (one base for many workspaces: the server's `indexDir`); without `base`,
        in the default place."""
        workspace = cls(root, allow_home=allow_home)
        if base is not None:
            workspace.index_dir = Path(base) / workspace.index_dir.name
        return workspace

    @property
    def store(self) -> Store:
        if self._store is None:
            if not (self.index_dir / "meta.lance").exists():
                raise VjepaError("index.missing", root=self.root)
            from vjepa_core.index.store import Store

            self._store = Store.open(self.index_dir, self.root, create=False)
        return self._store

    @property
    def model_dir(self) -> Path | None:
        """The model in use: this workspace's own, else the shipped default, else none."""
        local = self.index_dir / LOCAL_MODEL
        if (local / "config.json").exists():
            return local
        if (DEFAULT_MODEL_DIR / "config.json").exists():
            return DEFAULT_MODEL_DIR
        return None

    def checkpoint(self) -> UnitModel | None:
        """The unit encoder in use (the static encoder, or a transformer the swarm trained), loaded once."""
        if self._ckpt is None and self.model_dir is not None:
            from vjepa_core.model.encoder.encode import load_model

            self._ckpt = load_model(self.model_dir)
        return self._ckpt

    @holds_writer_lock("embedding")
    def embed(self) -> EmbedReport | None:
        """Bring vectors up to date with the current model (incremental). None without a model."""
        from vjepa_core.index.vectors import embed_index, model_key

        ckpt = self.checkpoint()
        if ckpt is None:
            return None
        assert self.model_dir is not None
        try:
            report = embed_index(self.store, ckpt, model_key(self.model_dir))
            self.refresh_search()
            return report
        finally:
            release_memory()

    def prepare_search(self) -> None:
        """Load what search needs (the snapshot, the model, their libraries) ahead of the first query,
        and run one (each scorer's first call pays for its warm-up)."""
        from vjepa_core.queries import snapshot
        from vjepa_core.queries.search import search_in

        search_in(snapshot.get(self.store), self.checkpoint(), "warm up", 1)

    def refresh_search(self) -> None:
        """Rebuild the search snapshot (BM25, rows, vectors) on disk now, so the next query, in this
        process or another, starts at once. A save leaves it to the next query (saves stay fast)."""
        from vjepa_core.queries import snapshot
        snapshot.refresh(self.store)

    def index(self, *, embed: bool = True, voice: Voice | None = None, progress: ProgressFn | None = None,
              max_bytes: int | None = None, rebuild: bool = False, history: bool = True,
              exclude: tuple[str, ...] | list[str] = ()) -> IndexReport:
        """Crawl the folder (incremental), then, when `embed` and a model exists, bring the vectors
        up to date: the one way to (re)build an index. One writer per index: a second one waits."""
        from vjepa_core.index.child import run_in_child, worth_a_child

        if self.index_in_child and voice is None and worth_a_child(self.root, self._allow_home, self.child_min_files):
            options = {"embed": embed, "max_bytes": max_bytes, "rebuild": rebuild, "history": history, "exclude": tuple(exclude)}
            return run_in_child("vjepa_core.index_job", {"root": self.root, "index_dir": self.index_dir,
                                                         "allow_home": self._allow_home, "options": options}, progress)
        from vjepa_core.harvest.walk import DEFAULT_MAX_BYTES
        from vjepa_core.index.crawl import crawl, waiting_voice

        with writer_lock(self.index_dir, "crawl", waiting_voice(voice)):
            report = crawl(self.root, self.index_dir, voice=voice, progress=progress, allow_home=self._allow_home,
                           max_bytes=DEFAULT_MAX_BYTES if max_bytes is None else max_bytes, rebuild=rebuild,
                           history=history, exclude=exclude)
            embedded = self.embed() if embed and self.model_dir is not None else None
            if embedded is None:
                self.refresh_search()  # embed() refreshed it otherwise
            else:  # the semantic relations replaced at embedding time: the summary counts what status counts
                report.relations["semantic/similar"] = embedded.semantic_relations
            from vjepa_core.index.links import save_links

            save_links(self.store)  # the lenses' fit reads them from there, without LanceDB (index/links.py)
        return IndexReport(report, embedded)

    @holds_writer_lock("save")
    def update_files(self, paths: list[str], *, purge: bool = True) -> set[str] | None:
        """An editor's save, fast: re-read `paths` (already indexed files), re-embed what changed,
        and return every file whose relations changed. None when the change needs the full
        incremental crawl (a file added, deleted or now skipped, a new commit): nothing was
        written then, and the caller runs `crawl` and `embed`. The saved files' old text leaves the
        disk before it returns, unless `purge` is False: the caller runs `purge()` next (the server,
        once the lenses are refreshed: the purge rewrites tables, 0.2 s on 5,000 files)."""
        from vjepa_core.index.crawl import update_files
        from vjepa_core.index.vectors import embed_files, model_key

        report = update_files(self.root, self.index_dir, paths, store=self.store, purge=False)
        if report is None:
            return None
        touched = set(report.touched)
        ckpt = self.checkpoint()
        if ckpt is not None and report.changed:
            assert self.model_dir is not None
            more = embed_files(self.store, ckpt, model_key(self.model_dir), report.changed, purge=False)
            if more is None:
                self.embed()
                return None  # every vector was rewritten: every file's relations may have moved
            touched |= more
        if purge:
            self.purge()
        self._updates += 1
        if self._updates % COMPACT_EVERY == 0:
            self.store.compact()  # a version per write: tidy up now and then, as a crawl does
        if (search := sys.modules.get("vjepa_core.queries.snapshot")) is not None:  # not imported for this
            search.forget(self.index_dir)  # stale now (~16 MB): the next query builds on the copy on disk
        release_memory()
        return touched

    @holds_writer_lock("purge")
    def purge(self) -> bool:
        """Rewrite what removed rows left in the index files on disk (once, however many writes
        removed them); a no-op when nothing was removed. Returns whether it ran. The lens fit's
        copy of the links (index/links.py) is brought up to date with the saves it ends."""
        from vjepa_core.index.links import LINKS_FILE, save_links

        ran = self.store.purge()
        if ran and (self.index_dir / LINKS_FILE).exists():
            save_links(self.store)
        return ran

    def train(self, *, steps: int = 240, seed: int = 0, from_scratch: bool = False, out: Path | None = None,
              enc_overrides: dict[str, int] | None = None, log: Callable[[dict[str, Any]], None] | None = None) -> Path:
        """Train the unit encoder on this workspace's units (fine-tuning the current model unless
        `from_scratch`) and save it atomically; returns the checkpoint folder."""
        from vjepa_core.harvest.units import CodeUnit
        from vjepa_core.model.encoder import checkpoint as ckpt_io
        from vjepa_core.model.encoder.static import StaticEncoder
        from vjepa_core.model.train import TrainConfig, train_encoder

        t = self.store.visible_units(["path", "kind", "name", "text", "start_line", "end_line", "hash"])
        units = [CodeUnit(p, k, n, s, e, x, h) for p, k, n, x, s, e, h in zip(
            *(t[c].to_pylist() for c in ("path", "kind", "name", "text", "start_line", "end_line", "hash")))]
        if not units:
            raise VjepaError("train.no_units", root=self.root)
        target = Path(out) if out else self.index_dir / LOCAL_MODEL
        current = None if from_scratch else self.checkpoint()
        if isinstance(current, StaticEncoder):
            return self._train_static(current, units, steps, seed, target, log)
        init, tokenizer, enc_cfg = self.training_setup(units, from_scratch, enc_overrides)
        result = train_encoder(units, tokenizer, enc_cfg, TrainConfig(steps=steps, seed=seed), init=init, log=log)
        ckpt_io.save(result, target)
        self._ckpt = None
        return target

    def _train_static(self, init: StaticEncoder, units: list[CodeUnit], steps: int, seed: int, target: Path,
                      log: Callable[[dict[str, Any]], None] | None) -> Path:
        """Fine-tune the static encoder, kept only if promoted (swarm/finetune.py); `last_training`
        says what was decided, and the idle scheduler reads it from FINE_TUNE_RECORD."""
        from vjepa_core.model.encoder.atomic import write_json
        from vjepa_core.swarm.finetune import fine_tune_static

        own_slot = target == self.index_dir / LOCAL_MODEL
        done = fine_tune_static(self.root, init, units, steps, seed, target, own_slot, log)
        self.last_training = done.decision
        if done.saved:
            self._ckpt = None
        if own_slot:  # the idle scheduler reads it to hot-swap a promoted model
            write_json(self.index_dir / FINE_TUNE_RECORD, {"kind": "static", **self.last_training})
        return target if done.saved else (self.model_dir or target)

    def training_setup(self, units: list[CodeUnit], from_scratch: bool = False, enc_overrides: dict[str, int] | None = None
                       ) -> tuple[Checkpoint | None, CodeTokenizer, EncoderConfig]:
        """(init checkpoint or None, tokenizer, encoder config) for training on `units`: the current
        model's when fine-tuning, else a new tokenizer trained on the units and a new config."""
        from vjepa_core.model.encoder.encode import is_static
        from vjepa_core.model.encoder.network import EncoderConfig
        from vjepa_core.model.encoder.tokenizer import CodeTokenizer

        init = None if from_scratch else self.checkpoint()
        if init is not None and is_static(init):  # the swarm trains the transformer, from scratch
            init = None
        if init is not None:
            return init, init.tokenizer, init.encoder_config
        tokenizer = CodeTokenizer.train((u.text for u in units), vocab_size=8192)
        enc_cfg = EncoderConfig(vocab_size=tokenizer.vocab_size)
        if enc_overrides:
            overrides = dict(enc_overrides)
            if "dim" in overrides:  # the predictor stays narrow: half the encoder's width
                overrides.setdefault("predictor_dim", max(16, overrides["dim"] // 2))
            enc_cfg = replace(enc_cfg, **overrides)
        return None, tokenizer, enc_cfg

    def related(self, path: str, k: int = 10) -> list[Hit]:
        """Files related to `path`; a VjepaError says why when the index does not hold that file."""
        from vjepa_core.index.known import require_indexed_file
        from vjepa_core.queries.related import related

        rel = require_indexed_file(self.store, self.root, self.relative(path), self.excludes)
        return related(self.store, rel, k, *self._lens_ranker())

    def related_many(self, paths: list[str] | None = None, k: int = 10, *, learned: bool = True
                     ) -> dict[str, list[Hit]]:
        """`related` for many files at once (default: every file with relations); `learned` False:
        from the relations alone (one read, for every file at once: what a lens shows first)."""
        from vjepa_core.queries.related import related_many

        return related_many(self.store, paths, k, *(self._lens_ranker() if learned else (None, None)))

    def _lens_ranker(self) -> tuple[NextFilePredictor | None, set[str] | None]:
        """(the fitted ranker, the indexed files) for Related, or (None, None) while there is no fit
        (the relations answer then; a fit starts in the background). A fit in memory serves as it
        is (a save's lens refresh stays cheap); `next_predictor` brings it up to date."""
        from vjepa_core.queries.next import alive_files

        predictor = self.lens.predictor
        if predictor is None or (predictor.fitted is None and not self.lens.fitting()):
            predictor, _ = self.next_predictor()
        if predictor is None or predictor.fitted is None:
            return None, None
        return predictor, alive_files(self.store)

    def lens_touched(self, saved: list[str], touched: set[str]) -> set[str]:
        """After a save: the files whose Related lens to compute again. With the learned ranker, its
        links learn the save first, and only the saved files and their import or similarity
        partners are ranked again (each costs a few milliseconds); else every touched file."""
        from vjepa_core.queries.related import relink

        predictor = self.lens.predictor
        if predictor is None or predictor.fitted is None:
            return touched
        partners = relink(predictor.links, self.store, saved)
        return set(saved) | (partners & touched)

    def preview_save(self, paths: list[str]) -> set[str] | None:
        """A save's lens before the index is written (`update_files` follows): the ranker's links
        learn the saved files' imports and nearest files now (index/quick.py); returns the files
        whose Related lens to rank again, or None without a fitted ranker in memory or for more
        than a plain edit. `preview_writing` / `preview_written` go around that write."""
        from vjepa_core.index.quick import answer_save
        from vjepa_core.index.vectors import model_key

        if (predictor := self.lens.predictor) is None or predictor.fitted is None or self._store is None:
            return None
        ckpt = self.checkpoint()  # not loaded before a fit is (search loads it then: server/features/next.py)
        key = model_key(self.model_dir) if ckpt is not None and self.model_dir is not None else None
        return answer_save(self.root, self.store, paths, self.excludes, predictor.links, ckpt, key)

    def preview_writing(self, paths: list[str]) -> bool:
        from vjepa_core.index.quick import writing

        return self._store is not None and writing(self.store, paths)

    def preview_written(self, keep: bool) -> None:
        from vjepa_core.index.quick import written

        if self._store is not None:
            written(self.store, keep)

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """Code search. The snapshot on disk answers when it is current (told from the tables'
        manifest files, no LanceDB call: a CLI search starts in well under a second, a server's
        query skips three version reads); else the index's, rebuilt if stale."""
        from vjepa_core.queries import snapshot
        from vjepa_core.queries.search import search, search_in

        if not isinstance(query, str) or not query.strip():  # said before any model is loaded
            raise VjepaError("search.empty")
        snap = snapshot.on_disk(self.index_dir)
        if snap is not None:
            return search_in(snap, self.checkpoint(), query, k)
        return search(self.store, self.checkpoint(), query, k)

    def predict_next(self, after: list[str] | None = None, k: int = 10) -> list[Hit]:
        """The files most likely touched next, after `after` (oldest first; default: the latest commit's).
        The fit is kept: new commits update it online; it is refit when the history is rewritten or grows by a quarter."""
        from vjepa_core.index.known import require_indexed_files
        from vjepa_core.queries.next import alive_files, next_after

        alive = alive_files(self.store)
        given = [self.relative(p) for p in after or []]
        require_indexed_files(self.store, self.root, given, alive, self.excludes)  # before any fit
        predictor, commits = self.next_predictor()
        if not commits:
            raise VjepaError("next.no_history", root=self.root)
        recent = given or list(commits[-1].files)
        if not recent or predictor is None:
            return []
        return next_after(predictor, alive, recent, k)

    def predict_next_many(self, paths: list[str], k: int = 10, *, predictor: NextFilePredictor | None = None,
                          alive: set[str] | None = None) -> dict[str, list[Hit]]:
        """`predict_next(after=[p], k)` for each path, from one fitted predictor and one file list.
        A caller working in chunks passes the `predictor` (from `next_predictor`) and `alive` (the
        indexed files) it took once, so every chunk ranks against the same state."""
        from vjepa_core.queries.next import alive_files, next_after_each

        if predictor is None:
            predictor, _ = self.next_predictor()
        if predictor is None:
            return {}
        alive = alive_files(self.store) if alive is None else alive
        return next_after_each(predictor, alive, [self.relative(p) for p in paths], k)

    def reload_model(self) -> Path | None:
        """Forget the loaded checkpoint (after training or a promotion); the next use loads the
        model now in use. Returns its folder."""
        self._ckpt = None
        return self.model_dir

    def next_predictor(self, *, fit: Fit = "background") -> tuple[NextFilePredictor | None, list[Commit]]:
        """(the next-file predictor, or None without history; the commits it has seen), with the
        index's imports and similarity and the editor's sessions as they are now. Without a fit at
        hand it answers from the statistics and fits in a background process (`fit="now"`: fits
        here; `"never"`: None then). See queries/lens.py."""
        from vjepa_core.harvest.history import read_commits

        commits = read_commits(self.root)
        indexed = self._store is not None or (self.index_dir / "meta.lance").exists()
        predictor = self.lens.get(commits, self.store if indexed else None, fit=fit)
        if fit == "now":
            release_memory()
        return predictor, commits

    @property
    def lens(self) -> LensRanker:
        """The ranker behind both lenses, kept across calls (queries/lens.py)."""
        from vjepa_core.queries.lens import LensRanker

        if self._lens is None or self._lens.index_dir != self.index_dir:
            self._lens = LensRanker(self.root, self.index_dir)
        return self._lens

    def indexed_files(self) -> IndexedFiles:
        """The files indexed whole (status ok) and their code units."""
        files = self.store.read("files", ["path", "status", "n_units"])
        paths, units = [], 0
        for p, s, n in zip(*(files[c].to_pylist() for c in ("path", "status", "n_units"))):
            if s == "ok":
                paths.append(p)
                units += n or 0
        return IndexedFiles(paths, units)

    def secret_skips(self) -> list[SecretSkip]:
        """The files the last crawl skipped as holding secrets, by path."""
        return [SecretSkip(path, family) for path, family in self.store.secret_skips()]

    def model_status(self) -> ModelStatus:
        """Which model serves this workspace, and its weights' digest."""
        from vjepa_core.index.vectors import model_key

        where = self.model_dir
        if where is None:
            return ModelStatus("none", "")
        return ModelStatus("default" if where == DEFAULT_MODEL_DIR else "workspace", model_key(where))

    def insights(self) -> dict[str, Any]:
        """Work patterns, organisation suggestions and a project summary, as JSON-able data."""
        from vjepa_core.insights.report import compute

        return compute(self)

    def graph(self, out: str | os.PathLike[str] | None = None) -> Path:
        """Write the knowledge-graph page (default: in the index folder); returns its path."""
        from vjepa_core.insights.graph import write_graph

        return write_graph(self, None if out is None else Path(out))

    def log_events(self, events: list[EditorEvent]) -> None:
        """Keep editor events in the index's `events` table, in one write (LanceDB writes a table
        version per write: callers batch)."""
        import pyarrow as pa

        from vjepa_core.index.store import EVENTS

        times, paths, kinds, sources = (list(c) for c in zip(*events))
        self.store.add_events(pa.table({"time_ms": times, "path": paths, "kind": kinds, "source": sources},
                                       schema=EVENTS))

    def recent_edits(self, limit: int) -> list[str]:
        """The files of the last `limit` edit events (saves and changes) kept here, oldest first,
        repeats included."""
        t = self.store.read("events", ["time_ms", "path", "kind"], where="kind IN ('save', 'change')")
        rows = sorted(zip(t["time_ms"].to_pylist(), t["path"].to_pylist()))
        return [path for _, path in rows[-limit:]]

    def denied(self, rel: str) -> str | None:
        """Why `rel` (workspace-relative) is never read (the deny catalogue's reason), else None."""
        return denied_name(rel)

    def excludes(self, rel: str) -> bool:
        """Whether the crawl leaves `rel` out: under .git/, denied where it lies, or ignored by a
        .gitignore (at any level) or .vjepaignore. The rules are read once; `reread_rules` after
        one of those files changed."""
        if rel.split("/", 1)[0] == ".git" or denied_location(self.root / rel):
            return True
        if self._rules is None:
            self._rules = IgnoreRules(self.root)
        return self._rules.excluded(rel)

    def reread_rules(self) -> None:
        self._rules = None

    def idle_scheduler(self, *, idle_seconds: float, max_load: float | None, train_args: list[str],
                       on_promoted: Callable[[Path], None], on_state: Callable[[str], None]) -> IdleScheduler:
        """Idle-time retraining for this workspace: `vjepa train --resume` in a low-priority
        process once the user has been idle (swarm.scheduler.IdleScheduler). It reads the run
        folder and starts a thread: call it off the event loop."""
        from vjepa_core.swarm.scheduler import IdleScheduler

        return IdleScheduler(self.root, self.index_dir, idle_seconds=idle_seconds, max_load=max_load,
                             train_args=train_args, on_promoted=on_promoted, on_state=on_state)

    @staticmethod
    def release_memory(*, rules: bool = False) -> bool:
        """Freed memory back to the OS after a big job; `rules`: the secret rules too (index.memory)."""
        return release_memory(rules=rules)  # the module-level function (a method sees no class names bare)

    def relative(self, path: str) -> str:
        """A workspace-relative posix path (a relative one is taken from the workspace root when it is
        there, or when the current folder is outside the workspace); refuses paths outside it."""
        p = Path(path)
        if not p.is_absolute() and ".." not in p.parts and \
                ((self.root / p).exists() or self.root not in (Path.cwd() / "_").parents):
            return p.as_posix()
        absolute = (p if p.is_absolute() else Path.cwd() / p).resolve()
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            raise VjepaError("path.outside", path=path, root=self.root) from None
