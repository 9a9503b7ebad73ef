"""A file's lineage in the learned ranker's statistics (features.AuxStats) is the relations' own
(patterns/temporal.cochange, renames followed): a path added anew after its file was renamed away
starts a lineage of its own, and the co-change counts the lens states agree with the relations'."""

from __future__ import annotations

from collections import Counter

from vjepa_core.harvest.history import Commit
from vjepa_core.model.nextfile.features import AuxStats
from vjepa_core.patterns.temporal import cochange


def _commit(i: int, changes: list[tuple[str, str]], renames: tuple[tuple[str, str], ...] = ()) -> Commit:
    return Commit(f"{i:040d}", 1_000 + 60 * i, tuple(changes), renames)


def test_a_path_added_anew_after_its_file_moved_away_starts_its_own_lineage() -> None:
    history = [_commit(i, [("M", "app.py"), ("M", "CHANGES.rst")]) for i in range(4)]
    # app.py moves to core/app.py (its history goes with it), then a new app.py is added
    history.append(_commit(4, [("D", "app.py"), ("A", "core/app.py")], (("app.py", "core/app.py"),)))
    history.append(_commit(5, [("A", "app.py"), ("M", "CHANGES.rst")]))
    history += [_commit(i, [("M", "app.py"), ("M", "cli.py")]) for i in range(6, 8)]
    aux = AuxStats(8)
    for c in history:
        aux.apply(c)
    assert aux.key("core/app.py") != aux.key("app.py")
    lin = lambda a, b: aux.lin_co.get(aux.key(a), Counter()).get(aux.key(b), 0)
    assert (lin("core/app.py", "CHANGES.rst"), lin("app.py", "CHANGES.rst"), lin("app.py", "cli.py")) == (4, 1, 2)
    relations = {(x.a, x.b): x.count for x in cochange(history)}
    for a, b in [("core/app.py", "CHANGES.rst"), ("app.py", "CHANGES.rst"), ("app.py", "cli.py")]:
        assert lin(a, b) == relations[(a, b)], (a, b)
