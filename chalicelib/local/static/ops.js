/* kefu's local operations dashboard: the rows and graphs of the CloudWatch dashboard, drawn as SVG from the
 * EMF lines of this run. Plain DOM, no framework, every text set with textContent. The key stays in
 * sessionStorage (gone when the tab closes). */
(function () {
  "use strict";
  var KEY = "kefu-ops-key", LANG = "kefu-ops-lang", SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
  var W = 500, H = 170, L = 40, B = 20;
  var $ = function (id) { return document.getElementById(id); };
  var fromHash = /key=([^&]+)/.exec(location.hash || "");
  if (fromHash) { sessionStorage.setItem(KEY, decodeURIComponent(fromHash[1])); history.replaceState(null, "", "/ops"); }
  var state = {key: sessionStorage.getItem(KEY), lang: sessionStorage.getItem(LANG), shown: null, strings: {}};

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function fill(text, values) { return String(text || "").replace(/\{(\w+)\}/g, function (_, k) { return values[k]; }); }
  function clock(ms) { var d = new Date(ms); return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }

  function chart(panel, data) {
    var box = el("div", null, "panel");
    box.setAttribute("data-metric", panel.metric);
    box.appendChild(el("h3", panel.title));
    if (!panel.series.length) {
      box.appendChild(el("div", fill(data.strings.empty, {hours: data.window_hours}), "empty"));
      return box;
    }
    var max = 1;
    panel.series.forEach(function (s) { s.points.forEach(function (p) { max = Math.max(max, p[1]); }); });
    var x = function (t) { return L + (W - L - 8) * (t - data.from) / Math.max(1, data.to - data.from); };
    var y = function (v) { return 8 + (H - B - 8) * (1 - v / max); };
    var plot = svg("svg", {viewBox: "0 0 " + W + " " + H, width: "100%", role: "img"});
    plot.appendChild(svg("line", {x1: L, y1: H - B, x2: W - 8, y2: H - B, stroke: "#aab7b8"}));
    plot.appendChild(svg("line", {x1: L, y1: 8, x2: L, y2: H - B, stroke: "#aab7b8"}));
    [0, max / 2, max].forEach(function (v) {
      var label = svg("text", {x: L - 4, y: y(v) + 3, "text-anchor": "end"});
      label.textContent = Math.round(v * 100) / 100;
      plot.appendChild(label);
    });
    [data.from, (data.from + data.to) / 2, data.to].forEach(function (t, i) {
      var label = svg("text", {x: x(t), y: H - 6, "text-anchor": ["start", "middle", "end"][i]});
      label.textContent = clock(t);
      plot.appendChild(label);
    });
    var legend = el("div", null, "legend");
    panel.series.forEach(function (s, i) {
      var color = COLORS[i % COLORS.length];
      var path = s.points.map(function (p, j) { return (j ? "L" : "M") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1); });
      plot.appendChild(svg("path", {d: path.join(" "), fill: "none", stroke: color, "stroke-width": 2,
                                    "data-series": s.label}));
      s.points.forEach(function (p) {
        plot.appendChild(svg("circle", {cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 3.5, fill: color}));
      });
      var total = s.points.reduce(function (a, p) { return a + p[1]; }, 0);
      var item = el("span", s.label + " (" + total + ")");
      item.style.setProperty("--c", color);
      legend.appendChild(item);
    });
    box.appendChild(plot);
    box.appendChild(legend);
    return box;
  }

  function draw(data) {
    var s = data.strings;
    state.strings = s;
    state.shown = data.lang;
    document.documentElement.lang = data.lang;
    document.title = s.title;
    $("title").textContent = s.title;
    $("intro").textContent = fill(s.intro, {period: data.period_seconds / 60});
    $("aws-only").textContent = s.aws_only;
    $("language").textContent = s.language;
    $("updated").textContent = s.updated + " " + clock(data.to) + " · " + s.refresh;
    var board = $("board");
    board.textContent = "";
    data.rows.forEach(function (row) {
      board.appendChild(el("h2", row.title));
      var grid = el("div", null, "row");
      if (!row.panels.length) { grid.appendChild(el("p", s.no_metrics, "note")); }
      row.panels.forEach(function (panel) { grid.appendChild(chart(panel, data)); });
      board.appendChild(grid);
    });
    $("board").setAttribute("data-ready", "1");
  }

  function load() {
    if (!state.key) { ask(); return; }
    fetch("/ops/data" + (state.lang ? "?lang=" + encodeURIComponent(state.lang) : ""), {headers: {"x-staff-key": state.key}, cache: "no-store"})
      .then(function (r) { return r.json().then(function (body) { return {status: r.status, body: body}; }); })
      .then(function (r) {
        if (r.status === 403) { sessionStorage.removeItem(KEY); state.key = null; ask(r.body.error.message); return; }
        $("error").textContent = "";
        $("key-form").hidden = true;
        draw(r.body);
      })
      .catch(function (e) { $("error").textContent = String(e); });
  }
  function ask(message) {
    $("key-form").hidden = false;
    $("key-label").textContent = state.strings.key || "运维密钥 / Operations key";
    $("open").textContent = state.strings.open || "打开 / Open";
    $("error").textContent = message || "";
  }
  $("key-form").addEventListener("submit", function (e) {
    e.preventDefault();
    state.key = $("key").value.trim();
    sessionStorage.setItem(KEY, state.key);
    load();
  });
  $("language").addEventListener("click", function () {
    state.lang = state.shown === "en" ? "zh-CN" : "en";
    sessionStorage.setItem(LANG, state.lang);
    load();
  });
  load();
  setInterval(load, 10000);
}());
