/* kefu console: the Calls tab. Added through window.kefuConsole.register (chalicelib/chat/static/console.js);
 * every text comes from the phone catalogue, everything a caller or agent typed is set with textContent. */
(function () {
  "use strict";
  if (!window.kefuConsole) { return; }
  var OUTCOMES = ["answered", "missed", "abandoned", "voicemail"];
  var view = {outcome: "", next: null, current: null};

  function seconds(ctx, value) {
    if (value === null || value === undefined) { return "–"; }
    if (value < 60) { return ctx.t("duration.seconds", {s: value}); }
    return ctx.t("duration", {m: Math.floor(value / 60), s: value % 60});
  }
  function outcome(ctx, call) { return ctx.t("outcome." + (call.outcome || "in_progress")); }

  function render(panel, ctx) {
    panel.classList.add("calls");
    var layout = ctx.el("div", null, "calls-layout");
    layout.style.cssText = "display:grid;grid-template-columns:360px 1fr;gap:16px;align-items:start";
    var left = ctx.el("section"), right = ctx.el("section");
    right.style.cssText = "background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:14px;min-height:200px";
    left.style.cssText = "background:#fff;border:1px solid #d9dde3;border-radius:8px";

    var callbacks = ctx.el("div");
    callbacks.id = "calls-callbacks";
    callbacks.style.cssText = "padding:10px;border-bottom:1px solid #eceef1;background:#fff8e6";
    var filters = ctx.el("div", null, "filters");
    filters.style.cssText = "display:flex;gap:6px;align-items:center;padding:8px;border-bottom:1px solid #eceef1";
    var select = ctx.el("select");
    select.id = "calls-outcome";
    select.setAttribute("aria-label", ctx.t("filter.outcome"));
    [""].concat(OUTCOMES).forEach(function (value) {
      var option = ctx.el("option", ctx.t(value ? "outcome." + value : "filter.all"));
      option.value = value;
      if (value === view.outcome) { option.selected = true; }
      select.appendChild(option);
    });
    select.addEventListener("change", function () { view.outcome = select.value; load(panel, ctx, true); });
    var refresh = ctx.el("button", ctx.t("refresh"));
    refresh.addEventListener("click", function () { load(panel, ctx, true); });
    filters.appendChild(ctx.el("label", ctx.t("filter.outcome")));
    filters.appendChild(select);
    filters.appendChild(refresh);
    var list = ctx.el("ul");
    list.id = "calls-list";
    list.style.cssText = "list-style:none;margin:0;padding:0";
    var more = ctx.el("button", ctx.t("list.more"));
    more.id = "calls-more";
    more.className = "hidden";
    more.style.margin = "8px";
    more.addEventListener("click", function () { load(panel, ctx, false); });
    var error = ctx.el("p", null, "error");
    error.id = "calls-error";
    left.appendChild(callbacks);
    left.appendChild(filters);
    left.appendChild(list);
    left.appendChild(more);
    left.appendChild(error);
    right.id = "call-detail";
    right.appendChild(ctx.el("p", ctx.t("call.choose"), "empty"));
    var heading = ctx.el("h2", ctx.t("heading"));
    heading.style.cssText = "margin:0 0 12px;font-size:18px";
    panel.appendChild(heading);
    layout.appendChild(left);
    layout.appendChild(right);
    panel.appendChild(layout);
  }

  function load(panel, ctx, reset) {
    var path = "v1/agent/calls?limit=25" + (view.outcome ? "&outcome=" + view.outcome : "") +
      (!reset && view.next ? "&next=" + encodeURIComponent(view.next) : "");
    loadCallbacks(panel, ctx);
    return ctx.call("GET", path).then(function (r) {
      var list = panel.querySelector("#calls-list"), error = panel.querySelector("#calls-error");
      if (r.status !== 200) { error.textContent = ctx.problem(r); return; }
      error.textContent = "";
      if (reset) { list.textContent = ""; }
      if (reset && !r.data.items.length) { list.appendChild(ctx.el("li", ctx.t("list.empty"), "empty")); }
      r.data.items.forEach(function (call) {
        var li = ctx.el("li");
        li.setAttribute("data-call", call.id);
        li.setAttribute("data-outcome", call.outcome || "in_progress");
        li.style.cssText = "padding:10px 12px;border-bottom:1px solid #eceef1;cursor:pointer";
        if (call.id === view.current) { li.style.background = "#e8f0fb"; }
        var top = ctx.el("strong", call.direction === "outbound" ? call.callee || ctx.t("unknown_number")
                                                                 : call.caller || ctx.t("unknown_number"));
        var badge = ctx.el("span", outcome(ctx, call), "badge badge-" + (call.outcome || "in_progress"));
        badge.style.cssText = "float:right;font-size:12px;padding:1px 8px;border-radius:10px;background:" +
          ({answered: "#dcfce7", missed: "#fee2e2", abandoned: "#fee2e2", voicemail: "#fef3c7"}[call.outcome] || "#e5e7eb");
        li.appendChild(top);
        li.appendChild(badge);
        var line = ctx.el("small", ctx.t("direction." + call.direction) + " · " + ctx.time(call.started_at) +
                                   (call.talk_seconds !== null ? " · " + seconds(ctx, call.talk_seconds) : "") +
                                   (call.disposition ? " · " + call.disposition : ""));
        line.style.cssText = "display:block;color:#5b6470;margin-top:2px";
        li.appendChild(line);
        li.style.display = "block";
        li.addEventListener("click", function () { open(panel, ctx, call.id); });
        list.appendChild(li);
      });
      view.next = r.data.next;
      panel.querySelector("#calls-more").classList.toggle("hidden", !view.next);
    });
  }

  function loadCallbacks(panel, ctx) {
    return ctx.call("GET", "v1/agent/callbacks?status=open").then(function (r) {
      var box = panel.querySelector("#calls-callbacks");
      if (!box || r.status !== 200) { return; }
      box.textContent = "";
      box.appendChild(ctx.el("strong", ctx.t("callbacks.heading", {count: r.data.items.length})));
      r.data.items.slice(0, 5).forEach(function (task) {
        var row = ctx.el("div", null, "callback");
        row.setAttribute("data-callback", task.call_id);
        row.style.cssText = "display:flex;gap:6px;align-items:center;margin-top:6px;cursor:pointer";
        row.appendChild(ctx.el("span", (task.caller || ctx.t("unknown_number")) + " · " + ctx.t("outcome." + task.reason)));
        row.appendChild(ctx.el("small", task.assignee ? ctx.t("callbacks.assigned") : ctx.t("callbacks.unassigned")));
        row.addEventListener("click", function () { open(panel, ctx, task.call_id); });
        box.appendChild(row);
      });
    });
  }

  function field(ctx, table, label, value) {
    var row = ctx.el("tr");
    var th = ctx.el("th", label);
    th.style.cssText = "text-align:left;color:#5b6470;font-weight:normal;padding:3px 14px 3px 0";
    row.appendChild(th);
    row.appendChild(ctx.el("td", value === null || value === undefined || value === "" ? "–" : String(value)));
    table.appendChild(row);
  }

  function open(panel, ctx, id) {
    view.current = id;
    Array.prototype.forEach.call(panel.querySelectorAll("#calls-list li"), function (li) {
      li.style.background = li.getAttribute("data-call") === id ? "#e8f0fb" : "";
    });
    return ctx.call("GET", "v1/agent/calls/" + encodeURIComponent(id)).then(function (r) {
      var box = panel.querySelector("#call-detail");
      box.textContent = "";
      if (r.status !== 200) { box.appendChild(ctx.el("p", ctx.problem(r), "error")); return; }
      var call = r.data;
      box.appendChild(ctx.el("h3", ctx.t("call.title", {number: call.direction === "outbound" ? call.callee : call.caller})));
      var table = ctx.el("table");
      table.id = "call-fields";
      field(ctx, table, ctx.t("field.outcome"), outcome(ctx, call));
      field(ctx, table, ctx.t("field.direction"), ctx.t("direction." + call.direction));
      field(ctx, table, ctx.t("field.caller"), call.caller);
      field(ctx, table, ctx.t("field.callee"), call.callee);
      field(ctx, table, ctx.t("field.started"), ctx.time(call.started_at));
      field(ctx, table, ctx.t("field.answered"), ctx.time(call.answered_at));
      field(ctx, table, ctx.t("field.ended"), ctx.time(call.ended_at));
      field(ctx, table, ctx.t("field.waiting"), seconds(ctx, call.waiting_seconds));
      field(ctx, table, ctx.t("field.talk"), seconds(ctx, call.talk_seconds));
      field(ctx, table, ctx.t("field.queue"), call.queue_name || call.queue);
      field(ctx, table, ctx.t("field.agent"), call.agent_name || call.agent);
      box.appendChild(table);
      if (call.recording) {
        var link = ctx.el("a", ctx.t("recording.listen"));
        link.href = call.recording.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.id = "call-recording";
        var p = ctx.el("p");
        p.appendChild(link);
        p.appendChild(ctx.el("small", " " + ctx.t("recording.expires")));
        box.appendChild(p);
      }
      if (call.callback) { box.appendChild(callbackBox(panel, ctx, call)); }
      box.appendChild(notesForm(panel, ctx, call));
    });
  }

  function callbackBox(panel, ctx, call) {
    var task = call.callback;
    var div = ctx.el("div");
    div.id = "call-callback";
    div.style.cssText = "margin:12px 0;padding:10px;border:1px dashed #d4b106;background:#fffbea;border-radius:6px";
    div.appendChild(ctx.el("strong", ctx.t("callback.status." + task.status)));
    div.appendChild(ctx.el("span", " " + (task.assignee ? ctx.t("callbacks.assigned") : ctx.t("callbacks.unassigned"))));
    function update(body) {
      ctx.call("PUT", "v1/agent/callbacks/" + encodeURIComponent(call.id), body).then(function (r) {
        if (r.status !== 200) { div.appendChild(ctx.el("p", ctx.problem(r), "error")); return; }
        open(panel, ctx, call.id);
        loadCallbacks(panel, ctx);
      });
    }
    if (task.status === "open") {
      var mine = ctx.el("button", ctx.t("callback.take"));
      mine.id = "callback-take";
      mine.style.marginLeft = "8px";
      mine.addEventListener("click", function () { update({assignee: ctx.me && ctx.me.id}); });
      var done = ctx.el("button", ctx.t("callback.done"));
      done.id = "callback-done";
      done.style.marginLeft = "8px";
      done.addEventListener("click", function () { update({status: "done"}); });
      div.appendChild(mine);
      div.appendChild(done);
    }
    return div;
  }

  function notesForm(panel, ctx, call) {
    var form = ctx.el("form");
    form.id = "call-notes";
    form.style.cssText = "display:flex;flex-direction:column;gap:6px;margin-top:12px";
    form.appendChild(ctx.el("label", ctx.t("notes.label")));
    var notes = ctx.el("textarea");
    notes.id = "call-notes-text";
    notes.maxLength = 4000;
    notes.value = call.notes || "";
    notes.style.cssText = "height:80px;padding:6px";
    notes.setAttribute("placeholder", ctx.t("notes.placeholder"));
    var disposition = ctx.el("input");
    disposition.id = "call-disposition";
    disposition.maxLength = 64;
    disposition.value = call.disposition || "";
    disposition.setAttribute("placeholder", ctx.t("disposition.placeholder"));
    disposition.setAttribute("aria-label", ctx.t("disposition.label"));
    var save = ctx.el("button", ctx.t("notes.save"));
    save.type = "submit";
    save.style.alignSelf = "flex-start";
    var status = ctx.el("small");
    form.appendChild(notes);
    form.appendChild(ctx.el("label", ctx.t("disposition.label")));
    form.appendChild(disposition);
    form.appendChild(save);
    form.appendChild(status);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      ctx.call("PUT", "v1/agent/calls/" + encodeURIComponent(call.id) + "/notes",
               {notes: notes.value, disposition: disposition.value}).then(function (r) {
        status.textContent = r.status === 200 ? ctx.t("notes.saved") : ctx.problem(r);
        if (r.status === 200) { load(panel, ctx, true); }
      });
    });
    return form;
  }

  window.kefuConsole.register({
    id: "calls", namespace: "phone", label: "nav.calls",
    render: function (panel, ctx) { render(panel, ctx); },
    show: function (panel, ctx) {
      load(panel, ctx, true).then(function () { if (view.current) { open(panel, ctx, view.current); } });
    }
  });
})();
