/* kefu agents' console: plain DOM, no framework. Every text a person typed is set with textContent.
 * The agent key stays in sessionStorage (gone when the tab closes). API paths are relative, so the console
 * works under any API Gateway stage prefix. */
(function () {
  "use strict";
  var KEY = "kefu-agent-key", LOCALE = "kefu-console-locale";
  var $ = function (id) { return document.getElementById(id); };
  var texts = {}, locale = "zh-CN", tabs = [], catalogues = {};
  var state = {key: sessionStorage.getItem(KEY), status: "open", current: null, next: null, agents: [], ticketStatus: "open",
               canned: [], context: {conversations: {}, tickets: {}},
               me: null, ticket: null, tab: "conversations", tag: null, live: false, quiet: 0};
  var timers = [];
  var hooks = {entry: [], opened: [], signedIn: []};

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  // Client ids start with the server's millisecond as far as we can tell (`offset`, from the replies' times):
  // a chat reply sent again lands on the same key wherever it goes, and is the same message.
  var offset = 0;
  function clientId() {
    var b = new Uint8Array(12); crypto.getRandomValues(b);
    return String(Date.now() + offset) + "-a" + Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  // Dates and times in the shop's time zone (from sign-in), whatever the agent's computer is set to.
  function time(iso) {
    if (!iso) { return ""; }
    var options = {year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false};
    try { return new Date(iso).toLocaleString(locale, Object.assign(options, {timeZone: (state.me && state.me.timezone) || "Asia/Shanghai"})); }
    catch (e) { return new Date(iso).toLocaleString(locale, options); }
  }

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
  // A refusal in the agent's language where the catalogue knows its code, else the API's own words.
  function problem(r) {
    var error = r.data && r.data.error;
    if (error && error.code && texts["error." + error.code] !== undefined) { return t("error." + error.code, error.details); }
    return (error && error.message) || t("error.request", {status: r.status});
  }
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
      if (r.status === 403 && r.data && r.data.error && r.data.error.code === "STAFF_KEY") { return staffSignIn(); }
      if (r.status !== 200) { $("login-error").textContent = problem(r); sessionStorage.removeItem(KEY); return; }
      sessionStorage.setItem(KEY, state.key);
      state.me = r.data;
      $("who").textContent = r.data.name || t("me.agent");
      $("login").classList.add("hidden");
      $("app").classList.remove("hidden");
      loadAgents();
      loadList(true);
      timers.push(setInterval(function () { call("PUT", "v1/agent/presence", {status: $("presence").value}); }, 60000));
      // Polling with the cursor: every 10 s, every 60 s while the push channel is open (it tells of changes at once)
      timers.push(setInterval(function () {
        if (state.tab === "conversations" && !state.searching && (!state.live || ++state.quiet % 6 === 0)) { loadList(false); }
      }, 10000));
      timers.push(setInterval(function () {
        if (state.current && state.tab === "conversations" && !state.live) { openConversation(state.current, true); }
      }, 3000));
      tabs.forEach(function (tab) { if (tab.started) { tab.started(); } });
      hooks.signedIn.forEach(function (hook) { hook(r.data); });
    }).catch(function () { $("login-error").textContent = t("login.no_api"); });
  }

  // Licensor staff sign in with a staff key to the licensor's workspace: only the tabs registered with
  // `staff: true` (the Support tab) show, and no presence is kept (staff hold no merchant's seat).
  function staffSignIn() {
    return call("GET", "v1/staff/me").then(function (r) {
      if (r.status !== 200) { $("login-error").textContent = problem(r); sessionStorage.removeItem(KEY); return; }
      sessionStorage.setItem(KEY, state.key);
      state.me = r.data;
      document.body.classList.add("staff");
      $("who").textContent = r.data.name;
      $("presence").classList.add("hidden");
      $("login").classList.add("hidden");
      $("app").classList.remove("hidden");
      Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) { b.classList.add("hidden"); });
      tabs.forEach(function (tab) { if (tab.started) { tab.started(); } });
      var first = tabs.filter(function (tab) { return tab.staff; })[0];
      if (first) { select(first.id); }
    });
  }

  $("presence").addEventListener("change", function () {
    call("PUT", "v1/agent/presence", {status: $("presence").value}).then(function (r) { if (r.status !== 200) { fail(problem(r)); } });
  });

  $("language").addEventListener("change", function () {
    try { localStorage.setItem(LOCALE, $("language").value); } catch (e) { /* this page only */ }
    useLanguage($("language").value).then(function () {
      if (state.key && state.me && state.me.role !== "staff") { loadList(true); if (state.current) { openConversation(state.current, true); } }
    });
  });

  // -- tabs ----------------------------------------------------------------------------------------------
  function select(name) {
    state.tab = name;
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-tab") === name));
      if (b.getAttribute("data-tab") === name && b.scrollIntoView) { b.scrollIntoView({block: "nearest", inline: "nearest"}); }
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
   * `time`, `locale`, `me` (with `role`, admin or agent) and `problem`. An optional `visible(ctx)` says whether
   * the signed-in agent sees the tab at all (e.g. admins only); the API refuses the others anyway. A tab with
   * `staff: true` also serves licensor staff signed in with a staff key (ctx.me.role is then "staff"). */
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
    tab.staff = !!spec.staff;
    function allowed() {
      if (state.me && state.me.role === "staff") { return tab.staff; }
      return !spec.visible || (state.me && spec.visible(context()));
    }
    function draw() { if (state.me && allowed()) { panel.textContent = ""; spec.render(panel, context()); tab.drawn = true; } }
    tab.load = function () {
      return catalogue(spec.namespace || spec.id, locale).then(function (answer) {
        own = answer.texts || {};
        button.textContent = ctx.t(spec.label || spec.id);
        if (tab.drawn) { draw(); }
      });
    };
    button.classList.toggle("hidden", !!spec.visible);
    tab.started = function () {
      button.classList.toggle("hidden", !allowed());
      if (allowed()) { tab.load().then(draw); }
    };
    tab.show = function () { if (!tab.drawn) { draw(); } if (spec.show) { spec.show(panel, context()); } };
    tabs.push(tab);
    tab.load();
    if (state.me) { tab.started(); }
  }
  window.kefuConsole = {register: register};

  // On a phone the list and the thread take turns: choosing an item shows its thread, Back shows the list.
  function threadOpen(tab, open) { $("tab-" + tab).classList.toggle("thread-open", open); }
  Array.prototype.forEach.call(document.querySelectorAll("[data-back]"), function (button) {
    button.addEventListener("click", function () { threadOpen(button.getAttribute("data-back"), false); });
  });

  // -- conversations -------------------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("[data-status]"), function (button) {
    button.addEventListener("click", function () {
      state.status = button.getAttribute("data-status"); state.searching = null; $("search").value = ""; loadList(true);
    });
  });

  function loadAgents() {
    return call("GET", "v1/agent/agents").then(function (r) { if (r.status === 200) { state.agents = r.data.items; } });
  }

  /* The inbox: the shop's chats and tickets in one list (GET v1/agent/inbox), by view. A full read on a
   * change of view, then polls with the cursor bring only what moved. A push channel, where there is one,
   * calls window.kefuConsole.inboxChanged() to poll at once instead of waiting for the next round. */
  var inbox = {entries: {}, cursor: null};
  function entryItem(e) {
    var li = el("li");
    li.setAttribute(e.kind === "chat" ? "data-conversation" : "data-ticket", e.id);
    li.setAttribute("data-entry", e.kind + ":" + e.id);
    if ((e.kind === "chat" && e.id === state.current) || (e.kind === "ticket" && e.id === state.ticket)) { li.className = "active"; }
    var title = el("strong");
    title.appendChild(el("span", t("kind." + e.kind), "kind " + e.kind));
    title.appendChild(document.createTextNode(e.kind === "ticket" ? "#" + e.number + " " + (e.title || t("tickets.no_subject"))
                                                                  : (e.title || t("conversation.visitor"))));
    li.appendChild(title);
    if (e.preview) { li.appendChild(el("small", e.preview, "preview")); }
    li.appendChild(el("small", (e.contact ? e.contact + " · " : "") + (e.assignee ? e.assignee.name : t("conversation.unassigned")) +
                               " · " + time(e.last_activity)));
    hooks.entry.forEach(function (hook) { hook(li, e); });
    li.addEventListener("click", function () {
      seen(e.kind + ":" + e.id);
      if (e.kind === "chat") { threadOpen("conversations", true); openConversation(e.id, false); return; }
      select("tickets"); threadOpen("tickets", true); openTicket(e.id);
    });
    return li;
  }
  function drawInbox() {
    var list = $("conversations");
    list.textContent = "";
    var entries = Object.keys(inbox.entries).map(function (k) { return inbox.entries[k]; });
    entries.sort(function (a, b) { return a.last_activity < b.last_activity ? 1 : a.last_activity > b.last_activity ? -1 : 0; });
    if (!entries.length) { list.appendChild(el("li", t("list.empty", {status: t(viewLabel(state.status))}), "empty")); }
    entries.forEach(function (e) { list.appendChild(entryItem(e)); });
  }
  function viewLabel(view) { return view === "mine" || view === "unassigned" ? "view." + view : "status." + view; }
  function belongs(e) {
    if (state.tag && (e.tags || []).indexOf(state.tag) < 0) { return false; }
    var active = e.status === "open" || e.status === "pending";
    if (state.status === "mine") { return active && e.assignee && state.me && e.assignee.id === state.me.id; }
    if (state.status === "unassigned") { return active && !e.assignee; }
    return e.status === state.status;
  }
  /* Not missing a customer: an entry that is new or moved since the agent last looked is unread; their count
   * is in the tab's title; a new one rings (if the agent turned the sound on) and shows a desktop notification
   * (once the agent allowed them). */
  var unread = {}, baseTitle = document.title;
  var alerts = {sound: false, desktop: false};
  try { alerts.sound = localStorage.getItem("kefu-console-sound") === "on"; } catch (e) { /* this page only */ }
  function showUnread() {
    var count = Object.keys(unread).length;
    document.title = (count ? "(" + count + ") " : "") + t("title");
    Array.prototype.forEach.call(document.querySelectorAll("#conversations li[data-entry]"), function (li) {
      li.classList.toggle("unread", !!unread[li.getAttribute("data-entry")]);
    });
  }
  function seen(key) { if (unread[key]) { delete unread[key]; showUnread(); } }
  function ring() {
    if (!alerts.sound) { return; }
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)(), tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880; gain.gain.value = 0.08;
      tone.connect(gain); gain.connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.18);
    } catch (e) { /* no audio here */ }
  }
  function notify(e) {
    ring();
    if (!alerts.desktop || !("Notification" in window) || Notification.permission !== "granted") { return; }
    try {
      var note = new Notification(t(e.kind === "chat" ? "notify.chat" : "notify.ticket", {title: e.title || "", number: e.number || ""}),
                                  {body: e.preview || "", tag: e.kind + ":" + e.id});
      note.onclick = function () { window.focus(); };
    } catch (err) { /* the browser refused */ }
  }
  function arrived(entries, first) {
    entries.forEach(function (e) {
      var key = e.kind + ":" + e.id, known = inbox.entries[key];
      var moved = !known || known.last_activity !== e.last_activity;
      var open = (e.kind === "chat" && e.id === state.current) || (e.kind === "ticket" && e.id === state.ticket);
      if (!first && moved && !open) { unread[key] = true; notify(e); }
    });
  }
  function alertButtons() {
    $("sound").setAttribute("aria-pressed", String(alerts.sound));
    $("notify").setAttribute("aria-pressed", String(alerts.desktop));
  }
  $("sound").addEventListener("click", function () {
    alerts.sound = !alerts.sound;
    try { localStorage.setItem("kefu-console-sound", alerts.sound ? "on" : "off"); } catch (e) { /* this page only */ }
    alertButtons();
    ring();
  });
  $("notify").addEventListener("click", function () {
    if (!("Notification" in window)) { return; }
    if (alerts.desktop) { alerts.desktop = false; alertButtons(); return; }
    Promise.resolve(Notification.requestPermission()).then(function (answer) {
      alerts.desktop = answer === "granted";
      alertButtons();
    });
  });
  alertButtons();
  window.kefuConsole.unread = function () { return Object.keys(unread).length; };

  function loadList(reset) {
    var polling = !reset && inbox.cursor;
    var path = "v1/agent/inbox?view=" + state.status + (state.tag ? "&tag=" + encodeURIComponent(state.tag) : "") +
               (polling ? "&since=" + encodeURIComponent(inbox.cursor) : "");
    Array.prototype.forEach.call(document.querySelectorAll("[data-status]"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-status") === state.status));
    });
    return call("GET", path).then(function (r) {
      if (r.status !== 200) { fail(problem(r)); return; }
      arrived(r.data.items, !polling && !inbox.started);
      inbox.started = true;
      if (!polling) { inbox.entries = {}; }
      r.data.items.forEach(function (e) { inbox.entries[e.kind + ":" + e.id] = e; });
      // an entry that moved out of the view (closed, taken by a colleague) leaves it
      Object.keys(inbox.entries).forEach(function (k) { if (!belongs(inbox.entries[k])) { delete inbox.entries[k]; } });
      inbox.cursor = r.data.cursor || inbox.cursor;
      drawInbox();
      showUnread();
    });
  }
  // Search: the shop's tickets, chats and customers; the results stand in the list until the box is cleared.
  function showSearch(q) {
    state.searching = q;
    return call("GET", "v1/agent/search?q=" + encodeURIComponent(q)).then(function (r) {
      var list = $("conversations");
      list.textContent = "";
      if (r.status !== 200) { list.appendChild(el("li", problem(r), "error")); return; }
      if (!r.data.items.length) { list.appendChild(el("li", t("search.none", {q: q}), "empty")); }
      r.data.items.forEach(function (e) {
        if (e.kind !== "contact") { list.appendChild(entryItem(e)); return; }
        var li = el("li");
        li.setAttribute("data-contact", e.id);
        var title = el("strong");
        title.appendChild(el("span", t("kind.contact"), "kind"));
        title.appendChild(document.createTextNode(e.title));
        li.appendChild(title);
        li.appendChild(el("small", e.contact));
        li.addEventListener("click", function () { openContact(e.contact); });
        list.appendChild(li);
      });
    });
  }
  $("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = $("search").value.trim();
    if (q) { showSearch(q); } else { state.searching = null; loadList(true); }
  });
  $("search").addEventListener("search", function () { if (!$("search").value.trim()) { state.searching = null; loadList(true); } });

  window.kefuConsole.inboxChanged = function () { if (state.me && state.me.role !== "staff" && !state.searching) { return loadList(false); } };

  function openConversation(id, refresh) {
    seen("chat:" + id);
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
      state.context.conversations = {customer_name: c.visitor.name || "", agent_name: state.me ? state.me.name : "",
        order_number: orderNumber(c.messages.filter(function (m) { return m.author === "visitor"; }).map(function (m) { return m.text; }))};
      var timeline = $("timeline");
      var atBottom = timeline.scrollTop + timeline.clientHeight >= timeline.scrollHeight - 20;
      timeline.textContent = "";
      var entries = c.messages.map(function (m) { return {kind: m.author, text: m.text, at: m.created_at, file: m.file,
        who: m.author === "visitor" ? (c.visitor.name || t("conversation.visitor")) : (m.agent_name || t("me.agent"))}; })
        .concat(c.notes.map(function (n) { return {kind: "note", text: n.text, at: n.created_at, who: t("reply.note_label", {name: n.agent_name})}; }));
      entries.sort(function (a, b) { return a.at < b.at ? -1 : a.at > b.at ? 1 : 0; });
      entries.forEach(function (e) {
        var item = el("div", e.file ? null : e.text, "item " + e.kind);  // a file's text is its name
        item.setAttribute("data-kind", e.kind);
        if (e.file) { item.appendChild(fileLink(e.file)); }
        item.appendChild(el("small", e.who + " · " + time(e.at)));
        timeline.appendChild(item);
      });
      if (!refresh || atBottom) { timeline.scrollTop = timeline.scrollHeight; }
      hooks.opened.forEach(function (hook) { hook("chat", id, c, refresh); });
    });
  }

  // A file of a message (a shopper's or an agent's): a picture shown small, anything else a download link.
  function fileLink(file) {
    var href = safeUrl(file.url), link = el(href ? "a" : "span", null, "file");
    if (href) { link.href = href; link.target = "_blank"; link.rel = "noopener noreferrer"; }
    if (file.image && href) { var img = el("img"); img.src = href; img.alt = file.name; img.className = "thumb"; link.appendChild(img); }
    link.appendChild(el("span", file.name));
    return link;
  }

  function send(kind) {
    var text = $("reply-text").value.trim();
    if (!text || !state.current) { return; }
    var path = "v1/agent/conversations/" + encodeURIComponent(state.current) + (kind === "note" ? "/notes" : "/messages");
    var body = kind === "note" ? {text: text} : {text: text, client_id: clientId()};
    call("POST", path, body).then(function (r) {
      if (r.status !== 201) { fail(problem(r)); return; }
      if (r.data && Date.parse(r.data.created_at)) { offset = Date.parse(r.data.created_at) - Date.now(); }
      $("reply-text").value = "";
      openConversation(state.current, false);
    });
  }
  $("reply-form").addEventListener("submit", function (e) { e.preventDefault(); send("reply"); });
  $("send-note").addEventListener("click", function () { send("note"); });
  $("reply-text").addEventListener("keydown", function (e) {
    // An Enter that confirms an IME candidate (pinyin, wubi) is not a send.
    if (e.isComposing || e.keyCode === 229) { return; }
    if (e.defaultPrevented) { return; }  // the canned-response menu took it
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

  // The email channel's views live in console-tickets.js (with the canned responses); it fills `mail`.
  var mail = {};
  function loadTickets() { return mail.loadTickets ? mail.loadTickets() : Promise.resolve(); }
  function openTicket(id, refresh) { return mail.openTicket ? mail.openTicket(id, refresh) : Promise.resolve(); }
  function loadOutbox() { return mail.loadOutbox ? mail.loadOutbox() : Promise.resolve(); }
  // The last order number a customer mentioned (a canned response's {order_number}).
  function orderNumber(texts) {
    var pattern = /(?:订单号?|单号|order(?:\s*(?:no\.?|number))?)\s*[:：#]?\s*([A-Za-z0-9][A-Za-z0-9-]{3,31})/gi, found = "";
    texts.forEach(function (text) { var m; pattern.lastIndex = 0; while ((m = pattern.exec(text || "")) !== null) { found = m[1]; } });
    return found;
  }
  function safeUrl(url) {
    try { var u = new URL(url, location.href); return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null; }
    catch (e) { return null; }
  }

  /* What the console's other scripts of this area (console-tickets.js: tickets, outbox, canned responses;
   * console-inbox.js: tags, contacts, files, the tab bar; console-live.js: push and presence) build on: the session, the calls and the views. `hooks.entry` run on
   * each list item as it is drawn (li, entry); `hooks.opened` after a conversation or ticket is drawn
   * (kind, id, data, refresh); `hooks.signedIn` once the agent is in (me). */
  function openContact(contact) { if (window.kefuConsole.openContact) { window.kefuConsole.openContact(contact); } }
  // `whenSignedIn(fn)` runs fn once the agent is in, at once when they are already (scripts load in any order
  // relative to the sign-in).
  function whenSignedIn(fn) { hooks.signedIn.push(fn); if (state.me) { fn(state.me); } }
  window.kefuConsole.core = {state: state, call: call, t: t, el: el, time: time, problem: problem, fail: fail,
    select: select, threadOpen: threadOpen, openConversation: openConversation, openTicket: openTicket,
    loadList: loadList, loadAgents: loadAgents, hooks: hooks, openContact: openContact, whenSignedIn: whenSignedIn,
    mail: mail, seen: seen, clientId: clientId, safeUrl: safeUrl, orderNumber: orderNumber};

  // Texts first, then the session: nothing is drawn before the language is known.
  var ready = useLanguage(preferred());
  window.kefuConsole.ready = ready;
  ready.then(function () { if (state.key) { signIn(); } });
})();
