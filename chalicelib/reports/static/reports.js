/* The console's Reports tab, added through window.kefuConsole.register: the shop's chats and tickets by day,
 * first response and resolution (median and p90), per agent, hand-overs and ratings, for a period of days in
 * the shop's time zone. Definitions: chalicelib/reports/model.py. Drawn with plain elements, no library. */
(function () {
  "use strict";
  function iso(d) { return d.toISOString().slice(0, 10); }
  function duration(ctx, seconds) {
    if (seconds === null || seconds === undefined) { return "–"; }
    if (seconds < 120) { return ctx.t("unit.seconds", {n: Math.round(seconds)}); }
    if (seconds < 7200) { return ctx.t("unit.minutes", {n: Math.round(seconds / 60)}); }
    return ctx.t("unit.hours", {n: (seconds / 3600).toFixed(1)});
  }
  function figure(ctx, box, label, value, name) {
    var cell = box.appendChild(ctx.el("div", null, "report-figure"));
    cell.setAttribute("data-figure", name);
    cell.appendChild(ctx.el("b", value));
    cell.appendChild(ctx.el("span", ctx.t(label)));
  }
  function draw(ctx, out, data) {
    out.textContent = "";
    var totals = out.appendChild(ctx.el("div", null, "report-figures"));
    figure(ctx, totals, "figure.chats", String(data.totals.chats), "chats");
    figure(ctx, totals, "figure.tickets", String(data.totals.tickets), "tickets");
    figure(ctx, totals, "figure.first_median", duration(ctx, data.first_response.all.median_seconds), "first_median");
    figure(ctx, totals, "figure.first_p90", duration(ctx, data.first_response.all.p90_seconds), "first_p90");
    figure(ctx, totals, "figure.resolution_median", duration(ctx, data.resolution.all.median_seconds), "resolution_median");
    figure(ctx, totals, "figure.resolution_p90", duration(ctx, data.resolution.all.p90_seconds), "resolution_p90");
    figure(ctx, totals, "figure.handovers", String(data.totals.handovers), "handovers");
    figure(ctx, totals, "figure.ratings", data.ratings.count ? String(data.ratings.average) : ctx.t("figure.no_ratings"), "ratings");

    out.appendChild(ctx.el("h3", ctx.t("chart.by_day")));
    var chart = out.appendChild(ctx.el("div", null, "report-chart"));
    chart.setAttribute("role", "img");
    chart.setAttribute("aria-label", ctx.t("chart.by_day"));
    var most = Math.max.apply(null, [1].concat(data.by_day.map(function (d) { return d.chats + d.tickets; })));
    data.by_day.forEach(function (d) {
      var column = chart.appendChild(ctx.el("div", null, "report-day"));
      column.setAttribute("data-day", d.date);
      column.title = ctx.t("chart.day_title", {date: d.date, chats: d.chats, tickets: d.tickets});
      var bars = column.appendChild(ctx.el("div", null, "report-bars"));
      var tickets = bars.appendChild(ctx.el("div", null, "bar-tickets"));
      tickets.style.height = (100 * d.tickets / most) + "%";
      var chats = bars.appendChild(ctx.el("div", null, "bar-chats"));
      chats.style.height = (100 * d.chats / most) + "%";
      column.appendChild(ctx.el("small", String(d.chats + d.tickets), "report-count"));
      column.appendChild(ctx.el("small", d.date.slice(5)));
    });
    var legend = out.appendChild(ctx.el("p", null, "report-legend"));
    legend.appendChild(ctx.el("span", ctx.t("figure.chats"), "key-chats"));
    legend.appendChild(ctx.el("span", ctx.t("figure.tickets"), "key-tickets"));

    out.appendChild(ctx.el("h3", ctx.t("chart.agents")));
    var table = out.appendChild(ctx.el("table", null, "admin-team report-agents"));
    var head = table.appendChild(ctx.el("tr"));
    ["agents.name", "agents.first_responses", "agents.median"].forEach(function (k) { head.appendChild(ctx.el("th", ctx.t(k))); });
    data.agents.forEach(function (a) {
      var tr = table.appendChild(ctx.el("tr"));
      tr.setAttribute("data-agent", a.name);
      tr.appendChild(ctx.el("td", a.name || "–"));
      tr.appendChild(ctx.el("td", String(a.first_responses)));
      tr.appendChild(ctx.el("td", duration(ctx, a.median_first_response_seconds)));
    });
    out.appendChild(ctx.el("p", ctx.t("definitions"), "report-definitions"));
  }
  window.kefuConsole.register({
    id: "reports", namespace: "reports", label: "nav.reports",
    render: function (panel, ctx) {
      panel.classList.add("admin");
      var box = panel.appendChild(ctx.el("section", null, "admin-box report"));
      box.appendChild(ctx.el("h3", ctx.t("heading")));
      var form = box.appendChild(ctx.el("form", null, "admin-add"));
      var to = new Date(), from = new Date(to.getTime() - 6 * 86400000);
      var fields = {};
      [["from", iso(from)], ["to", iso(to)]].forEach(function (pair) {
        var label = form.appendChild(ctx.el("label", null, "admin-field"));
        label.appendChild(ctx.el("span", ctx.t("period." + pair[0])));
        var input = label.appendChild(ctx.el("input"));
        input.type = "date"; input.name = pair[0]; input.value = pair[1];
        fields[pair[0]] = input;
      });
      form.appendChild(ctx.el("button", ctx.t("period.show"))).type = "submit";
      var out = box.appendChild(ctx.el("div", null, "report-out"));
      var asked = 0;
      function load() {
        var mine = ++asked;  // an older answer arriving late never overwrites the newer one
        return ctx.call("GET", "v1/agent/reports?from=" + fields.from.value + "&to=" + fields.to.value).then(function (r) {
          if (mine !== asked) { return; }
          if (r.status !== 200) { out.textContent = ""; out.appendChild(ctx.el("p", ctx.problem(r), "error")); return; }
          draw(ctx, out, r.data);
        });
      }
      form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
      panel.kefuReload = load;
    },
    show: function (panel) { if (panel.kefuReload) { panel.kefuReload(); } }
  });
})();
