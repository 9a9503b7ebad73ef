"""The knowledge graph: files as nodes, temporal/spatial/semantic relations as typed edges, written
as one self-contained HTML page (CSS, JS and data inlined; no network, enforced by its CSP).

The page (assets/graph.{html,css,js}) draws a canvas force layout with search, a filter per
relation type and click-to-open: inside a VS Code webview it posts {command: "open", path} to the
extension, inside an iframe it posts {type: "vjepa.open", path} to the parent, and on its own it
follows a vscode://file link. `#types=temporal,semantic&q=text&select=path` in the URL sets the
filters on load.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from vjepa_core.insights.roles import file_role, folder_of
from vjepa_core.messages import VjepaError
from vjepa_core.patterns.relation import describe

MAX_NODES = 1500  # the layout is O(n^2) per step in the browser: keep the best-connected files
MAX_EDGES = 6000
SAME_DIR_MAX = 8  # "same folder" links only for small folders (big ones are cliques that hide the rest)
PATTERNS = ("temporal", "spatial", "semantic")
OUT_NAME = "graph.html"


def graph_data(ws: Any, *, max_nodes: int = MAX_NODES, max_edges: int = MAX_EDGES) -> dict[str, Any]:
    """Nodes and typed edges of a `Workspace`, JSON-able: one edge per file pair and relation type."""
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
        weight = float(r["weight"])
        if key not in best or weight > best[key]["w"]:  # the stronger direction / kind speaks for the pair
            best[key] = {"w": weight, "kind": r["kind"], "label": describe(r["kind"], weight, int(r["count"]))}
    degree: Counter[str] = Counter()
    for a, b, _ in best:
        degree[a] += 1
        degree[b] += 1
    kept = sorted(files, key=lambda p: (-degree[p], p))[:max_nodes]
    index = {p: i for i, p in enumerate(sorted(kept))}
    edges = [(k, v) for k, v in best.items() if k[0] in index and k[1] in index]
    if len(edges) > max_edges:  # the strongest of each type, in proportion to how many there are
        by_type = Counter(k[2] for k, _ in edges)
        chosen = []
        for pattern, n in by_type.items():
            quota = max(1, max_edges * n // len(edges))
            of_type = sorted((e for e in edges if e[0][2] == pattern), key=lambda e: -e[1]["w"])
            chosen.extend(of_type[:quota])
        edges = chosen
    edges.sort(key=lambda e: (e[0][2], e[0][0], e[0][1]))
    nodes = [{"p": p, "d": folder_of(p), "l": files[p], "r": file_role(p)} for p in sorted(index)]
    return {
        "root": str(ws.root),
        "nodes": nodes,
        "edges": [{"s": index[a], "t": index[b], "y": pattern, "k": v["kind"], "w": round(v["w"], 4),
                   "label": v["label"]} for (a, b, pattern), v in edges],
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
    parts = {"__VJEPA_TITLE__": title, "__VJEPA_CSS__": (assets / "graph.css").read_text(encoding="utf-8"),
             "__VJEPA_JS__": (assets / "graph.js").read_text(encoding="utf-8"), "__VJEPA_DATA__": payload}
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
