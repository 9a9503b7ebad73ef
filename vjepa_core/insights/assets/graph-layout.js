/* VJEPA graph layout: folders as a squarified treemap that fills the drawing area, each file in its
   folder's box (a sunflower, most linked files in the middle, then a short relaxation that pulls
   linked files of the folder together). Deterministic, and O(files) but for the per-folder step,
   which is small: fast at 5,000 files. Positions are in CSS pixels of the drawing area. */
var VjepaLayout = (function () {
  "use strict";
  var GROUP_GAP = 5, CELL_GAP = 2, HEADER = 17, PAD = 5, GOLDEN = 2.399963;

  /* Squarified treemap (Bruls, Huizing, van Wijk): `values` sorted descending -> near-square rects. */
  function squarify(values, x, y, w, h) {
    var n = values.length, out = new Array(n), total = 0, i;
    for (i = 0; i < n; i++) total += values[i];
    if (!n || total <= 0 || w <= 0 || h <= 0) {
      for (i = 0; i < n; i++) out[i] = { x: x, y: y, w: Math.max(0, w), h: Math.max(0, h) };
      return out;
    }
    var scale = w * h / total;
    i = 0;
    while (i < n) {
      var side = Math.min(w, h), sum = 0, hi = 0, lo = Infinity, worst = Infinity, j = i;
      while (j < n) {
        var a = values[j] * scale, s2 = sum + a, nhi = Math.max(hi, a), nlo = Math.min(lo, a);
        var next = Math.max(side * side * nhi / (s2 * s2), s2 * s2 / (side * side * nlo));
        if (j > i && next > worst) break;
        worst = next; sum = s2; hi = nhi; lo = nlo; j++;
      }
      var thick = sum / side, at = 0;
      for (var k = i; k < j; k++) {
        var len = values[k] * scale / thick;
        out[k] = w >= h ? { x: x, y: y + at, w: thick, h: len } : { x: x + at, y: y, w: len, h: thick };
        at += len;
      }
      if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
      i = j;
    }
    return out;
  }

  function inset(r, d) {
    return { x: r.x + d, y: r.y + d, w: Math.max(0, r.w - 2 * d), h: Math.max(0, r.h - 2 * d) };
  }

  function byWeight(weights) {
    return weights.map(function (_, i) { return i; })
      .sort(function (a, b) { return weights[b] - weights[a] || a - b; });
  }

  /* Push apart the files closer than `gap`: every pair in a small folder, neighbouring buckets of a
     gap-sized grid in a big one (linear in the folder's size). */
  function separate(members, gap) {
    var m = members.length, i;
    function push(n, o, i, j) {
      var ex = o.x - n.x, ey = o.y - n.y, d2 = ex * ex + ey * ey;
      if (d2 >= gap * gap) return;
      var d = Math.sqrt(d2), f = d > 1e-6 ? (gap - d) / d / 2 : 0;
      if (!f) { ex = Math.cos(i + j); ey = Math.sin(i + j); f = gap / 2; }
      n.x -= ex * f; n.y -= ey * f; o.x += ex * f; o.y += ey * f;
    }
    if (m <= 80) {
      for (i = 0; i < m; i++) for (var j = i + 1; j < m; j++) push(members[i], members[j], i, j);
      return;
    }
    var grid = new Map(), key = function (gx, gy) { return gx * 65536 + gy; };
    for (i = 0; i < m; i++) {
      var k = key(Math.floor(members[i].x / gap), Math.floor(members[i].y / gap));
      if (!grid.has(k)) grid.set(k, []);
      grid.get(k).push(i);
    }
    for (i = 0; i < m; i++) {
      var n = members[i], gx = Math.floor(n.x / gap), gy = Math.floor(n.y / gap);
      for (var ax = gx - 1; ax <= gx + 1; ax++) {
        for (var ay = gy - 1; ay <= gy + 1; ay++) {
          var cell = grid.get(key(ax, ay));
          if (cell) cell.forEach(function (j) { if (j > i) push(n, members[j], i, j); });
        }
      }
    }
  }

  /* A gentle relaxation inside one folder's ellipse: linked files (each file's few strongest links
     in the folder) move closer, and files closer than the even spacing push apart. Starting from
     the sunflower it keeps the folder evenly filled: no clumps, no rings. */
  function relax(members, links, cx, cy, rx, ry) {
    var m = members.length;
    if (m < 3 || m > 1500 || !links.length || rx < 2 || ry < 2) return;
    var gap = Math.sqrt(Math.PI * rx * ry / m) * 0.85, iters = 30;
    for (var it = 0; it < iters; it++) {
      var pull = 0.2 * (1 - it / iters);
      for (var e = 0; e < links.length; e += 2) {
        var p = members[links[e]], q = members[links[e + 1]], fx = q.x - p.x, fy = q.y - p.y;
        var d = Math.sqrt(fx * fx + fy * fy) + 1e-9;
        if (d <= gap * 1.1) continue;
        var f = pull * (d - gap) / d / 2;
        p.x += fx * f; p.y += fy * f; q.x -= fx * f; q.y -= fy * f;
      }
      separate(members, gap);
      members.forEach(function (n) {
        var ox = (n.x - cx) / rx, oy = (n.y - cy) / ry, o = ox * ox + oy * oy;
        if (o > 1) { o = Math.sqrt(o); n.x = cx + ox / o * rx; n.y = cy + oy / o * ry; }
      });
    }
  }

  /* Lay out `nodes` ({c: cluster, s: importance}) in a width x height area. Sets x, y, r on each
     node; returns the folder boxes: {name, g, n, x, y, w, h, header} (header: room for the name). */
  function layout(data, nodes, edges, width, height) {
    var clusters = data.clusters, members = clusters.map(function () { return []; });
    nodes.forEach(function (n) { members[n.c].push(n); });
    // A small folder gets a little extra room, so its name fits.
    var weight = members.map(function (m) { return m.length + 3; });
    var groupWeight = data.groups.map(function () { return 0; }), groupCells = data.groups.map(function () { return []; });
    clusters.forEach(function (c, i) { groupWeight[c.g] += weight[i]; groupCells[c.g].push(i); });
    var order = byWeight(groupWeight);
    var groupRects = squarify(order.map(function (g) { return groupWeight[g]; }), 0, 0, width, height);
    var cells = new Array(clusters.length);
    order.forEach(function (g, k) {
      var r = inset(groupRects[k], GROUP_GAP / 2), ids = groupCells[g];
      var sorted = ids.slice().sort(function (a, b) { return weight[b] - weight[a] || a - b; });
      var rects = squarify(sorted.map(function (i) { return weight[i]; }), r.x, r.y, r.w, r.h);
      sorted.forEach(function (i, j) {
        var box = inset(rects[j], ids.length > 1 ? CELL_GAP / 2 : 0);
        box.name = clusters[i].name; box.g = clusters[i].g; box.n = members[i].length; box.i = i;
        box.header = box.h > HEADER * 2.2 && box.w > 40;
        cells[i] = box;
      });
    });
    // One dot size for the whole page (the median folder's), smaller only where a folder is crowded.
    var own = cells.map(function (b, i) {
      var area = Math.max(1, (b.w - 2 * PAD) * (b.h - 2 * PAD - (b.header ? HEADER : 0)));
      return members[i].length ? 0.3 * Math.sqrt(area / members[i].length) : 0;
    });
    var sizes = own.filter(function (x) { return x > 0; }).sort(function (a, b) { return a - b; });
    var base = Math.max(2, Math.min(7, sizes.length ? sizes[Math.floor(sizes.length / 2)] : 4));
    var top = 0;
    nodes.forEach(function (n) { if (n.s > top) top = n.s; });
    var local = nodes.map(function () { return -1; }), linksOf = clusters.map(function () { return []; });
    members.forEach(function (m) {
      m.sort(function (a, b) { return b.s - a.s || a.i - b.i; });
      m.forEach(function (n, j) { local[n.i] = j; });
    });
    // Each file's three strongest links inside its folder (edges come strongest first).
    var used = new Uint8Array(nodes.length);
    edges.forEach(function (e) {
      var s = nodes[e.s], t = nodes[e.t];
      if (s.c !== t.c || used[e.s] >= 3 || used[e.t] >= 3) return;
      used[e.s] += 1; used[e.t] += 1;
      linksOf[s.c].push(local[e.s], local[e.t]);
    });
    cells.forEach(function (b, i) {
      var m = members[i], r = Math.max(1.5, Math.min(base, own[i]));
      var top0 = b.y + PAD + (b.header ? HEADER : 0), ih = Math.max(0, b.y + b.h - PAD - top0);
      var cx = b.x + b.w / 2, cy = top0 + ih / 2;
      var rx = Math.max(0, b.w / 2 - PAD - r), ry = Math.max(0, ih / 2 - r);
      m.forEach(function (n, j) {
        var f = Math.sqrt((j + 0.5) / m.length), a = j * GOLDEN;
        n.x = cx + Math.cos(a) * f * rx; n.y = cy + Math.sin(a) * f * ry;
        n.r = r * (0.75 + 0.6 * (top > 0 ? Math.sqrt(n.s / top) : 0));
      });
      relax(m, linksOf[i], cx, cy, rx, ry);
    });
    return cells;
  }

  return { layout: layout, squarify: squarify };
})();
