"""The knowledge graph: files as nodes, temporal/spatial/semantic relations as typed edges, written
as one self-contained HTML page (CSS, JS and data inlined; no network, enforced by its CSP).

The data groups files into folder clusters and lists edges strongest first, the types taking turns,
so the page's first view can draw the top `first_edges` of them and a slider the rest. The page
(assets/graph.{html,css}, graph-layout.js then graph.js) lays the folders out as a treemap that
fills the window, files inside their folder's box; it has search, a filter per relation type, a
legend, and click-to-open: inside a VS Code webview it posts {command: "open", path} to the
extension, inside an iframe it posts {type: "vjepa.open", path} to the parent, and on its own it
follows a vscode://file link. `#types=temporal,semantic&q=text&select=path&edges=N|all` in the URL
sets the filters on load.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from importlib import resources
from itertools import zip_longest
from pathlib import Path
from typing import Any

from vjepa_core.insights.graph_clusters import edge_strength, folder_clusters, split_by_community, top_folder
from vjepa_core.insights.roles import file_role, folder_of
from vjepa_core.messages import VjepaError
from vjepa_core.patterns.relation import describe

MAX_NODES = 8000  # the page lays out in O(files) (a treemap, then small per-folder relaxations)
MAX_EDGES = 8000
FIRST_EDGES = 150  # at most this many links in the first view (fewer for small projects); a slider shows more
SAME_DIR_MAX = 8  # "same folder" links only for small folders (big ones are cliques that hide the rest)
PATTERNS = ("temporal", "spatial", "semantic")
OUT_NAME = "graph.html"
SCRIPTS = ("graph-layout.js", "graph.js")


def graph_data(ws: Any, *, max_nodes: int = MAX_NODES, max_edges: int = MAX_EDGES,
               first_edges: int = FIRST_EDGES) -> dict[str, Any]:
    """Nodes, folder clusters and typed edges of a `Workspace`, JSON-able: one edge per file pair and
    relation type, strongest first (the types taking turns)."""
    store = ws.store
    rows = store.read("files", ["path", "status", "language"]).to_pylist()
    files = {r["path"]: r["language"] or "" for r in rows if r["status"] == "ok"}
    folder_size = Counter(folder_of(p) for p in files)
    best: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in store.read("relations", ["a", "b", "pattern", "kind", "weight", "count"]).to_pylist():
        a, b, pattern = r["a"], r["b"], r["pattern"]
        if a == b or a not in files or b not in files or pattern not in PATTERNS:
            continue
        if r["kind"] == "same_dir" and folder_size[folder_of(a)] > SAME_DIR_MAX:
            continue
        key = (min(a, b), max(a, b), pattern)
        weight, count = float(r["weight"]), int(r["count"])
        strength = edge_strength(pattern, r["kind"], weight, count)
        if key not in best or strength > best[key]["strength"]:  # the stronger direction / kind speaks
            best[key] = {"w": weight, "strength": strength, "kind": r["kind"],
                         "label": describe(r["kind"], weight, count)}
    degree: Counter[str] = Counter()
    for a, b, _ in best:
        degree[a] += 1
        degree[b] += 1
    kept = set(sorted(files, key=lambda p: (-degree[p], p))[:max_nodes])
    by_type = {t: sorted(((k, v) for k, v in best.items() if k[0] in kept and k[1] in kept and k[2] == t),
                         key=lambda e: (-e[1]["strength"], e[0])) for t in PATTERNS}
    # Strongest first, one of each type in turn: a type with many links cannot crowd out the others.
    edges = [e for turn in zip_longest(*by_type.values()) for e in turn if e is not None][:max_edges]
    clusters_of = split_by_community(folder_clusters(sorted(kept)),
                                     [(a, b, v["strength"]) for (a, b, _), v in edges])
    # Top folders, biggest first (the page colours the first ones), each holding its clusters.
    group_size = Counter(top_folder(c) for c in clusters_of.values())
    groups = sorted(group_size, key=lambda g: (-group_size[g], g))
    group_index = {g: i for i, g in enumerate(groups)}
    clusters = sorted(set(clusters_of.values()), key=lambda c: (group_index[top_folder(c)], c))
    cluster_index = {c: i for i, c in enumerate(clusters)}
    importance: Counter[str] = Counter()
    for (a, b, _), v in edges:
        importance[a] += v["strength"]
        importance[b] += v["strength"]
    ordered = sorted(kept)
    index = {p: i for i, p in enumerate(ordered)}
    nodes = [{"p": p, "d": folder_of(p), "l": files[p], "r": file_role(p), "c": cluster_index[clusters_of[p]],
              "s": round(importance[p], 3)} for p in ordered]
    members = Counter(clusters_of.values())
    return {
        "root": str(ws.root),
        "nodes": nodes,
        "clusters": [{"name": c, "g": group_index[top_folder(c)], "n": members[c]} for c in clusters],
        "groups": groups,
        "edges": [{"s": index[a], "t": index[b], "y": pattern, "k": v["kind"], "w": round(v["w"], 4),
                   "label": v["label"]} for (a, b, pattern), v in edges],
        "first_edges": min(first_edges, max(40, len(nodes) // 2), len(edges)),
        "counts": {"nodes": len(nodes), "edges": len(edges), "files": len(files),
                   **{p: sum(1 for e in edges if e[0][2] == p) for p in PATTERNS}},
    }


def render_html(data: dict[str, Any]) -> str:
    assets = resources.files("vjepa_core.insights") / "assets"
    page = (assets / "graph.html").read_text(encoding="utf-8")
    # Inside <script> only "</" could end the element early; JSON lets us escape it.
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    title = html.escape(f"VJEPA graph: {Path(data['root']).name or data['root']}")
    # Replace in one pass so that no inlined text is itself searched for placeholders.
    script = "\n".join((assets / name).read_text(encoding="utf-8") for name in SCRIPTS)
    parts = {"__VJEPA_TITLE__": title, "__VJEPA_CSS__": (assets / "graph.css").read_text(encoding="utf-8"),
             "__VJEPA_JS__": script, "__VJEPA_DATA__": payload}
    out, rest = [], page
    while True:
        found = [(rest.find(k), k) for k in parts if rest.find(k) >= 0]
        if not found:
            out.append(rest)
            return "".join(out)
        at, key = min(found)
        out.append(rest[:at] + parts[key])
        rest = rest[at + len(key):]


def write_graph(ws: Any, out: str | Path | None = None, *, data: dict[str, Any] | None = None) -> Path:
    """Write the graph page (default: graph.html in the workspace's index folder); returns its path."""
    data = data if data is not None else graph_data(ws)
    target = Path(out) if out is not None else Path(ws.index_dir) / OUT_NAME
    target = target.expanduser().resolve()
    if target.is_dir():
        raise VjepaError("graph.out_is_dir", path=target)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(render_html(data), encoding="utf-8")
        tmp.replace(target)  # atomic: a webview reloading it never sees half a page
    except OSError as exc:
        raise VjepaError("graph.out_unwritable", path=target, reason=exc.strerror or exc) from exc
    return target
