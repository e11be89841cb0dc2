/* kefu agents' console: plain DOM, no framework. Every text a person typed is set with textContent.
 * The agent key stays in sessionStorage (gone when the tab closes). API paths are relative, so the console
 * works under any API Gateway stage prefix. */
(function () {
  "use strict";
  var KEY = "kefu-agent-key", LOCALE = "kefu-console-locale";
  var $ = function (id) { return document.getElementById(id); };
  var texts = {}, locale = "zh-CN", tabs = [], catalogues = {};
  var state = {key: sessionStorage.getItem(KEY), status: "open", current: null, next: null, agents: [],
               me: null, ticket: null, tab: "conversations"};
  var timers = [];

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function clientId() {
    var b = new Uint8Array(12); crypto.getRandomValues(b);
    return "a" + Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function time(iso) { return iso ? new Date(iso).toLocaleString(locale) : ""; }

  // -- texts: every string comes from the console catalogue (zh-CN first), fetched once per language -------
  function fill(template, params) {
    return String(template).replace(/\{(\w+)\}/g, function (all, name) {
      return params && params[name] !== undefined && params[name] !== null ? String(params[name]) : "";
    });
  }
  function t(key, params) { return fill(texts[key] !== undefined ? texts[key] : key, params); }
  function preferred() {
    var chosen = null;
    try { chosen = localStorage.getItem(LOCALE); } catch (e) { /* storage off: the browser's languages decide */ }
    return chosen || (navigator.languages && navigator.languages.length ? navigator.languages.join(",") : navigator.language || "");
  }
  function catalogue(namespace, wanted) {
    var cached = catalogues[namespace + "|" + wanted];
    if (cached) { return cached; }
    var first = wanted.split(",")[0];
    var promise = fetch("v1/i18n/" + encodeURIComponent(namespace) + "?locale=" + encodeURIComponent(first),
                        {headers: {"Accept-Language": wanted}, cache: "default"})
      .then(function (r) { return r.ok ? r.json() : {locale: "zh-CN", texts: {}}; })
      .catch(function () { return {locale: "zh-CN", texts: {}}; });
    catalogues[namespace + "|" + wanted] = promise;
    return promise;
  }
  function translatePage() {
    document.documentElement.lang = locale;
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-placeholder]"), function (node) {
      node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-aria]"), function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-i18n-aria")));
    });
    $("language").value = locale;
  }
  function useLanguage(wanted) {
    return catalogue("console", wanted).then(function (answer) {
      texts = answer.texts || {};
      locale = answer.locale || "zh-CN";
      translatePage();
      return Promise.all(tabs.map(function (tab) { return tab.load(); }));
    });
  }

  function call(method, path, body) {
    var headers = {Authorization: "Bearer " + state.key};
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(path, {method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
                        cache: "no-store"})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return {status: r.status, data: data}; });
      });
  }
  function problem(r) { return (r.data && r.data.error && r.data.error.message) || t("error.request", {status: r.status}); }
  function fail(message) { $("error").textContent = message || ""; }

  // -- signing in ----------------------------------------------------------------------------------------
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    state.key = $("key").value.trim();
    signIn();
  });
  $("logout").addEventListener("click", function () {
    call("PUT", "v1/agent/presence", {status: "away"}).finally(function () {
      sessionStorage.removeItem(KEY); location.reload();
    });
  });

  function signIn() {
    call("PUT", "v1/agent/presence", {status: "online"}).then(function (r) {
      if (r.status !== 200) { $("login-error").textContent = problem(r); sessionStorage.removeItem(KEY); return; }
      sessionStorage.setItem(KEY, state.key);
      state.me = r.data;
      $("who").textContent = r.data.name || t("me.agent");
      $("login").classList.add("hidden");
      $("app").classList.remove("hidden");
      loadAgents();
      loadList(true);
      timers.push(setInterval(function () { call("PUT", "v1/agent/presence", {status: $("presence").value}); }, 60000));
      timers.push(setInterval(function () { if (state.tab === "conversations") { loadList(true); } }, 10000));
      timers.push(setInterval(function () { if (state.current && state.tab === "conversations") { openConversation(state.current, true); } }, 3000));
      tabs.forEach(function (tab) { if (tab.started) { tab.started(); } });
    }).catch(function () { $("login-error").textContent = t("login.no_api"); });
  }

  $("presence").addEventListener("change", function () {
    call("PUT", "v1/agent/presence", {status: $("presence").value}).then(function (r) { if (r.status !== 200) { fail(problem(r)); } });
  });

  $("language").addEventListener("change", function () {
    try { localStorage.setItem(LOCALE, $("language").value); } catch (e) { /* this page only */ }
    useLanguage($("language").value).then(function () {
      if (state.key && state.me) { loadList(true); if (state.current) { openConversation(state.current, true); } }
    });
  });

  // -- tabs ----------------------------------------------------------------------------------------------
  function select(name) {
    state.tab = name;
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-tab") === name));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-tab-panel]"), function (panel) {
      panel.classList.toggle("hidden", panel.getAttribute("data-tab-panel") !== name);
    });
    if (name === "tickets") { loadTickets(); }
    if (name === "outbox") { loadOutbox(); }
    tabs.forEach(function (tab) { if (tab.id === name) { tab.show(); } });
  }
  function bindTab(button) {
    button.addEventListener("click", function () { select(button.getAttribute("data-tab")); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), bindTab);

  /* Other areas add tabs from scripts of their own, loaded after this one:
   *   window.kefuConsole.register({id: "support", namespace: "support", label: "nav.support",
   *                                render: function (panel, ctx) {…}, show: function (panel, ctx) {…}});
   * `label` is a key of the tab's own catalogue (chalicelib/i18n/catalogues/<locale>/<namespace>.json);
   * `render` draws the panel once after sign-in and again when the language changes, `show` runs each time the
   * tab is opened. ctx gives the signed-in agent's `call(method, path, body)`, the tab's `t(key, params)`, `el`,
   * `time`, `locale`, `me` and `problem`. */
  function register(spec) {
    var button = el("button", spec.id);
    button.setAttribute("role", "tab");
    button.setAttribute("data-tab", spec.id);
    button.setAttribute("aria-selected", "false");
    $("tabs").appendChild(button);
    bindTab(button);
    var panel = el("main", null, "panel hidden");
    panel.id = "tab-" + spec.id;
    panel.setAttribute("data-tab-panel", spec.id);
    $("app").appendChild(panel);
    var own = {};
    var ctx = {call: call, el: el, time: time, problem: problem,
               t: function (key, params) { return fill(own[key] !== undefined ? own[key] : t(key), params); }};
    var tab = {id: spec.id, drawn: false};
    function context() { ctx.locale = locale; ctx.me = state.me; return ctx; }
    function draw() { if (state.me) { panel.textContent = ""; spec.render(panel, context()); tab.drawn = true; } }
    tab.load = function () {
      return catalogue(spec.namespace || spec.id, locale).then(function (answer) {
        own = answer.texts || {};
        button.textContent = ctx.t(spec.label || spec.id);
        if (tab.drawn) { draw(); }
      });
    };
    tab.started = function () { tab.load().then(draw); };
    tab.show = function () { if (!tab.drawn) { draw(); } if (spec.show) { spec.show(panel, context()); } };
    tabs.push(tab);
    tab.load();
    if (state.me) { tab.started(); }
  }
  window.kefuConsole = {register: register};

  // -- conversations -------------------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("[data-status]"), function (button) {
    button.addEventListener("click", function () { state.status = button.getAttribute("data-status"); loadList(true); });
  });
  $("more").addEventListener("click", function () { loadList(false); });

  function loadAgents() {
    return call("GET", "v1/agent/agents").then(function (r) { if (r.status === 200) { state.agents = r.data.items; } });
  }

  function loadList(reset) {
    var path = "v1/agent/conversations?status=" + state.status + (!reset && state.next ? "&next=" + encodeURIComponent(state.next) : "");
    return call("GET", path).then(function (r) {
      if (r.status !== 200) { fail(problem(r)); return; }
      var list = $("conversations");
      if (reset) { list.textContent = ""; }
      if (reset && !r.data.items.length) { list.appendChild(el("li", t("list.empty", {status: t("status." + state.status)}), "empty")); }
      r.data.items.forEach(function (c) {
        var li = el("li");
        li.setAttribute("data-conversation", c.id);
        if (c.id === state.current) { li.className = "active"; }
        li.appendChild(el("strong", c.visitor.name || c.visitor.email || t("conversation.visitor")));
        li.appendChild(el("small", (c.assignee ? c.assignee.name : t("conversation.unassigned")) + " · " + time(c.last_activity)));
        li.addEventListener("click", function () { openConversation(c.id, false); });
        list.appendChild(li);
      });
      state.next = r.data.next;
      $("more").classList.toggle("hidden", !state.next);
    });
  }

  function openConversation(id, refresh) {
    return call("GET", "v1/agent/conversations/" + encodeURIComponent(id)).then(function (r) {
      if (r.status !== 200) { fail(problem(r)); return; }
      fail("");
      state.current = id;
      var c = r.data;
      Array.prototype.forEach.call(document.querySelectorAll("#conversations li"), function (li) {
        li.classList.toggle("active", li.getAttribute("data-conversation") === id);
      });
      $("conversation-bar").classList.remove("hidden");
      $("reply-form").classList.remove("hidden");
      $("visitor").textContent = (c.visitor.name || t("conversation.visitor")) + (c.visitor.email ? " <" + c.visitor.email + ">" : "") +
        (c.visitor.verified ? " " + t("conversation.verified", {customer_id: c.visitor.customer_id}) : "");
      $("conversation-status").textContent = t("status." + c.status) +
        (c.handover ? " · " + t("conversation.handover", {email: c.handover.email}) : "");
      var select = $("assignee");
      select.textContent = "";
      var none = el("option", t("conversation.unassigned")); none.value = ""; select.appendChild(none);
      state.agents.forEach(function (a) {
        var option = el("option", a.name + (a.online ? t("conversation.online") : "") + (a.me ? t("conversation.me") : ""));
        option.value = a.id; select.appendChild(option);
      });
      if (c.assignee && !state.agents.some(function (a) { return a.id === c.assignee.id; })) {
        var extra = el("option", c.assignee.name); extra.value = c.assignee.id; select.appendChild(extra);
      }
      select.value = c.assignee ? c.assignee.id : "";
      var timeline = $("timeline");
      var atBottom = timeline.scrollTop + timeline.clientHeight >= timeline.scrollHeight - 20;
      timeline.textContent = "";
      var entries = c.messages.map(function (m) { return {kind: m.author, text: m.text, at: m.created_at,
        who: m.author === "visitor" ? t("conversation.visitor") : (m.agent_name || t("me.agent"))}; })
        .concat(c.notes.map(function (n) { return {kind: "note", text: n.text, at: n.created_at, who: t("reply.note_label", {name: n.agent_name})}; }));
      entries.sort(function (a, b) { return a.at < b.at ? -1 : a.at > b.at ? 1 : 0; });
      entries.forEach(function (e) {
        var item = el("div", e.text, "item " + e.kind);
        item.setAttribute("data-kind", e.kind);
        item.appendChild(el("small", e.who + " · " + time(e.at)));
        timeline.appendChild(item);
      });
      if (!refresh || atBottom) { timeline.scrollTop = timeline.scrollHeight; }
    });
  }

  function send(kind) {
    var text = $("reply-text").value.trim();
    if (!text || !state.current) { return; }
    var path = "v1/agent/conversations/" + encodeURIComponent(state.current) + (kind === "note" ? "/notes" : "/messages");
    var body = kind === "note" ? {text: text} : {text: text, client_id: clientId()};
    call("POST", path, body).then(function (r) {
      if (r.status !== 201) { fail(problem(r)); return; }
      $("reply-text").value = "";
      openConversation(state.current, false);
    });
  }
  $("reply-form").addEventListener("submit", function (e) { e.preventDefault(); send("reply"); });
  $("send-note").addEventListener("click", function () { send("note"); });
  $("reply-text").addEventListener("keydown", function (e) {
    // An Enter that confirms an IME candidate (pinyin, wubi) is not a send.
    if (e.isComposing || e.keyCode === 229) { return; }
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send("reply"); }
  });

  $("assignee").addEventListener("change", function () {
    var value = $("assignee").value || null;
    call("POST", "v1/agent/conversations/" + encodeURIComponent(state.current) + "/assign", {agent_id: value})
      .then(function (r) { if (r.status !== 200) { fail(problem(r)); } loadAgents(); openConversation(state.current, true); loadList(true); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-set-status]"), function (button) {
    button.addEventListener("click", function () {
      call("POST", "v1/agent/conversations/" + encodeURIComponent(state.current) + "/status",
           {status: button.getAttribute("data-set-status")})
        .then(function (r) { if (r.status !== 200) { fail(problem(r)); } openConversation(state.current, true); loadList(true); });
    });
  });

  // -- tickets and outbox (the email channel; absent until it is installed) ------------------------------
  // An API without the email routes answers 404 (or, behind API Gateway, 403 without our error shape).
  function absent(r) { return r.status === 404 || (r.status === 403 && !(r.data && r.data.error)); }

  function emailMissing(target) {
    target.textContent = "";
    target.appendChild(el("p", t("email.missing"), "status"));
  }

  function loadTickets() {
    call("GET", "v1/agent/tickets?status=open").then(function (r) {
      var list = $("tickets");
      list.textContent = "";
      if (absent(r)) { emailMissing(list); return; }
      if (r.status !== 200) { list.appendChild(el("li", problem(r), "error")); return; }
      if (!r.data.items.length) { list.appendChild(el("li", t("tickets.empty"), "empty")); }
      r.data.items.forEach(function (ticket) {
        var li = el("li");
        li.appendChild(el("strong", ticket.subject || t("tickets.no_subject")));
        li.appendChild(el("small", (ticket.contact || "") + " · " + (ticket.status || "")));
        li.addEventListener("click", function () { openTicket(ticket.id); });
        list.appendChild(li);
      });
    });
  }

  function safeUrl(url) {
    try { var u = new URL(url, location.href); return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null; }
    catch (e) { return null; }
  }

  function openTicket(id) {
    call("GET", "v1/agent/tickets/" + encodeURIComponent(id)).then(function (r) {
      var view = $("ticket");
      view.textContent = "";
      if (absent(r)) { emailMissing(view); return; }
      if (r.status !== 200) { view.appendChild(el("p", problem(r), "error")); return; }
      state.ticket = id;
      view.appendChild(el("h3", r.data.subject || t("tickets.no_subject")));
      (r.data.messages || []).forEach(function (m) {
        var item = el("div", m.text || m.body || "", "item " + (m.from === "agent" ? "agent" : "visitor"));
        item.appendChild(el("small", (m.from || "") + " · " + time(m.created_at)));
        (m.attachments || []).forEach(function (a) {
          var href = safeUrl(a.url);
          var link = el(href ? "a" : "span", a.filename || t("tickets.attachment"));
          if (href) { link.href = href; link.target = "_blank"; link.rel = "noopener noreferrer"; }
          item.appendChild(document.createElement("br"));
          item.appendChild(link);
        });
        view.appendChild(item);
      });
      $("ticket-form").classList.remove("hidden");
    });
  }

  $("ticket-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("ticket-text").value.trim();
    if (!text || !state.ticket) { return; }
    call("POST", "v1/agent/tickets/" + encodeURIComponent(state.ticket) + "/replies", {text: text}).then(function (r) {
      if (r.status >= 300) { $("ticket").appendChild(el("p", problem(r), "error")); return; }
      $("ticket-text").value = "";
      openTicket(state.ticket);
    });
  });

  function loadOutbox() {
    call("GET", "v1/agent/outbox").then(function (r) {
      var view = $("outbox");
      view.textContent = "";
      if (absent(r)) { emailMissing(view); return; }
      if (r.status !== 200) { view.appendChild(el("p", problem(r), "error")); return; }
      if (!r.data.items.length) { view.appendChild(el("p", t("outbox.empty"), "empty")); }
      r.data.items.forEach(function (m) {
        var row = el("div", null, "item visitor");
        var href = safeUrl(m.url);
        var subject = el(href ? "a" : "strong", m.subject || t("tickets.no_subject"));
        if (href) { subject.href = href; subject.target = "_blank"; subject.rel = "noopener noreferrer"; }
        row.appendChild(subject);
        row.appendChild(el("small", t("outbox.to", {to: m.to || ""}) + " · " + time(m.created_at)));
        view.appendChild(row);
      });
    });
  }

  // Texts first, then the session: nothing is drawn before the language is known.
  var ready = useLanguage(preferred());
  window.kefuConsole.ready = ready;
  ready.then(function () { if (state.key) { signIn(); } });
})();
