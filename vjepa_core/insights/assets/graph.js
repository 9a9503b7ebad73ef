/* VJEPA knowledge graph: a canvas force layout with search, relation filters and click-to-open.
   No libraries and no network. State can also come from the URL hash, so a host (or a test) can
   open the page pre-filtered: #types=temporal,semantic&q=utils&select=path/to/file.py */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vjepa-data").textContent);
  var TYPES = ["temporal", "spatial", "semantic"];
  var COLOR = { temporal: "#e4572e", spatial: "#4c9f70", semantic: "#3f88c5" };
  var PALETTE = ["#f2c14e", "#9b5de5", "#00bbf9", "#f15bb5", "#00f5d4", "#fee440", "#ff924c",
                 "#8ac926", "#c77dff", "#4cc9f0", "#ffadad", "#caffbf"];
  var vscode = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
  var canvas = document.getElementById("graph");
  var ctx = canvas.getContext("2d");
  var tip = document.getElementById("tip");
  var panel = document.getElementById("panel");
  var search = document.getElementById("search");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.type"));

  var nodes = data.nodes.map(function (n, i) { return { i: i, p: n.p, d: n.d, l: n.l, r: n.r, x: 0, y: 0 }; });
  var edges = data.edges;
  var groups = {};
  nodes.forEach(function (n) { var top = n.p.indexOf("/") > 0 ? n.p.split("/")[0] : "."; n.g = top;
    if (!(top in groups)) groups[top] = Object.keys(groups).length; });
  nodes.forEach(function (n) { n.color = PALETTE[groups[n.g] % PALETTE.length]; });
  var adj = nodes.map(function () { return []; });
  edges.forEach(function (e, k) { adj[e.s].push(k); adj[e.t].push(k); });

  var state = { on: { temporal: true, spatial: true, semantic: true }, q: "", selected: -1 };
  var view = { scale: 1, tx: 0, ty: 0 };
  var visibleEdges = [], visibleNodes = [], matches = [];

  // --- layout: Fruchterman-Reingold with cooling, deterministic start by top-level folder ---
  function layout() {
    var n = nodes.length; if (!n) return;
    var size = 1000, k = Math.sqrt(size * size / n) * 0.8;
    var deg = adj.map(function (a) { return Math.sqrt(1 + a.length); });
    var names = Object.keys(groups), G = names.length;
    var members = {};
    nodes.forEach(function (nd) { (members[nd.g] = members[nd.g] || []).push(nd); });
    names.forEach(function (g, gi) {
      var a = 2 * Math.PI * gi / G, cx = G > 1 ? Math.cos(a) * size / 3 : 0, cy = G > 1 ? Math.sin(a) * size / 3 : 0;
      members[g].forEach(function (nd, j) {
        var b = 2.399963 * j, r = 12 * Math.sqrt(j + 1);
        nd.x = cx + Math.cos(b) * r; nd.y = cy + Math.sin(b) * r;
      });
    });
    var iters = Math.max(60, Math.min(350, Math.round(2e8 / (n * n + 1))));
    var dx = new Float64Array(n), dy = new Float64Array(n);
    for (var it = 0; it < iters; it++) {
      var temp = size / 10 * (1 - it / iters) + 1;
      dx.fill(0); dy.fill(0);
      for (var a1 = 0; a1 < n; a1++) {
        var u = nodes[a1];
        for (var b1 = a1 + 1; b1 < n; b1++) {
          var v = nodes[b1], ex = u.x - v.x, ey = u.y - v.y, d2 = ex * ex + ey * ey + 0.01;
          var f = k * k / d2;
          dx[a1] += ex * f; dy[a1] += ey * f; dx[b1] -= ex * f; dy[b1] -= ey * f;
        }
      }
      for (var e1 = 0; e1 < edges.length; e1++) {
        var ed = edges[e1], s = nodes[ed.s], t = nodes[ed.t];
        var fx = s.x - t.x, fy = s.y - t.y, dist = Math.sqrt(fx * fx + fy * fy) + 0.01;
        // Hubs are pulled less per edge, or a busy file would swallow its neighbourhood.
        var pull = dist / k * (0.5 + Math.min(1, ed.w)) / Math.min(deg[ed.s], deg[ed.t]);
        dx[ed.s] -= fx * pull; dy[ed.s] -= fy * pull; dx[ed.t] += fx * pull; dy[ed.t] += fy * pull;
      }
      for (var c1 = 0; c1 < n; c1++) {
        var nd = nodes[c1];
        dx[c1] -= nd.x * 0.08; dy[c1] -= nd.y * 0.08;  // gravity keeps islands near
        var len = Math.sqrt(dx[c1] * dx[c1] + dy[c1] * dy[c1]) + 1e-9, step = Math.min(len, temp);
        nd.x += dx[c1] / len * step; nd.y += dy[c1] / len * step;
      }
    }
  }

  function fit() {
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (!nodes.length) { view = { scale: 1, tx: w / 2, ty: h / 2 }; return; }
    // Fit the bulk of the graph (2nd to 98th percentile), so one far island does not shrink the rest.
    var xs = nodes.map(function (n) { return n.x; }).sort(function (a, b) { return a - b; });
    var ys = nodes.map(function (n) { return n.y; }).sort(function (a, b) { return a - b; });
    var lo = nodes.length > 30 ? Math.floor(nodes.length * 0.02) : 0, hi = nodes.length - 1 - lo;
    var minX = xs[lo], maxX = xs[hi], minY = ys[lo], maxY = ys[hi];
    // A margin for labels and the side panel (up to 340 px wide), and no huge zoom on tiny graphs.
    var s = Math.min((w - 360) / (maxX - minX + 1), (h - 140) / (maxY - minY + 1));
    view.scale = Math.max(Math.min(s, 2), 0.05);
    view.tx = (w - 340) / 2 - (minX + maxX) / 2 * view.scale; view.ty = (h + 50) / 2 - (minY + maxY) / 2 * view.scale;
  }

  // --- state -> what is shown ---
  function update() {
    visibleEdges = edges.filter(function (e) { return state.on[e.y]; });
    var seen = new Uint8Array(nodes.length), counts = { temporal: 0, spatial: 0, semantic: 0 };
    visibleEdges.forEach(function (e) { seen[e.s] = 1; seen[e.t] = 1; counts[e.y] += 1; });
    var anyOn = TYPES.some(function (t) { return state.on[t]; });
    // Files with no shown link stay visible while every relation type is on (isolated files exist).
    var all = TYPES.every(function (t) { return state.on[t]; });
    visibleNodes = nodes.filter(function (n) { return all || (anyOn && seen[n.i]); });
    var q = state.q.toLowerCase();
    matches = q ? visibleNodes.filter(function (n) { return n.p.toLowerCase().indexOf(q) >= 0; }) : [];
    setText("stat-nodes", visibleNodes.length); setText("stat-edges", visibleEdges.length);
    TYPES.forEach(function (t) { setText("stat-" + t, counts[t]); });
    setText("stat-matches", matches.length);
    document.getElementById("stat-match-wrap").style.display = q ? "" : "none";
    var b = document.body.dataset;
    b.nodes = visibleNodes.length; b.edges = visibleEdges.length; b.matches = matches.length;
    b.types = TYPES.filter(function (t) { return state.on[t]; }).join(",");
    boxes.forEach(function (x) { x.checked = !!state.on[x.value]; });
    if (search.value !== state.q) search.value = state.q;
    draw();
  }

  function setText(id, v) { document.getElementById(id).textContent = String(v); }

  function draw() {
    var dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#11151c"; ctx.fillRect(0, 0, w, h);
    ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.tx, dpr * view.ty);
    var focus = state.selected >= 0 ? state.selected : -1, hit = {};
    matches.forEach(function (n) { hit[n.i] = 1; });
    var dimming = matches.length > 0 || focus >= 0;
    visibleEdges.forEach(function (e) {
      var s = nodes[e.s], t = nodes[e.t], near = e.s === focus || e.t === focus || hit[e.s] || hit[e.t];
      ctx.globalAlpha = dimming && !near ? 0.12 : 0.35 + 0.5 * Math.min(1, e.w);
      ctx.strokeStyle = COLOR[e.y]; ctx.lineWidth = (near && dimming ? 2.2 : 1.2) / view.scale;
      ctx.beginPath(); ctx.moveTo(s.x, s.y); ctx.lineTo(t.x, t.y); ctx.stroke();
    });
    var r = 5 / Math.sqrt(view.scale);
    visibleNodes.forEach(function (n) {
      var on = !dimming || hit[n.i] || n.i === focus || isNeighbour(n.i, focus);
      ctx.globalAlpha = on ? 1 : 0.25; ctx.fillStyle = n.color;
      ctx.beginPath(); ctx.arc(n.x, n.y, (hit[n.i] || n.i === focus ? 1.8 : 1) * r, 0, 2 * Math.PI); ctx.fill();
      if (n.i === focus || hit[n.i]) { ctx.lineWidth = 2 / view.scale; ctx.strokeStyle = "#fff"; ctx.stroke(); }
    });
    ctx.globalAlpha = 1; ctx.fillStyle = "#e6e9ef"; ctx.font = (12 / view.scale) + "px system-ui, sans-serif";
    var label = visibleNodes.length <= 40 || view.scale > 2.5;
    visibleNodes.forEach(function (n) {
      if (label || hit[n.i] || n.i === focus) ctx.fillText(n.p.split("/").pop(), n.x + 1.6 * r, n.y + 4 / view.scale);
    });
  }

  function isNeighbour(i, j) {
    if (j < 0) return false;
    return adj[j].some(function (k) { var e = edges[k]; return state.on[e.y] && (e.s === i || e.t === i); });
  }

  // --- interaction ---
  function toWorld(ev) {
    var rect = canvas.getBoundingClientRect();
    return { x: (ev.clientX - rect.left - view.tx) / view.scale, y: (ev.clientY - rect.top - view.ty) / view.scale };
  }
  function nodeAt(ev) {
    var p = toWorld(ev), best = -1, bestD = Math.pow(10 / view.scale + 4, 2);
    visibleNodes.forEach(function (n) { var d = (n.x - p.x) * (n.x - p.x) + (n.y - p.y) * (n.y - p.y);
      if (d < bestD) { bestD = d; best = n.i; } });
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
    if (i < 0) { panel.className = ""; panel.innerHTML = ""; draw(); return; }
    var n = nodes[i], abs = absolute(n.p);
    var items = adj[i].map(function (k) { return edges[k]; }).filter(function (e) { return state.on[e.y]; })
      .sort(function (a, b) { return b.w - a.w; });
    panel.innerHTML = "";
    var h = document.createElement("h2"); h.textContent = n.p; panel.appendChild(h);
    var meta = document.createElement("div"); meta.className = "kind";
    meta.textContent = (n.l || "text") + " \u00b7 " + n.r + " \u00b7 " + items.length + " links"; panel.appendChild(meta);
    // In a VS Code webview the host follows any href as well as the page's own message: no href there.
    var open = document.createElement("a"); open.href = vscode ? "#" : "vscode://file" + encodeURI(abs);
    open.textContent = "Open";
    open.id = "open-link";
    open.addEventListener("click", function (ev) { ev.preventDefault(); openFile(n.p); });
    panel.appendChild(open);
    var ul = document.createElement("ul");
    items.slice(0, 30).forEach(function (e) {
      var other = e.s === i ? e.t : e.s, li = document.createElement("li");
      li.textContent = nodes[other].p + " ";
      var k = document.createElement("span"); k.className = "kind"; k.textContent = e.y + ": " + e.label;
      li.appendChild(k); li.addEventListener("click", function () { select(other); }); ul.appendChild(li);
    });
    panel.appendChild(ul); panel.className = "open"; document.body.dataset.selected = n.p;
    draw();
  }

  var drag = null;
  canvas.addEventListener("mousedown", function (ev) {
    var i = nodeAt(ev);
    drag = { i: i, x: ev.clientX, y: ev.clientY, tx: view.tx, ty: view.ty, moved: false };
  });
  window.addEventListener("mousemove", function (ev) {
    if (drag) {
      var mx = ev.clientX - drag.x, my = ev.clientY - drag.y;
      if (Math.abs(mx) + Math.abs(my) > 3) drag.moved = true;
      if (drag.moved && drag.i >= 0) { var p = toWorld(ev); nodes[drag.i].x = p.x; nodes[drag.i].y = p.y; draw(); }
      else if (drag.moved) { view.tx = drag.tx + mx; view.ty = drag.ty + my; draw(); }
      return;
    }
    var i = nodeAt(ev);
    if (i >= 0) { tip.style.display = "block"; tip.textContent = nodes[i].p;
      tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px"; canvas.style.cursor = "pointer"; }
    else { tip.style.display = "none"; canvas.style.cursor = "grab"; }
  });
  window.addEventListener("mouseup", function () {
    if (drag && !drag.moved) select(drag.i);
    drag = null;
  });
  canvas.addEventListener("dblclick", function (ev) { var i = nodeAt(ev); if (i >= 0) openFile(nodes[i].p); });
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var rect = canvas.getBoundingClientRect(), mx = ev.clientX - rect.left, my = ev.clientY - rect.top;
    var f = Math.exp(-ev.deltaY * 0.0015), s = Math.max(0.05, Math.min(20, view.scale * f));
    view.tx = mx - (mx - view.tx) * s / view.scale; view.ty = my - (my - view.ty) * s / view.scale; view.scale = s;
    draw();
  }, { passive: false });
  boxes.forEach(function (b) { b.addEventListener("change", function () { state.on[b.value] = b.checked; update(); }); });
  search.addEventListener("input", function () { state.q = search.value.trim(); update(); });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && matches.length) {
      var n = matches[0]; view.tx = canvas.clientWidth / 2 - n.x * view.scale;
      view.ty = canvas.clientHeight / 2 - n.y * view.scale; select(n.i);
    }
  });
  window.addEventListener("resize", function () { placeCanvas(); fit(); draw(); });

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

  function placeCanvas() {  // the bar may wrap on narrow windows: the canvas starts below it
    var top = document.getElementById("bar").offsetHeight;
    canvas.style.top = top + "px"; canvas.style.height = "calc(100% - " + top + "px)";
    panel.style.top = (top + 12) + "px";
  }
  placeCanvas();
  document.getElementById("empty").style.display = nodes.length ? "none" : "block";
  layout(); fit(); fromHash();
  document.body.dataset.ready = "1";
  document.body.dataset.total = nodes.length + "/" + edges.length;
})();
