"""How the graph page groups and ranks: files into folder clusters (small folders fold into their
parent), and a strength for each edge that can be compared within its relation type."""

from __future__ import annotations

from collections import Counter

from vjepa_core.insights.roles import folder_of

MIN_CLUSTER = 4  # a folder with fewer files (its subfolders' leftovers included) joins its parent
SMALL_PROJECT = 60  # ... but in a project this small, any folder with two files has its own box
MAX_CLUSTERS = 400  # more boxes than this and none is big enough to read: fold harder
SPATIAL_RANK = {"import": 1.0, "sibling": 0.8, "parent": 0.6, "same_dir": 0.3}


def edge_strength(pattern: str, kind: str, weight: float, count: int) -> float:
    """Higher is stronger. Co-change is shrunk for few commits (1 of 1 is weak evidence); among
    spatial kinds an import says more than living in the same folder."""
    if pattern == "temporal":
        return weight * count / (count + 1)
    if pattern == "spatial":
        return SPATIAL_RANK.get(kind, 0.5) * (weight if kind == "same_dir" else 1.0)
    return weight


def _parent(folder: str) -> str:
    return folder_of(folder) if folder != "." else "."


def folder_clusters(paths: list[str], min_size: int | None = None) -> dict[str, str]:
    """path -> its cluster: the nearest folder (itself or above) that holds at least `min_size`
    files once the small folders below it have folded in. The root "." takes what is left."""
    if min_size is None:
        min_size = 2 if len(paths) < SMALL_PROJECT else MIN_CLUSTER
    while True:
        carry = Counter(folder_of(p) for p in paths)
        folders = set(carry)
        for f in list(folders):
            while f != ".":
                f = _parent(f)
                folders.add(f)
        joins: dict[str, str] = {}
        for f in sorted(folders, key=lambda f: (-(f.count("/") + 1), f)):  # deepest first
            if f != "." and carry[f] < min_size:
                joins[f] = _parent(f)
                carry[_parent(f)] += carry[f]
        out = {p: _follow(joins, folder_of(p)) for p in paths}
        if len(set(out.values())) <= MAX_CLUSTERS or min_size > len(paths):
            return out
        min_size *= 2


def _follow(joins: dict[str, str], folder: str) -> str:
    while folder in joins:
        folder = joins[folder]
    return folder


def top_folder(cluster: str) -> str:
    return cluster.split("/", 1)[0]
