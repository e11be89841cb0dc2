/* The console's Support tab (clauses 1.1.4, 3.2, 3.3): a merchant's technical-support requests to the licensor,
 * with their due times in business hours, and its training sessions. Registered through the console's tab hook;
 * every text comes from the support catalogue, everything typed is set with textContent. */
(function () {
  "use strict";
  if (!window.kefuConsole) { return; }
  var CATEGORIES = ["installation", "configuration", "upgrade", "fault"];

  function render(panel, ctx) {
    var t = ctx.t, el = ctx.el;
    var box = el("div", null, "support");
    box.style.maxWidth = "960px";
    box.appendChild(el("h2", t("console.heading")));
    box.appendChild(el("p", t("console.hours"), "status"));

    var form = el("form");
    form.id = "support-form";
    form.style.cssText = "display:grid;gap:8px;background:#fff;padding:12px;border-radius:8px;border:1px solid #d9dde3";
    var subject = el("input");
    subject.id = "support-subject"; subject.maxLength = 200; subject.required = true;
    subject.placeholder = t("console.subject");
    var category = el("select");
    category.id = "support-category";
    CATEGORIES.forEach(function (c) { var o = el("option", t("category." + c)); o.value = c; category.appendChild(o); });
    category.value = "fault";
    var text = el("textarea");
    text.id = "support-text"; text.maxLength = 20000; text.required = true; text.rows = 4;
    text.placeholder = t("console.text");
    var send = el("button", t("console.open"));
    send.type = "submit";
    var error = el("p", "", "error");
    [subject, category, text, send, error].forEach(function (n) { form.appendChild(n); });
    box.appendChild(form);

    box.appendChild(el("h3", t("console.requests")));
    var list = el("div");
    list.id = "support-requests";
    box.appendChild(list);
    box.appendChild(el("h3", t("console.training")));
    var sessions = el("div");
    sessions.id = "training-sessions";
    box.appendChild(sessions);
    panel.appendChild(box);

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      error.textContent = "";
      ctx.call("POST", "v1/support/requests", {subject: subject.value, text: text.value, category: category.value})
        .then(function (r) {
          if (r.status !== 201) { error.textContent = ctx.problem(r); return; }
          subject.value = ""; text.value = "";
          load(panel, ctx);
        });
    });
  }

  // Every time in the licensor's zone (support hours are Beijing time), whatever the browser's zone is.
  function when(ctx, iso) {
    return new Date(iso).toLocaleString(ctx.locale, {timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
                                                     day: "2-digit", weekday: "short", hour: "2-digit", minute: "2-digit"});
  }
  function due(ctx, iso) { return iso ? when(ctx, iso) : ctx.t("console.paused"); }

  function card(ctx, r) {
    var t = ctx.t, el = ctx.el;
    var node = el("div", null, "support-request");
    node.setAttribute("data-request", r.id);
    node.style.cssText = "background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:10px 12px;margin:8px 0";
    var head = el("div");
    head.appendChild(el("strong", r.subject));
    head.appendChild(el("span", "  " + t("category." + r.category) + " · " + t("status." + r.status), "status"));
    node.appendChild(head);
    var clocks = el("div", null, "support-due");
    clocks.appendChild(el("div", t("console.first_response_due", {due: due(ctx, r.first_response_due)}) +
      (r.first_response_at ? " · " + t("console.answered", {at: when(ctx, r.first_response_at)}) : "")));
    clocks.appendChild(el("div", t("console.resolution_due", {due: due(ctx, r.resolution_due)})));
    if (r.breached && r.breached.length) {
      clocks.appendChild(el("div", t("console.breached", {targets: r.breached.map(function (x) { return t("target." + x); }).join("、")}), "error"));
    }
    if (r.provisional) { clocks.appendChild(el("div", t("console.provisional"), "status")); }
    node.appendChild(clocks);
    var thread = el("div");
    node.appendChild(thread);
    node.addEventListener("click", function (e) {
      if (thread.childNodes.length || e.target.tagName === "TEXTAREA" || e.target.tagName === "BUTTON") { return; }
      open(ctx, r.id, thread);
    });
    return node;
  }

  function open(ctx, id, thread) {
    var t = ctx.t, el = ctx.el;
    ctx.call("GET", "v1/support/requests/" + encodeURIComponent(id)).then(function (r) {
      thread.textContent = "";
      if (r.status !== 200) { thread.appendChild(el("p", ctx.problem(r), "error")); return; }
      r.data.messages.forEach(function (m) {
        var item = el("div", null, "item " + (m.side === "licensor" ? "agent" : "visitor"));
        item.appendChild(el("small", (m.side === "licensor" ? t("console.licensor") : m.author) + " · " + when(ctx, m.at)));
        item.appendChild(document.createTextNode(m.text));
        thread.appendChild(item);
      });
      if (r.data.status === "closed") { return; }
      var answer = el("textarea");
      answer.rows = 2; answer.style.width = "100%"; answer.placeholder = t("console.reply");
      var send = el("button", t("console.send"));
      send.type = "button";
      send.addEventListener("click", function () {
        ctx.call("POST", "v1/support/requests/" + encodeURIComponent(id) + "/messages", {text: answer.value})
          .then(function (s) { if (s.status === 200) { open(ctx, id, thread); } else { thread.appendChild(el("p", ctx.problem(s), "error")); } });
      });
      thread.appendChild(answer);
      thread.appendChild(send);
    });
  }

  function load(panel, ctx) {
    var t = ctx.t, el = ctx.el;
    var list = panel.querySelector("#support-requests"), sessions = panel.querySelector("#training-sessions");
    if (!list) { return; }
    ctx.call("GET", "v1/support/requests").then(function (r) {
      list.textContent = "";
      if (r.status !== 200) { list.appendChild(el("p", ctx.problem(r), "error")); return; }
      if (!r.data.requests.length) { list.appendChild(el("p", t("console.none"), "empty")); }
      r.data.requests.forEach(function (x) { list.appendChild(card(ctx, x)); });
    });
    ctx.call("GET", "v1/training/sessions").then(function (r) {
      sessions.textContent = "";
      if (r.status !== 200) { sessions.appendChild(el("p", ctx.problem(r), "error")); return; }
      if (!r.data.sessions.length) { sessions.appendChild(el("p", t("console.no_training"), "empty")); }
      r.data.sessions.forEach(function (s) {
        sessions.appendChild(el("div", t("console.session", {at: when(ctx, s.starts_at), method: t("method." + s.method),
          topics: s.topics.join("、"), where: s.link || s.place, status: t("training." + s.status)}), "support-session"));
      });
    });
  }

  window.kefuConsole.register({id: "support", namespace: "support", label: "nav.support",
                               render: function (panel, ctx) { render(panel, ctx); load(panel, ctx); },
                               show: load});
})();
