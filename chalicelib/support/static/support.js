/* The console's Support tab (clauses 1.1.4, 3.2, 3.3): a merchant's technical-support requests to the licensor,
 * with their due times in business hours, and its training sessions. Signed in with a licensor staff key, the same
 * tab is the licensor's workspace: every licensee's open requests with their clocks, answered and closed here.
 * Registered through the console's tab hook; every text comes from the support catalogue, everything typed is set
 * with textContent. */
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
  // Staff read the same request from the licensor's side: "waiting on the merchant", not "waiting on you".
  function due(ctx, iso, staff) { return iso ? when(ctx, iso) : ctx.t(staff ? "staff.paused" : "console.paused"); }

  function card(ctx, r, staff) {
    var t = ctx.t, el = ctx.el;
    var node = el("div", null, "support-request");
    node.setAttribute("data-request", r.id);
    node.style.cssText = "background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:10px 12px;margin:8px 0";
    var head = el("div");
    head.appendChild(el("strong", r.subject));
    head.appendChild(el("span", "  " + t("category." + r.category) + " · " + t((staff ? "staff.status." : "status.") + r.status), "status"));
    node.appendChild(head);
    var clocks = el("div", null, "support-due");
    clocks.appendChild(el("div", t("console.first_response_due", {due: due(ctx, r.first_response_due, staff)}) +
      (r.first_response_at ? " · " + t("console.answered", {at: when(ctx, r.first_response_at)}) : "")));
    clocks.appendChild(el("div", t("console.resolution_due", {due: due(ctx, r.resolution_due, staff)})));
    if (r.breached && r.breached.length) {
      clocks.appendChild(el("div", t("console.breached", {targets: r.breached.map(function (x) { return t("target." + x); }).join("、")}), "error"));
    }
    if (r.provisional) { clocks.appendChild(el("div", t("console.provisional"), "status")); }
    node.appendChild(clocks);
    var thread = el("div", null, "support-thread");
    node.appendChild(thread);
    if (staff) { return node; }
    node.addEventListener("click", function (e) {
      if (thread.childNodes.length || e.target.tagName === "TEXTAREA" || e.target.tagName === "BUTTON") { return; }
      open(ctx, r.id, thread);
    });
    return node;
  }

  function messages(ctx, thread, list, staff) {
    var t = ctx.t, el = ctx.el;
    list.forEach(function (m) {
      var mine = m.side === "licensor";
      var item = el("div", null, "item " + (mine ? "agent" : "visitor") + " support-message");
      item.appendChild(el("small", (mine && !staff ? t("console.licensor") : m.author) + " · " + when(ctx, m.at)));
      item.appendChild(document.createTextNode(m.text));
      thread.appendChild(item);
    });
  }

  function open(ctx, id, thread) {
    var t = ctx.t, el = ctx.el;
    ctx.call("GET", "v1/support/requests/" + encodeURIComponent(id)).then(function (r) {
      thread.textContent = "";
      if (r.status !== 200) { thread.appendChild(el("p", ctx.problem(r), "error")); return; }
      messages(ctx, thread, r.data.messages, false);
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

  // -- the licensor's workspace (a staff key) ----------------------------------------------------------------
  function isStaff(ctx) { return ctx.me && ctx.me.role === "staff"; }

  function renderStaff(panel, ctx) {
    var t = ctx.t, el = ctx.el;
    var box = el("div", null, "support staff-desk");
    box.style.maxWidth = "1000px";
    box.appendChild(el("h2", t("staff.heading")));
    box.appendChild(el("p", t("console.hours"), "status"));
    var filter = el("form");
    filter.id = "staff-filter";
    filter.style.cssText = "display:flex;gap:8px;align-items:center;margin:8px 0";
    var licensee = el("input");
    licensee.id = "staff-licensee"; licensee.maxLength = 64; licensee.style.width = "320px"; licensee.placeholder = t("staff.licensee");
    var show = el("button", t("staff.filter"));
    show.type = "submit";
    [licensee, show].forEach(function (n) { filter.appendChild(n); });
    filter.addEventListener("submit", function (e) { e.preventDefault(); loadStaff(panel, ctx); });
    box.appendChild(filter);
    var list = el("div");
    list.id = "staff-requests";
    box.appendChild(list);
    panel.appendChild(box);
  }

  function staffCard(ctx, r) {
    var t = ctx.t, el = ctx.el;
    var node = card(ctx, r, true);
    var who = el("div", t("staff.from", {licensee: r.licensee, by: r.opened_by, at: when(ctx, r.opened_at), via: t("via." + r.via)}), "status");
    node.insertBefore(who, node.childNodes[1]);
    if (r.approaching && r.approaching.length) {
      node.querySelector(".support-due").appendChild(el("div", t("staff.approaching", {targets: r.approaching.map(function (x) { return t("target." + x); }).join("、")}), "status approaching"));
    }
    return node;
  }

  function openStaff(ctx, id, thread, panel) {
    var t = ctx.t, el = ctx.el;
    ctx.call("GET", "v1/staff/support/requests/" + encodeURIComponent(id)).then(function (r) {
      thread.textContent = "";
      if (r.status !== 200) { thread.appendChild(el("p", ctx.problem(r), "error")); return; }
      messages(ctx, thread, r.data.messages, true);
      if (r.data.status === "closed") { return; }
      var answer = el("textarea");
      answer.rows = 3; answer.style.width = "100%"; answer.placeholder = t("staff.reply");
      answer.className = "staff-answer";
      var wait = el("input");
      wait.type = "checkbox"; wait.className = "staff-wait";
      var label = el("label");
      label.appendChild(wait);
      label.appendChild(document.createTextNode(" " + t("staff.wait")));
      var send = el("button", t("console.send"));
      send.type = "button"; send.className = "staff-send";
      var close = el("button", t("staff.close"));
      close.type = "button"; close.className = "staff-close";
      function done(s) { if (s.status === 200) { loadStaff(panel, ctx); } else { thread.appendChild(el("p", ctx.problem(s), "error")); } }
      send.addEventListener("click", function () {
        ctx.call("POST", "v1/staff/support/requests/" + encodeURIComponent(id) + "/messages",
                 {text: answer.value, wait_for_merchant: wait.checked}).then(done);
      });
      close.addEventListener("click", function () {
        var body = answer.value.trim() ? {text: answer.value} : {};
        ctx.call("POST", "v1/staff/support/requests/" + encodeURIComponent(id) + "/close", body).then(done);
      });
      [answer, label, send, close].forEach(function (n) { thread.appendChild(n); });
    });
  }

  function loadStaff(panel, ctx) {
    var t = ctx.t, el = ctx.el;
    var list = panel.querySelector("#staff-requests"), licensee = panel.querySelector("#staff-licensee");
    if (!list) { return; }
    var wanted = licensee && licensee.value.trim();
    ctx.call("GET", "v1/staff/support/requests" + (wanted ? "?licensee=" + encodeURIComponent(wanted) : "")).then(function (r) {
      list.textContent = "";
      if (r.status !== 200) { list.appendChild(el("p", ctx.problem(r), "error")); return; }
      if (!r.data.requests.length) { list.appendChild(el("p", t("staff.none"), "empty")); }
      r.data.requests.forEach(function (x) {
        var node = staffCard(ctx, x);
        node.addEventListener("click", function (e) {
          var thread = node.querySelector(".support-thread");
          if (thread.childNodes.length || /^(TEXTAREA|BUTTON|INPUT|LABEL)$/.test(e.target.tagName)) { return; }
          openStaff(ctx, x.id, thread, panel);
        });
        list.appendChild(node);
      });
    });
  }

  window.kefuConsole.register({id: "support", namespace: "support", label: "nav.support", staff: true,
                               render: function (panel, ctx) {
                                 if (isStaff(ctx)) { renderStaff(panel, ctx); loadStaff(panel, ctx); }
                                 else { render(panel, ctx); load(panel, ctx); }
                               },
                               show: function (panel, ctx) { if (isStaff(ctx)) { loadStaff(panel, ctx); } else { load(panel, ctx); } }});
})();
