/* The shop administrator's tab of the console: the team's agent keys (within the licensed seats), the shop's
 * settings (time zone, chat hours, widget texts and email acknowledgements per language) and mail held back
 * from the agents, and who of the licensor's staff read the shop's content. Drawn through window.kefuConsole.register, for admins only; the API refuses others anyway.
 * Every text a person typed is set with textContent. */
(function () {
  "use strict";
  var LOCALES = ["zh-CN", "en"];

  function section(ctx, panel, title) {
    var box = ctx.el("section", null, "admin-box");
    box.appendChild(ctx.el("h3", ctx.t(title)));
    panel.appendChild(box);
    return box;
  }
  function field(ctx, box, label, input) {
    var row = ctx.el("label", null, "admin-field");
    // the acknowledgement's label names its own placeholders: they are shown, not filled
    row.appendChild(ctx.el("span", ctx.t(label, {merchant: "{merchant}", number: "{number}"})));
    row.appendChild(input);
    box.appendChild(row);
    return input;
  }
  function input(ctx, name, value, tag) {
    var node = ctx.el(tag || "input");
    node.name = name;
    node.value = value || "";
    return node;
  }
  // A refusal in the agent's language where the catalogue knows its code, else the API's own message.
  function problem(ctx, r) {
    var code = r.data && r.data.error && r.data.error.code, key = "error." + code;
    return code && ctx.t(key) !== key ? ctx.t(key) : ctx.problem(r);
  }
  function note(ctx, box, text, cls) {
    var p = box.querySelector("p.admin-note") || box.appendChild(ctx.el("p", null, "admin-note"));
    p.textContent = text || "";
    p.className = "admin-note " + (cls || "");
  }

  // -- the team -------------------------------------------------------------------------------------------
  function team(ctx, box) {
    var list = box.appendChild(ctx.el("table", null, "admin-team"));
    var seats = box.appendChild(ctx.el("p", null, "admin-seats"));
    var form = box.appendChild(ctx.el("form", null, "admin-add"));
    var name = field(ctx, form, "team.name", input(ctx, "name"));
    var email = field(ctx, form, "team.email", input(ctx, "email"));
    email.type = "email";
    var role = field(ctx, form, "team.role", ctx.el("select"));
    role.name = "role";
    ["agent", "admin"].forEach(function (r) { var o = ctx.el("option", ctx.t("role." + r)); o.value = r; role.appendChild(o); });
    form.appendChild(ctx.el("button", ctx.t("team.add"))).type = "submit";
    var shown = box.appendChild(ctx.el("div", null, "admin-newkey hidden"));

    function load() {
      return ctx.call("GET", "v1/admin/agents").then(function (r) {
        list.textContent = "";
        if (r.status !== 200) { note(ctx, box, problem(ctx, r), "error"); return; }
        seats.textContent = ctx.t("team.seats", {used: r.data.used, seats: r.data.seats});
        r.data.items.forEach(function (a) {
          var tr = list.appendChild(ctx.el("tr"));
          tr.setAttribute("data-agent", a.id);
          tr.appendChild(ctx.el("td", a.name));
          tr.appendChild(ctx.el("td", a.email));
          tr.appendChild(ctx.el("td", ctx.t("role." + a.role)));
          tr.appendChild(ctx.el("td", a.active ? ctx.time(a.created_at) : ctx.t("team.revoked", {at: ctx.time(a.revoked_at)})));
          var cell = tr.appendChild(ctx.el("td"));
          if (a.active && !(ctx.me && ctx.me.id === a.id)) {
            var remove = cell.appendChild(ctx.el("button", ctx.t("team.remove")));
            remove.type = "button";
            remove.addEventListener("click", function () {
              if (!window.confirm(ctx.t("team.confirm_remove", {name: a.name}))) { return; }
              ctx.call("DELETE", "v1/admin/agents/" + encodeURIComponent(a.id)).then(function (d) {
                note(ctx, box, d.status === 200 ? ctx.t("team.removed", {name: a.name}) : problem(ctx, d), d.status === 200 ? "" : "error");
                load();
              });
            });
          }
        });
      });
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      ctx.call("POST", "v1/admin/agents", {name: name.value.trim(), email: email.value.trim(), role: role.value}).then(function (r) {
        shown.textContent = "";
        shown.classList.add("hidden");
        if (r.status !== 201) { note(ctx, box, problem(ctx, r), "error"); return; }
        note(ctx, box, "");
        shown.appendChild(ctx.el("p", ctx.t("team.key_once", {name: r.data.name})));
        shown.appendChild(ctx.el("code", r.data.key, "admin-key"));
        shown.classList.remove("hidden");
        form.reset();
        load();
      });
    });
    return load();
  }

  // -- settings -------------------------------------------------------------------------------------------
  function settings(ctx, box) {
    return ctx.call("GET", "v1/admin/settings").then(function (r) {
      if (r.status !== 200) { note(ctx, box, problem(ctx, r), "error"); return; }
      var s = r.data, form = box.appendChild(ctx.el("form", null, "admin-settings"));
      var timezone = field(ctx, form, "settings.timezone", input(ctx, "timezone", s.timezone));
      var hours = field(ctx, form, "settings.hours", input(ctx, "chat_hours", s.chat_hours));
      form.appendChild(ctx.el("small", ctx.t("settings.hours_hint")));
      var texts = {};
      LOCALES.forEach(function (locale) {
        var group = form.appendChild(ctx.el("fieldset"));
        group.appendChild(ctx.el("legend", ctx.t("settings.language." + locale)));
        texts[locale] = {
          greeting: field(ctx, group, "settings.greeting", input(ctx, "greeting-" + locale, (s.widget_texts[locale] || {}).greeting, "textarea")),
          offline: field(ctx, group, "settings.offline", input(ctx, "offline-" + locale, (s.widget_texts[locale] || {}).offline, "textarea")),
          ack: field(ctx, group, "settings.acknowledgement", input(ctx, "ack-" + locale, s.acknowledgement_texts[locale], "textarea"))
        };
        texts[locale].ack.placeholder = s.default_acknowledgement;
      });
      var acknowledge = ctx.el("input");
      acknowledge.type = "checkbox";
      acknowledge.name = "acknowledge";
      acknowledge.checked = !!s.acknowledge;
      var check = ctx.el("label", null, "admin-field admin-check");
      check.appendChild(acknowledge);
      check.appendChild(ctx.el("span", ctx.t("settings.acknowledge")));
      form.appendChild(check);
      form.appendChild(ctx.el("button", ctx.t("settings.save"))).type = "submit";
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var body = {timezone: timezone.value.trim(), chat_hours: hours.value.trim(), acknowledge: acknowledge.checked,
                    widget_texts: {}, acknowledgement_texts: {}};
        LOCALES.forEach(function (locale) {
          body.widget_texts[locale] = {greeting: texts[locale].greeting.value, offline: texts[locale].offline.value};
          body.acknowledgement_texts[locale] = texts[locale].ack.value;
        });
        ctx.call("PUT", "v1/admin/settings", body).then(function (d) {
          if (d.status !== 200) { note(ctx, box, problem(ctx, d), "error"); return; }
          hours.value = d.data.chat_hours;
          note(ctx, box, ctx.t("settings.saved"), "ok");
        });
      });
    });
  }

  // -- held mail ------------------------------------------------------------------------------------------
  function held(ctx, box) {
    var list = box.appendChild(ctx.el("div", null, "admin-held"));
    function load() {
      return ctx.call("GET", "v1/admin/held-mail").then(function (r) {
        list.textContent = "";
        if (r.status !== 200) { list.appendChild(ctx.el("p", problem(ctx, r), "error")); return; }
        if (!r.data.items.length) { list.appendChild(ctx.el("p", ctx.t("held.empty"), "empty")); }
        r.data.items.forEach(function (h) {
          var item = list.appendChild(ctx.el("div", null, "item visitor"));
          item.setAttribute("data-held", h.ses_id);
          item.appendChild(ctx.el("strong", h.subject || ctx.t("held.no_subject")));
          item.appendChild(ctx.el("small", (h.from || "") + " · " + ctx.time(h.at)));
          var reason = ctx.t("held.reason." + h.reason);
          item.appendChild(ctx.el("p", ctx.t("held.why", {reason: reason === "held.reason." + h.reason ? h.reason_text : reason}), "held-reason"));
          if (h.released) {
            item.appendChild(ctx.el("small", ctx.t("held.released", {at: ctx.time(h.released.at)})));
          } else if (h.releasable) {
            var release = item.appendChild(ctx.el("button", ctx.t("held.release")));
            release.type = "button";
            release.addEventListener("click", function () {
              ctx.call("POST", "v1/admin/held-mail/" + encodeURIComponent(h.ses_id) + "/release").then(function (d) {
                if (d.status !== 200) { item.appendChild(ctx.el("p", problem(ctx, d), "error")); return; }
                load();
              });
            });
          } else {
            item.appendChild(ctx.el("small", ctx.t("held.not_releasable")));
          }
        });
      });
    }
    return load();
  }

  // -- canned responses -----------------------------------------------------------------------------------
  function canned(ctx, box) {
    var list = box.appendChild(ctx.el("table", null, "admin-team admin-canned"));
    var form = box.appendChild(ctx.el("form", null, "admin-settings"));
    var shortcut = field(ctx, form, "canned.shortcut", input(ctx, "canned-shortcut"));
    var title = field(ctx, form, "canned.title", input(ctx, "canned-title"));
    var text = field(ctx, form, "canned.text", input(ctx, "canned-text", "", "textarea"));
    form.appendChild(ctx.el("small", ctx.t("canned.hint", {customer_name: "{customer_name}", order_number: "{order_number}",
                                                           agent_name: "{agent_name}", ticket_number: "{ticket_number}"})));
    form.appendChild(ctx.el("button", ctx.t("canned.save"))).type = "submit";
    function load() {
      return ctx.call("GET", "v1/agent/canned-responses").then(function (r) {
        list.textContent = "";
        if (r.status !== 200) { note(ctx, box, problem(ctx, r), "error"); return; }
        r.data.items.forEach(function (c) {
          var tr = list.appendChild(ctx.el("tr"));
          tr.setAttribute("data-canned", c.shortcut);
          tr.appendChild(ctx.el("td", "/" + c.shortcut));
          tr.appendChild(ctx.el("td", c.title));
          tr.appendChild(ctx.el("td", c.text));
          var remove = tr.appendChild(ctx.el("td")).appendChild(ctx.el("button", ctx.t("team.remove")));
          remove.type = "button";
          remove.addEventListener("click", function () {
            ctx.call("DELETE", "v1/agent/canned-responses/" + encodeURIComponent(c.shortcut)).then(load);
          });
        });
      });
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      ctx.call("POST", "v1/agent/canned-responses", {shortcut: shortcut.value.trim(), title: title.value.trim(),
                                                     text: text.value.trim()}).then(function (r) {
        if (r.status !== 201) { note(ctx, box, problem(ctx, r), "error"); return; }
        note(ctx, box, "");
        form.reset();
        load();
      });
    });
    return load();
  }

  // -- who of the licensor's staff read the shop's content (clause 7.1) -------------------------------------
  function accesses(ctx, box) {
    box.appendChild(ctx.el("p", ctx.t("access.hint"), "admin-hint"));
    var list = box.appendChild(ctx.el("table", null, "admin-team admin-accesses"));
    return ctx.call("GET", "v1/admin/privacy/accesses").then(function (r) {
      if (r.status !== 200) { note(ctx, box, problem(ctx, r), "error"); return; }
      if (!r.data.items.length) { note(ctx, box, ctx.t("access.empty")); return; }
      var head = list.appendChild(ctx.el("tr"));
      ["access.at", "access.actor", "access.what", "access.ref"].forEach(function (k) { head.appendChild(ctx.el("th", ctx.t(k))); });
      r.data.items.forEach(function (a) {
        var tr = list.appendChild(ctx.el("tr"));
        tr.setAttribute("data-access", a.what);
        tr.appendChild(ctx.el("td", ctx.time(a.at)));
        tr.appendChild(ctx.el("td", a.actor));
        var what = "access.what." + a.what;
        tr.appendChild(ctx.el("td", ctx.t(what) !== what ? ctx.t(what) : a.what));
        tr.appendChild(ctx.el("td", a.ref));
      });
    });
  }

  function start() {
    window.kefuConsole.register({
      id: "admin", namespace: "admin", label: "nav.admin",
      visible: function (ctx) { return !!(ctx.me && ctx.me.role === "admin"); },
      render: function (panel, ctx) {
        panel.classList.add("admin");
        team(ctx, section(ctx, panel, "team.heading"));
        settings(ctx, section(ctx, panel, "settings.heading"));
        canned(ctx, section(ctx, panel, "canned.heading"));
        held(ctx, section(ctx, panel, "held.heading"));
        accesses(ctx, section(ctx, panel, "access.heading"));
      }
    });
  }
  if (window.kefuConsole) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
