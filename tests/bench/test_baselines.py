"""baselines: the next-file protocol must give the reference script's figures, to the digit."""

from __future__ import annotations

import importlib.util
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vjepa_core.bench.baselines import evaluate, evaluate_baselines, format_report, score
from vjepa_core.harvest.history import Commit, read_commits

T0 = 1_700_000_000
_REFERENCE_CANDIDATES = (
    os.environ.get("VJEPA_COCHANGE_REFERENCE", ""),
    # shared/ sits beside the project's checkout, in CI as on developers' machines.
    str(Path(__file__).resolve().parents[3] / "shared" / "tools" / "cochange_reference.py"),
)
REFERENCE = next((Path(p) for p in _REFERENCE_CANDIDATES if p and Path(p).is_file()), None)


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both our reader and the reference run git: neither may see the developer's config.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def _generate_history(seed: int, n_commits: int) -> list[tuple[list[tuple[str, str]], list[str]]]:
    """Random but seeded commits: (writes as (path, content), deletes).

    Files live in co-change clusters across folders; commits mostly edit within one cluster, and
    some add, delete, rename (same content under a new path, so git's -M pairs them) or touch
    more than 30 files at once.
    """
    rng = random.Random(seed)
    dirs = ["", "src", "src/core", "src/web", "tests", "docs", "lib/util"]
    content: dict[str, str] = {}
    clusters: list[list[str]] = []
    serial = 0

    def new_path() -> str:
        nonlocal serial
        serial += 1
        name = f"m{serial}.py" if serial % 17 else f"mod {serial}.py"  # some names with spaces
        d = rng.choice(dirs)
        return f"{d}/{name}" if d else name

    def new_content(path: str) -> str:
        return "".join(f"{path} line {i} {rng.random()}\n" for i in range(12))

    history: list[tuple[list[tuple[str, str]], list[str]]] = []
    for i in range(n_commits):
        writes: dict[str, str] = {}
        deletes: list[str] = []
        live = sorted(content)
        roll = rng.random()
        if i < 8 or not clusters or roll < 0.08:  # a new cluster of 2..5 files
            cluster = [new_path() for _ in range(rng.randint(2, 5))]
            clusters.append(cluster)
            writes = {p: new_content(p) for p in cluster}
        elif roll < 0.13 and len(live) > 10:  # delete a file
            victim = rng.choice(live)
            deletes.append(victim)
        elif roll < 0.19 and live:  # rename, sometimes into another folder, sometimes with an edit
            old = rng.choice(live)
            new = new_path()
            text = content[old]
            if rng.random() < 0.5:
                text += f"edit {i}\n"
            writes[new] = text
            deletes.append(old)
            if rng.random() < 0.4:
                partner = rng.choice(live)
                if partner != old:
                    writes[partner] = content[partner] + f"edit {i}\n"
            clusters = [[new if p == old else p for p in c] for c in clusters]
        elif roll < 0.23 and len(live) > 31:  # bulk: more than 30 files
            for p in rng.sample(live, rng.randint(31, min(45, len(live)))):
                writes[p] = content[p] + f"bulk {i}\n"
        else:  # the common case: edit part of one cluster, sometimes plus a stray file
            alive_clusters = [[p for p in c if p in content] for c in clusters]
            alive_clusters = [c for c in alive_clusters if c]
            cluster = rng.choice(alive_clusters[-6:])  # recent clusters are the active ones
            picked = rng.sample(cluster, rng.randint(1, len(cluster)))
            if rng.random() < 0.25:
                picked.append(rng.choice(live))
            if rng.random() < 0.1:
                picked.append(new_path())
                clusters[-1].append(picked[-1])
            for p in picked:
                writes[p] = content.get(p, new_content(p)) + f"edit {i}\n"
        for p in deletes:
            del content[p]
        content.update(writes)
        history.append((sorted(writes.items()), deletes))
    return history


def _build_repo(root: Path, history: list[tuple[list[tuple[str, str]], list[str]]]) -> None:
    """One `git fast-import` for the whole history: hundreds of commits in well under a second."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    out: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    for i, (writes, deletes) in enumerate(history):
        out.append(b"commit refs/heads/main\nmark :%d\n" % (i + 1))
        out.append(b"committer Test <test@example.com> %d +0000\n" % (T0 + 60 * i))
        data(f"commit {i}")
        if i:
            out.append(b"from :%d\n" % i)
        for p in deletes:
            out.append(f"D {p}\n".encode())
        for p, text in writes:
            out.append(f"M 100644 inline {p}\n".encode())
            data(text)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(out), check=True)


def _reference(repo: Path) -> tuple[int, int, dict[str, dict[str, str]]]:
    assert REFERENCE is not None
    out = subprocess.run([sys.executable, str(REFERENCE), str(repo)], capture_output=True, text=True,
                         check=True).stdout
    head = re.search(r"commits=(\d+) queries=(\d+)", out)
    assert head, out
    line = r"^\s+(\S+)\s+hit@1=(\S+) hit@5=(\S+) hit@10=(\S+) mrr=(\S+)$"
    methods = {m[0]: {"hit@1": m[1], "hit@5": m[2], "hit@10": m[3], "mrr": m[4]}
               for m in re.findall(line, out, re.MULTILINE)}
    return int(head[1]), int(head[2]), methods


# In CI the reference must be there: a silent skip would hide a broken harness.
@pytest.mark.skipif(REFERENCE is None and not os.environ.get("CI"),
                    reason="../shared/tools/cochange_reference.py not found")
@pytest.mark.parametrize("seed", [1, 2])
def test_baselines_match_the_reference_script(tmp_path: Path, seed: int) -> None:
    repo = tmp_path / "repo"
    _build_repo(repo, _generate_history(seed, 400))
    commits = read_commits(repo)
    assert any(c.renames for c in commits) and any(len(c.changes) > 30 for c in commits)
    ours = evaluate_baselines(commits)
    print(format_report(ours, str(repo)))
    # Same commits, read the reference's way (it parses plain `git log`, we use -z).
    spec = importlib.util.spec_from_file_location("cochange_reference", REFERENCE)
    assert spec and spec.loader
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    assert [(c.sha, c.time, list(c.changes)) for c in commits] == list(ref.commits(str(repo)))
    n_commits, n_queries, theirs = _reference(repo)
    assert (ours["commits"], ours["queries"]) == (n_commits, n_queries)
    assert n_queries > 100
    # The reference prints a method only once it has a hit; the repo is built so all four do.
    assert set(theirs) == set(ours["methods"])
    for name, figures in theirs.items():
        assert {k: f"{v:.3f}" for k, v in ours["methods"][name].items()} == figures, name


def test_score_by_hand() -> None:
    rankings = [
        (["x", "a", "y"], frozenset({"a"})),  # first hit at rank 2
        (["a", "b"], frozenset({"a", "b"})),  # rank 1
        ([f"n{i}" for i in range(7)] + ["t"], frozenset({"t"})),  # rank 8
        (["x"], frozenset({"t"})),  # no hit: MRR 0
    ]
    assert score(rankings) == pytest.approx(
        {"hit@1": 1 / 4, "hit@5": 2 / 4, "hit@10": 3 / 4, "mrr": (1 / 2 + 1 + 1 / 8 + 0) / 4})
    assert score([]) == {"hit@1": 0.0, "hit@5": 0.0, "hit@10": 0.0, "mrr": 0.0}


def _c(i: int, *paths: str, deleted: tuple[str, ...] = ()) -> Commit:
    changes = tuple(("D", p) for p in deleted) + tuple(("M", p) for p in paths)
    return Commit(f"{i:040x}", T0 + i, changes, ())


def test_evaluate_accepts_a_plugged_in_ranker() -> None:
    commits = [_c(i, "a", "b") for i in range(5)]
    result = evaluate(commits, {"oracle": lambda q, s: sorted(q.truth), "nothing": lambda q, s: []})
    assert result["queries"] == 2  # commit 4 (split at int(5 * 0.8) = 4), files a and b
    assert result["methods"]["oracle"]["mrr"] == 1.0
    assert result["methods"]["nothing"]["hit@10"] == 0.0
