"""The one catalogue of what VJEPA says to people, and the voice that says it.

Every user-facing sentence lives here so the tone stays warm and consistent, and so a
`--quiet` (or the server's `kindMessages: false`) can silence the chatty ones. Errors are
never silenced and never softened: they say what failed and what to do.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

# key -> template. "chatty" messages can be turned off; the rest always speak.
CATALOGUE: dict[str, str] = {
    # crawl
    "crawl.start": "Hello! Taking a gentle look around {root}. Everything stays on this machine.",
    "crawl.repair": "The last crawl was interrupted; tidying up {count} half-written entries first.",
    "crawl.walk": "Found {files} files to get to know.",
    "crawl.history": "Reading the git history ({commits} commits) to learn what changes together.",
    "crawl.nothing_new": "Nothing has changed since last time. Your index is up to date.",
    "crawl.done": (
        "All done! Read {files} files and {units} code units, with {relations} relations from history, "
        "folders and imports."
    ),
    "crawl.no_history": (
        "{root} has no git history, so there are no co-change relations and `vjepa next` has nothing to learn "
        "from. Related files (by folder, imports and meaning) and search work without it; once the folder is a "
        "git repository with a few commits, crawl again."
    ),
    "index.waiting": (
        "Another {job} (process {pid}, since {since}) is writing this index. Waiting for it to finish, "
        "so the work is not done twice..."
    ),
    "index.waiting_unknown": "Another process is writing this index. Waiting for it to finish...",
    "crawl.secrets": (
        "Skipped {count} file(s) that looked like they hold secrets: I kept only their paths and the kind of "
        "secret, never their text. A false alarm? List it in {allow} and crawl again."
    ),
    "secrets.title": "skipped as secrets",
    "secrets.more": "... and {more} more (`vjepa status --json` lists them all)",
    "secrets.allow_hint": (
        "A false alarm? List the file in {allow} at the workspace root (gitignore syntax, like .gitignore) "
        "and crawl again: its content is then indexed without screening. Credential file names "
        "(.env, keys, ...) stay denied whatever it says."
    ),
    "crawl.compact": "Tidying the index so it stays small.",
    # model
    "train.start": "Learning from {units} code units in {root}. This stays on your machine.",
    "train.done": "Training finished. The new model is saved at {path}.",
    "embed.done": "Vectors are up to date: {new} new, {reused} reused, {files} files, {semantic} semantic links.",
    "embed.none": "No model yet, so no vectors. Run `vjepa train` to make one.",
    "prior.start": "Learning how files change together from {count} git histories ({commits} commits).",
    "prior.skipped": "{repo} has no git history I can read; leaving it out.",
    "prior.done": "Done: the next-file prior learned from {count} {noun} is in {path}.",
    "train.kept": "I kept the model in use, because the fine-tuned one was not better: {why}.",
    "encoder.start": "Learning from {units} code units: {pairs} (context, body) pairs.",
    "encoder.done": "Done: the encoder is in {path}.",
    # status
    "status.empty": "No index yet for {root}. Run `vjepa crawl {root}` to create one.",
    "blas.slow": (
        "A tip, said once: MLX is running on its slow bundled BLAS, so training and `vjepa next` take "
        "about 15x longer than they need to. To fix it, {fix}; vjepa then finds the fast one by itself."
    ),
    # answers with nothing in them (not errors: the question was fine)
    "query.none_related": (
        "No related files for {path} yet: nothing in the history, folders, imports or meaning ties it "
        "to another indexed file."
    ),
    "query.fit_pending": ("Learning from this history in the background (a minute or so on two cores): until it "
                          "lands these come from co-change counts and recency. Ask again later for the learned ranking."),
    "server.fit_title": "Fitting the lenses to {name}'s history",
    "server.fit_progress": "{elapsed} s so far",
    "server.fit_progress_eta": "{elapsed} s so far, about {left} s left",
    "server.fit_done": "The lenses now rank with what the history taught ({elapsed} s).",
    "query.none_next": "Nothing to suggest after {after} yet: the history has no file that tends to follow it.",
    "query.none_search": "Nothing matched {query!r}. Try other words, or a name from the code.",
    # --- server (issue 4) ---
    "bench_lsp.generating": "Making a practice workspace: {files} Python files and {commits} commits.",
    "bench_lsp.indexing": "Starting vjepa-lsp on {files} files and waiting for its first index.",
    "bench_lsp.lenses": "Asking for code lenses {requests} times over {files} files.",
    "bench_lsp.saves": "Editing and saving {saves} files, timing each until its lens shows the change.",
    "bench_lsp.idle": "Letting the server rest for {seconds:g} s to see how quiet it is.",
    "server.reading": "Reading {root} (it stays on this machine).",
    "server.learned": "Learned from {name}: {files} files, {units} units.",
    "server.no_consent": "Not reading {root}: no consent.",
    "server.train_start": "Learning how you work in {name} ({steps} steps). It stays on this machine.",
    "server.train_start_one": "Learning how you work in {name} (1 step). It stays on this machine.",
    "server.pick_related": "Files related to {path}. Open one?",
    "server.pick_next": "You'll likely work on one of these next. Open one?",
    "server.pick_nothing": "Nothing to suggest for {path} yet.",
    "server.graph_written": "The knowledge graph is ready: {path}",
    "server.train_step": "step {step}/{steps}, loss {loss:.3f}",
    "server.train_done": "Training finished: model {version} now serves {name}.",
    # --- swarm (issue 5) ---
    "swarm.start": "Gathering the swarm: {workers} worker(s) will learn from {units} code units in {shards} shares.",
    "swarm.worker_ready": "Worker {rank} ready to help!",
    "swarm.worker_orphan": "Worker {rank} stopping: the coordinator has gone. `vjepa train --resume` picks up from the last checkpoint.",
    "swarm.sharing": "Workers sharing what they learned...",
    "swarm.worker_lost": "Worker {rank} stopped ({reason}). Carrying on with {workers} worker(s) from step {step}; nothing saved is lost.",
    "swarm.restart": "The workers stopped ({reason}). Starting them again from step {step}.",
    "swarm.resume": "Picking up where we left off: step {step} of {steps}.",
    "swarm.nothing_to_resume": "Nothing to resume, so starting a fresh run.",
    "swarm.done": "The swarm finished {steps} steps in {seconds} s.",
    "swarm.promoted": "The new model is in use: {why}.",
    "swarm.kept": "Keeping the current model: {why}.",
    "swarm.saved": "Saved the new model at {path}.",
    "swarm.idle_start": "You're away, so I'm learning from your latest changes in the background.",
    "swarm.idle_stop": "Welcome back! I paused the background training; it carries on from its checkpoint later.",
    # --- insights (issue 7) ---
    "insights.start": "Looking for patterns in the work on {root}. Nothing leaves this machine.",
    "insights.pattern.order": "You usually work on {first} first, then {then} ({support} of {total} sessions, about {gap} apart).",
    "insights.pattern.test_after": (
        "You usually create tests after the modules they test: {support} of {total} tests came in a later "
        "commit, typically {gap} ({commits}) later."
    ),
    "insights.pattern.test_first": (
        "You usually write the test first: {support} of {total} tests came before their module, "
        "typically {gap} ({commits}) earlier."
    ),
    "insights.suggest.cluster": "These {n} files might belong in {target}: {files}.",
    "insights.suggest.new_folder": "These {n} files might belong together in a new folder such as {target}: {files}.",
    "insights.suggest.reason": "They changed together (up to {commits} commits) and share words like {terms}, across {folders} folders.",
    "insights.summary": "This project is about {themes} (the words its code uses most), written mostly in {languages}.",
    "insights.summary.empty": "This project is written mostly in {languages}; there is not enough code yet to name its themes.",
    "insights.no_patterns": "No clear habits yet. They show up after a few more work sessions.",
    "insights.no_suggestions": "Everything looks at home where it is. Nothing to reorganise.",
    "insights.never_moves": "These are only ideas: I never move files myself.",
    # --- insights that hold up (issue 18): people as they are, evidence shown ---
    "insights.heading.you": "How you work",
    "insights.heading.team": "How work goes in this project ({people} people, {commits} commits)",
    "insights.pattern.order.team": (
        "In this project, work on {first} usually comes first, then {then} ({support} of {total} "
        "sessions, about {gap} apart)."
    ),
    "insights.pattern.test_after.team": (
        "In this project, tests usually come after the modules they test: {support} of {total} tests came "
        "in a later commit, typically {gap} ({commits}) later."
    ),
    "insights.pattern.test_first.team": (
        "In this project, the test usually comes first: {support} of {total} tests came before their "
        "module, typically {gap} ({commits}) earlier."
    ),
    "insights.pattern.by": "seen in the work of {names}",
    "insights.summary.source": "(From {source}.) Written mostly in {languages}.",
    "insights.suggest.one": "{files} might belong in {target}.",
    "insights.suggest.evidence": (
        "{path}: changed with files in {target} in {with_target} commits, with files of its own folder in "
        "{with_own}; {imports_target} import links with {target}, {imports_own} with its own folder."
    ),
    "insights.left_alone": "Looked at and left alone:",
    "insights.left_alone.deliberate": "{files} (to {target}): {folder} is {why}, a structure someone chose.",
    "insights.left_alone.weak": (
        "{path} (to {target}): too little evidence: {with_target} focused commits with {target}, {with_own} "
        "with its own folder; {imports_target} import links with {target}, {imports_own} with its own folder."
    ),
    "graph.written": "Your knowledge graph is ready: {path} ({nodes} files, {edges} links). It works offline in any browser.",
    "graph.opening": "Opening it in your browser.",
    # --- agents: vjepa mcp (issue 18) ---
    "mcp.serving": "Answering coding agents over MCP (stdio) about {roots}. Only folders you allowed are read.",
    "mcp.serving_allowed": (
        "Answering coding agents over MCP (stdio) about the folders you allowed before ({count}); "
        "name one with `vjepa mcp ROOT` to add it."
    ),
    "mcp.indexing": "There's no index for {root} yet, so I'm learning it first. Questions about it wait until then.",
    "mcp.refused_root": "Not reading {root}: you said never ({file}). Remove its line there to change your mind.",
}

ERRORS: dict[str, str] = {
    "prior.no_history": (
        "None of those folders has a git history, so there is nothing to learn from. "
        "Give me one or more git repositories."
    ),
    "root.missing": "I can't find the folder {root}. Check the path and try again.",
    "root.not_dir": "{root} is a file, not a folder. Give me the folder you'd like me to learn from.",
    "root.system": (
        "{root} is a system location, so I won't read it. Point me at a project folder instead."
    ),
    "root.home": (
        "{root} is your whole home folder. I'd rather not read all of it: name a project folder, "
        "or pass --allow-home if you really mean it."
    ),
    "root.denied": (
        "{root} is on the privacy deny list ({reason}), so I won't read it. Choose another folder."
    ),
    "index.schema": (
        "The index at {path} was written by a different version of VJEPA (schema {found}, I need "
        "{expected}). Remove that folder or run `vjepa crawl --rebuild` to index again from scratch."
    ),
    "index.other_root": (
        "The index at {path} belongs to {other}, not {root}. Use another --index-dir, or --rebuild."
    ),
    "index.unreadable": (
        "I couldn't open the index at {path}: {reason}. Run `vjepa crawl --rebuild {root}` to start it fresh."
    ),
    "index.missing": "There's no index for {root} yet. Run `vjepa crawl {root}` first.",
    "train.no_units": "I found no code units in {root} to learn from. Run `vjepa crawl` first, or check the folder.",
    "train.no_pairs": (
        "The code in {root} has too few docstrings and named functions to learn from; the shipped model "
        "keeps serving it, and nothing was changed."
    ),
    "search.empty": "The search query is empty. Say what you are looking for, in words or by name (for example: \"parse the config\" or Session).",
    "path.outside": "{path} is outside the workspace {root}, so I won't look at it.",
    "path.unknown": (
        "There is no file {path} in {root}. Check the spelling: paths are relative to the workspace "
        "(or absolute)."
    ),
    "path.folder": "{path} is a folder; I answer this for files. Name a file in it{example}.",
    "path.secret": (
        "{path} was skipped because its content looks like it holds a secret ({family}), so I know nothing "
        "about it. A false alarm? List it in {allow} at the workspace root and run `vjepa crawl` again."
    ),
    "path.ignored": (
        "{path} is left out by .gitignore, .vjepaignore or --exclude, so it is not indexed. "
        "Remove that rule and run `vjepa crawl` if you want it."
    ),
    "path.skipped": "{path} was not indexed: {reason}. I answer this for text files the crawl has read.",
    "path.not_indexed": "{path} is newer than the index. Run `vjepa crawl {root}` and ask again.",
    "next.no_history": (
        "{root} has no git history, so I can't predict the next file: that is learned from commits. "
        "`vjepa related` (by folder, imports and meaning) and `vjepa search` work without it; "
        "once the folder is a git repository with a few commits, run `vjepa crawl` again."
    ),
    "git.failed": "Reading the git history failed: {reason}. Continuing without temporal patterns.",
    # --- server (issue 4) ---
    "bench_lenses.git": "git could not prepare the benchmark's clone of {repo}: {detail}",
    "bench_lenses.no_history": ("{repo} has {commits} commits: too few to split into history and test. "
                                "Pass a work tree (not a bare repository) with a longer history."),
    "bench_search.no_root": "{root} is not a folder. Pass --root with the source tree to search.",
    "bench_search.bad_queries": (
        "I can't use the query file {path}: {reason}. Each query needs \"query\", \"kind\" (behaviour, "
        "architecture or symbol) and \"relevant\" places ({{\"path\": ..., \"lines\": [first, last]}})."
    ),
    "bench_lsp.no_root": "{root} is not a folder. Pass --root with a workspace folder, or --generate N.",
    "bench_lsp.bad_count": "{option} must be a positive number (20 or more for --generate), got {value}.",
    "bench_lsp.index_timeout": (
        "vjepa-lsp did not finish its first index within {seconds:g} s. Try a larger --timeout. Its last words: {tail}"
    ),
    "server.not_indexed": "{root} is not indexed yet. Wait for its progress to finish, then try again.",
    "server.no_folder": "No workspace folder is indexed yet. Allow a folder and wait for its progress to finish.",
    "server.training_busy": "Training is already running. Wait for it to finish, then try again.",
    "server.train_failed": "Training on {root} failed: {reason}. The previous model stays in use.",
    "server.index_failed": "Indexing {root} failed: {reason}.",
    "server.bad_argument": "{command} expects {expected}, got {got}.",
    "server.no_file": "{command} needs a file: open one in the editor, or pass its URI or path.",
    # --- swarm (issue 5) ---
    "swarm.busy": "Another swarm run is already going in {path}. Let it finish, or watch it with `vjepa swarm status`.",
    "swarm.failed": (
        "The swarm stopped after {restarts} restart(s): {reason}. The last checkpoint is safe: run "
        "`vjepa train --resume` to continue; the workers' output is in {log}."
    ),
    "swarm.too_few_files": "{files} file(s) cannot be shared among {workers} workers. Use --workers {files} or fewer.",
    "swarm.no_launcher": "I can't find MLX's launcher (`mlx.launch`) for {python}. Reinstall MLX there (`pip install mlx`).",
    "swarm.hostfile": "The hostfile {path} is unusable: {reason}. docs/swarm.md shows its format.",
    "swarm.no_run": "There is no swarm run in {path} yet. Start one with `vjepa train --workers 2`.",
    "swarm.bad_option": "{option} must be {expected} (got {value}).",
    # --- insights (issue 7) ---
    "graph.out_is_dir": "{path} is a folder. Give --out a file name, for example {path}/graph.html.",
    "graph.out_unwritable": "I couldn't write the graph to {path}: {reason}. Choose another place with --out.",
    "api.bad_input": "{what} expects {expected}, got {got}.",
    "perception.unknown": "The vjepa_filesystem perception has no capability {capability!r}. It offers: {known}.",
    "perception.bad_host": (
        "{host} has no register_perception(name, model, capabilities) method, so I can't register with it."
    ),
    # --- agents: vjepa mcp (issue 18) ---
    "mcp.not_approved": (
        "You haven't allowed me to read {root}. Start the server with it (`vjepa mcp {root}`) or allow it "
        "in your editor, then ask again."
    ),
    "mcp.refused": (
        "You asked me never to read {root} (remembered in {file}), so I won't. To change your mind, remove "
        "its line from that file."
    ),
    "mcp.no_root": (
        "There's no folder to answer about: pass `root` with a folder you allowed, or start the server with "
        "one (`vjepa mcp /path/to/project`)."
    ),
    "mcp.bad_arguments": "{tool} can't use these arguments: {problems}. It takes {takes}.",
    "path.denied": "{path} is on the privacy deny list ({reason}), so I won't read it.",
}


class VjepaError(Exception):
    """An error we can explain: carries a catalogue key and its fields."""

    def __init__(self, key: str, **fields: object) -> None:
        self.key = key
        self.fields = fields
        super().__init__(ERRORS[key].format(**fields))


class CheckpointError(ValueError):
    """A checkpoint (model or prior) that cannot be used; the message says what is wrong and what to do.

    Defined here, with the other errors people read, so the command line can catch it without
    loading MLX; `vjepa_core.model.encoder.checkpoint` raises and re-exports it.
    """


def text(key: str, **fields: object) -> str:
    """The catalogue sentence for `key` (messages or errors)."""
    template = CATALOGUE.get(key) or ERRORS[key]
    return template.format(**fields)


@dataclass
class Voice:
    """Speaks catalogue messages to a stream; `quiet` mutes everything but errors and warnings."""

    quiet: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def say(self, key: str, **fields: object) -> None:
        if not self.quiet:
            print(text(key, **fields), file=self.stream)

    def warn(self, key: str, **fields: object) -> None:
        print(text(key, **fields), file=self.stream)

    def error(self, err: VjepaError) -> None:
        print(f"Sorry: {err}", file=self.stream)
