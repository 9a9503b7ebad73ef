"""How the graph page groups and ranks: files into folder clusters (small folders fold into their
parent; a big folder splits into the communities its links form), and a strength for each edge that
can be compared within its relation type."""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict

import networkx as nx

from vjepa_core.insights.roles import folder_of

MIN_CLUSTER = 4  # a folder with fewer files (its subfolders' leftovers included) joins its parent
SMALL_PROJECT = 60  # ... but in a project this small, any folder with two files has its own box
MAX_CLUSTERS = 400  # more boxes than this and none is big enough to read: fold harder
BIG_CLUSTER = 150  # a box with more files than this splits by community, when its links allow
MAX_COMMUNITIES = 24
COMMUNITY_SEP = " \u00b7 "  # "src · models": the folder, then the community's best-linked file
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


def split_by_community(clusters_of: dict[str, str], links: list[tuple[str, str, float]],
                       big: int = BIG_CLUSTER) -> dict[str, str]:
    """Clusters of more than `big` files split into the communities (Louvain, fixed seed) of their
    inner links, each named after its best-linked file; communities of fewer than 2 * MIN_CLUSTER
    files share one "other files" box. A cluster whose links form fewer than two such communities
    stays whole."""
    members: dict[str, list[str]] = defaultdict(list)
    for path, cluster in clusters_of.items():
        members[cluster].append(path)
    out = dict(clusters_of)
    for cluster, paths in members.items():
        if len(paths) <= big:
            continue
        graph = nx.Graph()
        graph.add_nodes_from(sorted(paths))
        for a, b, w in links:
            if clusters_of.get(a) == cluster and clusters_of.get(b) == cluster:
                weight = graph.get_edge_data(a, b, {"weight": 0.0})["weight"]
                graph.add_edge(a, b, weight=weight + w)
        communities = sorted(nx.community.louvain_communities(graph, weight="weight", seed=0),
                             key=lambda c: (-len(c), min(c)))
        kept = [c for c in communities if len(c) >= 2 * MIN_CLUSTER][:MAX_COMMUNITIES]
        if len(kept) < 2:
            continue
        strength = dict(graph.degree(weight="weight"))
        names: set[str] = set()
        for community in kept:
            hub = max(sorted(community), key=lambda p: strength[p])
            name = f"{cluster}{COMMUNITY_SEP}{posixpath.splitext(posixpath.basename(hub))[0]}"
            name = name if name not in names else f"{name} ({len(names) + 1})"
            names.add(name)
            out.update({p: name for p in community})
        rest = set(paths).difference(*kept)
        out.update({p: f"{cluster}{COMMUNITY_SEP}other files" for p in rest})
    return out


def top_folder(cluster: str) -> str:
    return cluster.split(COMMUNITY_SEP, 1)[0].split("/", 1)[0]
