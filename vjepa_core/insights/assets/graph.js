/* VJEPA knowledge graph: folders as boxes filling the window (graph-layout.js), files as dots, the
   strongest links first (a slider for more), labels for the files with most links, a legend, search
   by name, and a side panel with a selected file's neighbours and why. No libraries, no network.
   State can also come from the URL hash, so a host (or a test) can open the page pre-filtered:
   #types=temporal,semantic&q=utils&select=path/to/file.py&edges=500|all&colour=folder|role */
(function () {
  "use strict";
  var scriptStart = performance.now();
  var data = JSON.parse(document.getElementById("vjepa-data").textContent);
  var TYPES = ["temporal", "spatial", "semantic"];
  var COLOR = { temporal: "#e4572e", spatial: "#4c9f70", semantic: "#3f88c5" };
  var PALETTE = ["#f2c14e", "#9b5de5", "#00bbf9", "#f15bb5", "#8ac926", "#ff924c", "#00f5d4", "#c77dff",
                 "#ffadad", "#4cc9f0", "#caffbf", "#fee440"];
  var OTHER = "#6b7280";
  var ROLES = [["module", "code", "#f2c14e"], ["test", "tests", "#9b5de5"], ["docs", "docs", "#00bbf9"],
               ["config", "configuration", "#f15bb5"], ["other", "other", "#8b93a1"]];
  var STEPS = [0, 25, 50, 100, 150, 250, 500, 1000, 2000, 4000, 8000];
  var FONT = "11px system-ui, -apple-system, \"Segoe UI\", sans-serif";
  var vscode = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
  var $ = function (id) { return document.getElementById(id); };
  var canvas = $("graph"), ctx = canvas.getContext("2d"), tip = $("tip"), panel = $("panel");
  var search = $("search"), results = $("results"), slider = $("links"), colourSelect = $("colour");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.type"));

  var clusters = data.clusters || [], groups = data.groups || [];
  var nodes = data.nodes.map(function (n, i) {
    return { i: i, p: n.p, d: n.d, l: n.l, r0: n.r, c: n.c || 0, s: n.s || 0, name: n.p.split("/").pop(), x: 0, y: 0, r: 3 };
  });
  if (!clusters.length && nodes.length) { clusters = [{ name: ".", g: 0, n: nodes.length }]; groups = ["."]; }
  var edges = data.edges, cells = [];
  var adj = nodes.map(function () { return []; });
  edges.forEach(function (e, k) { adj[e.s].push(k); adj[e.t].push(k); });
  // Labels go to the files with most links, those with a name of their own first (a box full of
  // "__init__.py" labels says little; its folder's name is on the box).
  var names = {};
  nodes.forEach(function (n) { names[n.name] = (names[n.name] || 0) + 1; });
  var byImportance = nodes.slice().sort(function (a, b) {
    return (names[a.name] > 1) - (names[b.name] > 1) || b.s - a.s || a.i - b.i;
  });
  var firstEdges = typeof data.first_edges === "number" ? data.first_edges : Math.min(150, edges.length);

  var state = { on: { temporal: true, spatial: true, semantic: true }, q: "", selected: -1, shown: firstEdges,
                colour: groups.length <= PALETTE.length ? "folder" : "role" };
  var view = { scale: 1, tx: 0, ty: 0 };
  var visibleEdges = [], visibleNodes = [], shownNodes = new Uint8Array(nodes.length), matches = [];
  var hit = new Uint8Array(nodes.length), near = new Uint8Array(nodes.length), focusEdges = [];

  // --- colours ---
  function folderColour(g) { return g < PALETTE.length ? PALETTE[g] : OTHER; }
  var roleColour = {};
  ROLES.forEach(function (r) { roleColour[r[0]] = r[2]; });
  function paint() {
    nodes.forEach(function (n) {
      n.color = state.colour === "role" ? roleColour[n.r0] || OTHER : folderColour((clusters[n.c] || { g: 0 }).g);
    });
    var keys = $("colour-keys");
    keys.innerHTML = "";
    var entries = state.colour === "role" ? ROLES.map(function (r) { return [r[1], r[2]]; })
      : groups.slice(0, PALETTE.length).map(function (g, i) { return [g === "." ? "(top level)" : g + "/", PALETTE[i]]; });
    if (state.colour === "folder" && groups.length > PALETTE.length) entries.push([(groups.length - PALETTE.length) + " more folders", OTHER]);
    entries.forEach(function (e) {
      var k = document.createElement("span"), dot = document.createElement("span");
      k.className = "key"; dot.className = "dot"; dot.style.background = e[1];
      k.appendChild(dot); k.appendChild(document.createTextNode(e[0])); keys.appendChild(k);
    });
    $("colour-title").textContent = state.colour === "role" ? "Files by kind" : "Files by top folder";
    colourSelect.value = state.colour;
    document.body.dataset.colour = state.colour;
  }

  // --- what is shown ---
  function stepIndex(n) {
    for (var i = 0; i < STEPS.length; i++) if (STEPS[i] >= n) return i;
    return STEPS.length;
  }
  function update() {
    var enabled = edges.filter(function (e) { return state.on[e.y]; });
    visibleEdges = enabled.slice(0, state.shown);
    var seen = new Uint8Array(nodes.length), counts = { temporal: 0, spatial: 0, semantic: 0 };
    enabled.forEach(function (e) { seen[e.s] = 1; seen[e.t] = 1; });
    visibleEdges.forEach(function (e) { counts[e.y] += 1; });
    var anyOn = TYPES.some(function (t) { return state.on[t]; });
    // Files with no link stay visible while every relation type is on (isolated files exist).
    var all = TYPES.every(function (t) { return state.on[t]; });
    visibleNodes = nodes.filter(function (n) { return all || (anyOn && seen[n.i]); });
    shownNodes.fill(0);
    visibleNodes.forEach(function (n) { shownNodes[n.i] = 1; });
    var q = state.q.toLowerCase();
    matches = q ? visibleNodes.filter(function (n) { return n.p.toLowerCase().indexOf(q) >= 0; }) : [];
    matches.sort(function (a, b) { return rank(a, q) - rank(b, q) || b.s - a.s || a.i - b.i; });
    hit.fill(0);
    matches.forEach(function (n) { hit[n.i] = 1; });
    setText("stat-nodes", visibleNodes.length); setText("stat-edges", visibleEdges.length); setText("stat-total", enabled.length);
    TYPES.forEach(function (t) { setText("stat-" + t, counts[t]); });
    setText("stat-matches", matches.length);
    $("stat-match-wrap").style.display = q ? "" : "none";
    var shownAll = state.shown >= enabled.length;
    slider.max = String(stepIndex(enabled.length)); slider.value = String(shownAll ? slider.max : stepIndex(state.shown));
    setText("links-value", shownAll ? "all" : "strongest " + visibleEdges.length);
    var b = document.body.dataset;
    b.nodes = visibleNodes.length; b.edges = visibleEdges.length; b.matches = matches.length;
    b.types = TYPES.filter(function (t) { return state.on[t]; }).join(",");
    boxes.forEach(function (x) { x.checked = !!state.on[x.value]; });
    if (search.value !== state.q) search.value = state.q;
    showResults();
    focus(state.selected);
  }

  function rank(n, q) { var name = n.name.toLowerCase(); return name.indexOf(q) === 0 ? 0 : name.indexOf(q) >= 0 ? 1 : 2; }
  function setText(id, v) { $(id).textContent = String(v); }

  // The selected file: all of its shown-type links, and its neighbours lit.
  function focus(i) {
    near.fill(0); focusEdges = [];
    if (i >= 0) {
      focusEdges = adj[i].map(function (k) { return edges[k]; }).filter(function (e) { return state.on[e.y]; });
      focusEdges.forEach(function (e) { near[e.s] = 1; near[e.t] = 1; });
    }
    draw();
  }

  // --- drawing ---
  function draw() {
    var started = performance.now(), dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalAlpha = 1; ctx.fillStyle = "#11151c"; ctx.fillRect(0, 0, w, h);
    var sel = state.selected, dimming = matches.length > 0 || sel >= 0, k = view.scale;
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * view.tx, dpr * view.ty);
    cells.forEach(function (b) {
      if (!b.n) return;
      var c = state.colour === "role" ? "#8b93a1" : folderColour(b.g);
      ctx.fillStyle = c; ctx.globalAlpha = 0.06; roundRect(b.x, b.y, b.w, b.h, 4); ctx.fill();
      ctx.strokeStyle = c; ctx.globalAlpha = 0.3; ctx.lineWidth = 1 / k; ctx.stroke();
    });
    var count = visibleEdges.length;
    visibleEdges.forEach(function (e, j) {
      var lit = dimming && (e.s === sel || e.t === sel || hit[e.s] || hit[e.t]);
      strokeEdge(e, dimming && !lit ? 0.07 : 0.85 - 0.45 * j / Math.max(1, count), (lit ? 2.2 : 1.6 - 0.8 * j / Math.max(1, count)) / k);
    });
    focusEdges.forEach(function (e) { strokeEdge(e, 0.9, 2.2 / k); });
    // Dots in one path per colour and brightness: thousands of arcs cost one fill each.
    var batches = {}, rs = 1 / Math.sqrt(k);
    visibleNodes.forEach(function (n) {
      var on = !dimming || hit[n.i] || near[n.i] || n.i === sel, key = n.color + (on ? "1" : "0");
      (batches[key] = batches[key] || { c: n.color, a: on ? 1 : 0.22, list: [] }).list.push(n);
    });
    Object.keys(batches).forEach(function (key) {
      var bt = batches[key];
      ctx.fillStyle = bt.c; ctx.globalAlpha = bt.a; ctx.beginPath();
      bt.list.forEach(function (n) { var r = n.r * rs; ctx.moveTo(n.x + r, n.y); ctx.arc(n.x, n.y, r, 0, 2 * Math.PI); });
      ctx.fill();
    });
    ctx.globalAlpha = 1; ctx.strokeStyle = "#fff"; ctx.lineWidth = 2 / k;
    visibleNodes.forEach(function (n) {
      if (n.i === sel || hit[n.i]) { ctx.beginPath(); ctx.arc(n.x, n.y, n.r * rs * 1.5, 0, 2 * Math.PI); ctx.stroke(); }
    });
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    document.body.dataset.labels = drawLabels(w, h, dimming);
    document.body.dataset.drawMs = Math.round(performance.now() - started);
  }

  function strokeEdge(e, alpha, width) {
    var s = nodes[e.s], t = nodes[e.t], mx = (s.x + t.x) / 2, my = (s.y + t.y) / 2;
    // A slight bend, always to the same side: links between neighbouring boxes do not overlap.
    var bx = mx - (t.y - s.y) * 0.12, by = my + (t.x - s.x) * 0.12;
    ctx.globalAlpha = alpha; ctx.strokeStyle = COLOR[e.y]; ctx.lineWidth = width;
    ctx.beginPath(); ctx.moveTo(s.x, s.y); ctx.quadraticCurveTo(bx, by, t.x, t.y); ctx.stroke();
  }

  function roundRect(x, y, w, h, r) {
    r = Math.min(r, w / 2, h / 2);
    ctx.beginPath(); ctx.moveTo(x + r, y); ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath();
  }

  /* Folder names in their boxes, then file names where they fit: the selected file, matches and
     neighbours first, then the files with most links. Screen space, no overlaps. Returns how many. */
  function drawLabels(w, h, dimming) {
    ctx.font = FONT; ctx.textBaseline = "middle"; ctx.lineJoin = "round";
    var placed = new Occupancy(), k = view.scale, count = 0;
    cells.forEach(function (b) {
      var sx = b.x * k + view.tx, sy = b.y * k + view.ty, sw = b.w * k;
      if (!b.n || sx > w || sy > h || sx + sw < 0 || sy + b.h * k < 0 || b.h * k < 26 || sw < 40) return;
      // The folder's name (bold; plain and smaller in a narrow box; its end kept when still too
      // long), and its file count when there is room.
      var name = b.name.replace(/^\.(?= \u00b7 |$)/, "(top level)"), bold = "600 " + FONT, small = "10px system-ui, sans-serif";
      ctx.font = bold;
      if (ctx.measureText(name).width > sw - 8) { ctx.font = small; bold = small; }
      var text = fitText(name, sw - 8), tw = ctx.measureText(text).width;
      ctx.font = FONT;
      var files = String(b.n), cw = ctx.measureText(files).width, withCount = tw + 6 + cw <= sw - 12;
      ctx.globalAlpha = dimming ? 0.5 : 1;
      ctx.fillStyle = state.colour === "role" ? "#c9ced6" : folderColour(b.g);
      ctx.font = bold; ctx.fillText(text, sx + 5, sy + 10);
      ctx.font = FONT; ctx.fillStyle = "#8b93a1";
      if (withCount) ctx.fillText(files, sx + 5 + tw + 6, sy + 10);
      placed.add(sx, sy + 2, Math.min(sw, tw + (withCount ? cw + 6 : 0) + 12), 16);
    });
    ctx.globalAlpha = 1;
    var budget = Math.max(12, Math.min(160, Math.round(w * h / 9000))), general = 0;
    var want = [], sel = state.selected;
    if (sel >= 0) want.push(nodes[sel]);
    matches.slice(0, 50).forEach(function (n) { want.push(n); });
    if (sel >= 0) nodes.forEach(function (n) { if (near[n.i] && n.i !== sel) want.push(n); });
    var priority = want.length;
    want = want.concat(byImportance);
    for (var j = 0; j < want.length; j++) {
      var n = want[j];
      if (!shownNodes[n.i]) continue;
      if (j >= priority && (general >= budget || (dimming && !near[n.i] && !hit[n.i]))) break;
      var r = n.r / Math.sqrt(k), x = n.x * k + view.tx + r + 3, y = n.y * k + view.ty;
      if (n.lw === undefined) n.lw = ctx.measureText(n.name).width;
      if (x < 0 || y < 6 || x + n.lw > w || y > h - 6) continue;
      if (placed.hits(x - 1, y - 7, n.lw + 2, 14)) continue;
      placed.add(x - 1, y - 7, n.lw + 2, 14);
      ctx.strokeStyle = "#11151c"; ctx.lineWidth = 3; ctx.strokeText(n.name, x, y);
      ctx.fillStyle = j < priority ? "#ffffff" : "#e6e9ef"; ctx.fillText(n.name, x, y);
      count += 1; if (j >= priority) general += 1;
    }
    return count;
  }

  function fitText(text, width) {
    if (ctx.measureText(text).width <= width) return text;
    while (text.length > 2 && ctx.measureText("\u2026" + text).width > width) text = text.slice(1);
    return "\u2026" + text;
  }

  /* Boxes already taken on screen, bucketed by 64 px cells. */
  function Occupancy() { this.grid = {}; }
  Occupancy.prototype.each = function (x, y, w, h, fn) {
    for (var gx = Math.floor(x / 64); gx <= Math.floor((x + w) / 64); gx++) {
      for (var gy = Math.floor(y / 64); gy <= Math.floor((y + h) / 64); gy++) { if (fn(gx + "," + gy)) return true; }
    }
    return false;
  };
  Occupancy.prototype.add = function (x, y, w, h) {
    var grid = this.grid, box = [x, y, w, h];
    this.each(x, y, w, h, function (key) { (grid[key] = grid[key] || []).push(box); return false; });
  };
  Occupancy.prototype.hits = function (x, y, w, h) {
    var grid = this.grid;
    return this.each(x, y, w, h, function (key) {
      return (grid[key] || []).some(function (b) { return x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h; });
    });
  };

  // --- search results ---
  function showResults() {
    results.innerHTML = "";
    if (!state.q || document.activeElement !== search) { results.className = ""; return; }
    matches.slice(0, 10).forEach(function (n, j) {
      var li = document.createElement("li"), dir = document.createElement("span");
      li.setAttribute("role", "option"); if (j === 0) li.className = "active";
      li.appendChild(document.createTextNode(n.name + "  "));
      dir.className = "dir"; dir.textContent = n.d === "." ? "" : n.d; li.appendChild(dir);
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); goTo(n.i); });
      results.appendChild(li);
    });
    results.className = matches.length ? "open" : "";
  }

  function goTo(i) {
    var n = nodes[i], s = Math.max(view.scale, nodes.length > 400 ? 3 : 1.5);
    view.scale = s; view.tx = canvas.clientWidth / 2 - n.x * s; view.ty = canvas.clientHeight / 2 - n.y * s;
    results.className = ""; search.blur(); select(i);
  }

  // --- interaction ---
  function toWorld(ev) {
    var rect = canvas.getBoundingClientRect();
    return { x: (ev.clientX - rect.left - view.tx) / view.scale, y: (ev.clientY - rect.top - view.ty) / view.scale };
  }
  function nodeAt(ev) {
    var p = toWorld(ev), best = -1, reach = 6 / view.scale, bestD = Infinity;
    visibleNodes.forEach(function (n) {
      var d = (n.x - p.x) * (n.x - p.x) + (n.y - p.y) * (n.y - p.y), r = n.r / Math.sqrt(view.scale) + reach;
      if (d < r * r && d < bestD) { bestD = d; best = n.i; }
    });
    return best;
  }

  function absolute(path) { return data.root.replace(/\/$/, "") + "/" + path; }

  function openFile(path) {
    var abs = absolute(path);
    if (vscode) { vscode.postMessage({ command: "open", path: abs, relative: path }); return; }
    if (window.parent && window.parent !== window) {
      window.parent.postMessage({ type: "vjepa.open", path: abs, relative: path }, "*"); return;
    }
    window.location.href = "vscode://file" + encodeURI(abs.charAt(0) === "/" ? abs : "/" + abs);
  }

  function select(i) {
    state.selected = i;
    if (i < 0) { panel.className = ""; panel.innerHTML = ""; delete document.body.dataset.selected; focus(-1); return; }
    var n = nodes[i], abs = absolute(n.p);
    // Strongest first, the types taking turns (the order of the data).
    var items = adj[i].map(function (k) { return edges[k]; }).filter(function (e) { return state.on[e.y]; });
    panel.innerHTML = "";
    var close = document.createElement("button"); close.className = "close"; close.textContent = "\u00d7";
    close.title = "Close"; close.addEventListener("click", function () { select(-1); }); panel.appendChild(close);
    var h = document.createElement("h2"); h.textContent = n.p; panel.appendChild(h);
    var meta = document.createElement("div"); meta.className = "kind";
    meta.textContent = (n.l || "text") + " \u00b7 " + n.r0 + " \u00b7 " + items.length + " links"; panel.appendChild(meta);
    // In a VS Code webview the host follows any href as well as the page's own message: no href there.
    var open = document.createElement("a"); open.href = vscode ? "#" : "vscode://file" + encodeURI(abs);
    open.textContent = "Open";
    open.id = "open-link";
    open.addEventListener("click", function (ev) { ev.preventDefault(); openFile(n.p); });
    panel.appendChild(open);
    var ul = document.createElement("ul");
    items.slice(0, 40).forEach(function (e) {
      var other = e.s === i ? e.t : e.s, li = document.createElement("li");
      li.textContent = nodes[other].p + " ";
      var k = document.createElement("span"); k.className = "kind"; k.textContent = e.y + ": " + e.label;
      li.appendChild(k); li.addEventListener("click", function () { select(other); }); ul.appendChild(li);
    });
    panel.appendChild(ul); panel.className = "open"; document.body.dataset.selected = n.p;
    focus(i);
  }

  var drag = null, pending = false;
  function redraw() { if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; draw(); }); } }
  canvas.addEventListener("mousedown", function (ev) { drag = { x: ev.clientX, y: ev.clientY, tx: view.tx, ty: view.ty, moved: false }; });
  window.addEventListener("mousemove", function (ev) {
    if (drag) {
      var mx = ev.clientX - drag.x, my = ev.clientY - drag.y;
      if (Math.abs(mx) + Math.abs(my) > 3) drag.moved = true;
      if (drag.moved) { view.tx = drag.tx + mx; view.ty = drag.ty + my; redraw(); }
      return;
    }
    if (ev.target !== canvas) { tip.style.display = "none"; return; }
    var i = nodeAt(ev);
    if (i >= 0) {
      tip.style.display = "block"; tip.textContent = nodes[i].p;
      tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 4) + "px";
      tip.style.top = (ev.clientY + 14) + "px"; canvas.style.cursor = "pointer";
    } else { tip.style.display = "none"; canvas.style.cursor = "grab"; }
  });
  window.addEventListener("mouseup", function (ev) {
    if (drag && !drag.moved && ev.target === canvas) select(nodeAt(ev));
    drag = null;
  });
  canvas.addEventListener("dblclick", function (ev) { var i = nodeAt(ev); if (i >= 0) openFile(nodes[i].p); });
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var rect = canvas.getBoundingClientRect(), mx = ev.clientX - rect.left, my = ev.clientY - rect.top;
    var s = Math.max(0.5, Math.min(40, view.scale * Math.exp(-ev.deltaY * 0.0015)));
    view.tx = mx - (mx - view.tx) * s / view.scale; view.ty = my - (my - view.ty) * s / view.scale; view.scale = s;
    redraw();
  }, { passive: false });
  boxes.forEach(function (b) { b.addEventListener("change", function () { state.on[b.value] = b.checked; update(); }); });
  slider.addEventListener("input", function () {
    var j = +slider.value;
    state.shown = j >= +slider.max ? edges.length : STEPS[j]; update();
  });
  colourSelect.addEventListener("change", function () { state.colour = colourSelect.value; paint(); draw(); });
  search.addEventListener("input", function () { state.q = search.value.trim(); update(); });
  search.addEventListener("focus", showResults);
  search.addEventListener("blur", function () { results.className = ""; });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && matches.length) goTo(matches[0].i);
    if (ev.key === "Escape") { state.q = ""; update(); }
  });
  window.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== search) { ev.preventDefault(); search.focus(); }
    if (ev.key === "Escape" && document.activeElement !== search) select(-1);
  });
  window.addEventListener("resize", function () { place(); draw(); });

  function fromHash() {
    var params = {};
    window.location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var j = kv.indexOf("="); if (j > 0) params[kv.slice(0, j)] = decodeURIComponent(kv.slice(j + 1));
    });
    if ("types" in params) {
      var want = params.types.split(",");
      TYPES.forEach(function (t) { state.on[t] = want.indexOf(t) >= 0; });
    }
    if ("q" in params) state.q = params.q;
    if ("edges" in params) state.shown = params.edges === "all" ? edges.length : Math.max(0, parseInt(params.edges, 10) || 0);
    if (params.colour === "folder" || params.colour === "role") { state.colour = params.colour; paint(); }
    update();
    if ("select" in params) {
      var found = nodes.filter(function (n) { return n.p === params.select; })[0];
      if (found) select(found.i);
    }
  }
  window.addEventListener("hashchange", fromHash);
  // A host can drive the page too: {type: "vjepa.filter", types: [...], q: "..."}
  window.addEventListener("message", function (ev) {
    var m = ev.data || {};
    if (m.type === "vjepa.filter") {
      if (m.types) TYPES.forEach(function (t) { state.on[t] = m.types.indexOf(t) >= 0; });
      if (typeof m.q === "string") state.q = m.q;
      update();
    }
  });

  /* The canvas fills the window between the bar and the legend (both may wrap); the layout fills the canvas. */
  function place() {
    var top = $("bar").offsetHeight, bottom = $("legend").offsetHeight;
    canvas.style.top = top + "px"; canvas.style.height = Math.max(50, window.innerHeight - top - bottom) + "px";
    panel.style.top = (top + 10) + "px"; panel.style.maxHeight = Math.max(120, window.innerHeight - top - bottom - 20) + "px";
    var started = performance.now();
    cells = VjepaLayout.layout({ clusters: clusters, groups: groups }, nodes, edges, canvas.clientWidth, canvas.clientHeight);
    document.body.dataset.layoutMs = Math.round(performance.now() - started);
    view = { scale: 1, tx: 0, ty: 0 };
    nodes.forEach(function (n) { n.lw = undefined; });
  }
  paint();
  place();
  $("empty").style.display = nodes.length ? "none" : "block";
  fromHash();
  var b = document.body.dataset;
  b.clusters = clusters.length; b.total = nodes.length + "/" + edges.length; b.first = firstEdges;
  b.renderMs = Math.round(performance.now());  // from navigation: loading the page included
  b.scriptMs = Math.round(performance.now() - scriptStart);
  b.ready = "1";
})();
