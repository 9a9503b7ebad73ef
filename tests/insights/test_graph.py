"""The knowledge-graph page: its data, its self-containment, and how it renders in real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.fixtures import GitRepo
from tests.insights.fixtures import build_features, indexed_workspace
from vjepa_core.cli import main as cli_main
from vjepa_core.insights.graph import graph_data, render_html, write_graph
from vjepa_core.messages import VjepaError
from vjepa_core.workspace import Workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def graph_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("graph")
    ws = indexed_workspace(build_features(GitRepo(base / "repo"), scattered=True), base)
    ws.embed()  # the shipped model adds semantic relations: all three edge types are present
    return ws


def test_graph_data_has_files_and_typed_edges(graph_ws: Workspace) -> None:
    data = graph_data(graph_ws)
    paths = [n["p"] for n in data["nodes"]]
    assert len(paths) == 10 and "utils/strings.py" in paths and "billing/invoice.py" in paths
    types = {e["y"] for e in data["edges"]}
    assert types == {"temporal", "spatial", "semantic"}
    c = data["counts"]
    assert c["edges"] == len(data["edges"]) == c["temporal"] + c["spatial"] + c["semantic"]
    pairs = {(paths[e["s"]], paths[e["t"]], e["y"]) for e in data["edges"]}
    assert len(pairs) == len(data["edges"])  # one edge per pair and type
    assert ("billing/invoice.py", "billing/tax.py", "temporal") in pairs
    assert ("billing/invoice.py", "billing/tax.py", "spatial") in pairs  # a small folder: same_dir kept
    temporal = next(e for e in data["edges"] if e["y"] == "temporal")
    assert temporal["k"] == "cochange" and "changed together" in temporal["label"]
    capped = graph_data(graph_ws, max_nodes=4, max_edges=5)
    assert len(capped["nodes"]) == 4 and len(capped["edges"]) <= 5


def test_page_is_self_contained(graph_ws: Workspace, tmp_path: Path) -> None:
    page = write_graph(graph_ws, tmp_path / "g.html").read_text(encoding="utf-8")
    assert "default-src 'none'" in page  # the CSP forbids any request
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:|//)", page)
    assert "<link" not in page and "__VJEPA_" not in page
    assert "billing/invoice.py" in page


def test_data_cannot_break_out_of_the_script(tmp_path: Path) -> None:
    evil = {"root": "/tmp/x", "nodes": [{"p": "a</script><script>alert(1)</script>.py", "d": ".", "l": "",
                                         "r": "other"}], "edges": [], "counts": {}}
    page = render_html(evil)
    assert "a</script>" not in page and "a<\\/script>" in page


def test_write_graph_default_place_and_bad_out(graph_ws: Workspace, tmp_path: Path) -> None:
    path = write_graph(graph_ws)
    assert path == (graph_ws.index_dir / "graph.html").resolve() and path.stat().st_size > 5000
    with pytest.raises(VjepaError) as err:
        write_graph(graph_ws, tmp_path)
    assert "is a folder" in str(err.value)


def test_cli_graph(graph_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "sub" / "kg.html"
    code = cli_main(["graph", str(graph_ws.root), "--index-dir", str(graph_ws.index_dir), "--out", str(out)])
    assert code == 0 and out.exists()
    assert "Your knowledge graph is ready" in capsys.readouterr().err
    assert cli_main(["graph", str(graph_ws.root), "--index-dir", str(graph_ws.index_dir), "--out",
                     str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


# --- real headless Chromium ---------------------------------------------------------------
needs_chromium = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                    reason="chromium is not installed (required under CI)")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "chromium is required under CI"
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
                           "--virtual-time-budget=4000", *args], capture_output=True, text=True, timeout=90,
                          check=True)


def _dom(tmp_path: Path, url: str) -> dict[str, str]:
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    attrs = dict(re.findall(r'data-([a-z]+)="([^"]*)"', body.group(1)))
    attrs.update({f"stat-{k}": v for k, v in re.findall(r'<span id="stat-([a-z]+)">(\d+)</span>', dom)})
    panel = re.search(r'<div id="panel"[^>]*>', dom)
    attrs["panel"] = "open" if panel and 'class="open"' in panel.group(0) else ""
    return attrs


@needs_chromium
def test_graph_renders_and_filters_in_chromium(graph_ws: Workspace, tmp_path: Path) -> None:
    data = graph_data(graph_ws)
    url = write_graph(graph_ws, tmp_path / "g.html", data=data).as_uri()
    c = data["counts"]
    shown = _dom(tmp_path, url)
    assert shown["ready"] == "1"
    assert shown["nodes"] == shown["stat-nodes"] == "10"
    assert int(shown["edges"]) == int(shown["stat-edges"]) == c["edges"]
    assert shown["stat-temporal"] == str(c["temporal"]) and shown["stat-semantic"] == str(c["semantic"])

    temporal = _dom(tmp_path, url + "#types=temporal")
    assert temporal["types"] == "temporal"
    assert int(temporal["edges"]) == c["temporal"] < c["edges"]
    assert temporal["stat-spatial"] == temporal["stat-semantic"] == "0"
    # Files with no temporal link drop out (the four helpers and three feature pairs have some).
    linked = {e[k] for e in data["edges"] if e["y"] == "temporal" for k in ("s", "t")}
    assert int(temporal["nodes"]) == len(linked)

    nothing = _dom(tmp_path, url + "#types=")
    assert nothing["edges"] == "0" and nothing["nodes"] == "0"

    found = _dom(tmp_path, url + "#q=billing/&select=billing/invoice.py")
    assert found["matches"] == "3" and found["selected"] == "billing/invoice.py" and found["panel"] == "open"


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG with the stdlib: (width, height, rows of pixels)."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(raw):
        length, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        chunk = raw[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    data = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = data[y * (stride + 1)]
        line = bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i:i + 3]) for r in rows for i in range(0, stride, bpp)]


@needs_chromium
def test_graph_screenshot_has_content(graph_ws: Workspace, tmp_path: Path) -> None:
    url = write_graph(graph_ws, tmp_path / "g.html").as_uri()
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, "--window-size=640,480", f"--screenshot={shot}", url)
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (640, 480)
    background = (0x11, 0x15, 0x1C)
    below_bar = pixels[width * 120:]  # the drawing area, under the toolbar
    counts: dict[bytes, int] = {}
    for px in below_bar:
        counts[px] = counts.get(px, 0) + 1
    assert max(counts, key=counts.get) == bytes(background)  # the canvas was drawn
    drawn = sum(n for px, n in counts.items() if px != bytes(background))
    assert drawn / len(below_bar) > 0.005, drawn  # nodes and edges, not an empty page
    colours = {px for px in counts if counts[px] >= 3}
    assert len(colours) > 20
    # Node colours from the palette are there (folder colours, e.g. #f2c14e and #9b5de5).
    assert any(abs(px[0] - 0xF2) < 12 and abs(px[1] - 0xC1) < 12 and abs(px[2] - 0x4E) < 12 for px in colours)
