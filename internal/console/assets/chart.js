// Line charts of the overview, drawn as SVG elements (no library, no
// inline script: the Content-Security-Policy allows this file only).
"use strict";

(function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 600, H = 150, L = 48, R = 8, T = 8, B = 20;

  function node(tag, attrs, text) {
    const n = document.createElementNS(NS, tag);
    for (const k in attrs) n.setAttribute(k, attrs[k]);
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function fmt(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (v >= 1e3) return (v / 1e3).toFixed(1) + "k";
    if (v >= 10) return v.toFixed(0);
    if (v >= 1) return v.toFixed(1);
    return v.toFixed(2);
  }

  // draw replaces the content of box with a chart of points (objects
  // with t in Unix seconds) over the last windowSeconds: value(p) gives
  // the y value or null for a gap.
  function draw(box, title, points, value, unit, windowSeconds) {
    box.textContent = "";
    const head = document.createElement("div");
    head.className = "title";
    const last = points.length ? value(points[points.length - 1]) : null;
    head.textContent = title + (last === null || last === undefined ? "" : ": " + fmt(last) + " " + unit);
    box.appendChild(head);
    const svg = node("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title });
    const now = Date.now() / 1000;
    const t0 = now - windowSeconds;
    let max = 0;
    for (const p of points) {
      const v = value(p);
      if (v !== null && v !== undefined && v > max) max = v;
    }
    if (max === 0) max = 1;
    max *= 1.1;
    const x = (t) => L + (W - L - R) * Math.max(0, (t - t0) / windowSeconds);
    const y = (v) => T + (H - T - B) * (1 - v / max);
    svg.appendChild(node("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }));
    svg.appendChild(node("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }));
    svg.appendChild(node("text", { x: L - 4, y: T + 8, "text-anchor": "end" }, fmt(max)));
    svg.appendChild(node("text", { x: L - 4, y: H - B, "text-anchor": "end" }, "0"));
    const mins = Math.round(windowSeconds / 60);
    svg.appendChild(node("text", { x: L, y: H - 4 }, "-" + mins + "m"));
    svg.appendChild(node("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" }, "-" + Math.round(mins / 2) + "m"));
    svg.appendChild(node("text", { x: W - R, y: H - 4, "text-anchor": "end" }, "now"));
    // One path per run of points without gaps; a dot for a lone point.
    let d = "";
    let run = [];
    const flush = () => {
      if (run.length === 1) svg.appendChild(node("circle", { class: "dot", cx: run[0][0], cy: run[0][1], r: 2.5 }));
      run.forEach((xy, i) => { d += (i ? " L" : " M") + xy[0] + " " + xy[1]; });
      run = [];
    };
    for (const p of points) {
      const v = value(p);
      if (v === null || v === undefined || p.t < t0) { flush(); continue; }
      run.push([x(p.t).toFixed(1), y(v).toFixed(1)]);
    }
    flush();
    if (d) svg.appendChild(node("path", { class: "line", d: d.trim() }));
    box.appendChild(svg);
    if (!points.length) {
      const note = document.createElement("div");
      note.className = "muted";
      note.textContent = "collecting samples…";
      box.appendChild(note);
    }
  }

  window.guocedbChart = { draw: draw };
})();
