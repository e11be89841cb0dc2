/* kefu agents' console: plain DOM, no framework. Every text a person typed is set with textContent.
 * The agent key stays in sessionStorage (gone when the tab closes). API paths are relative, so the console
 * works under any API Gateway stage prefix. */
(function () {
  "use strict";
  var KEY = "kefu-agent-key";
  var $ = function (id) { return document.getElementById(id); };
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
  function time(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

  function call(method, path, body) {
    var headers = {Authorization: "Bearer " + state.key};
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(path, {method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
                        cache: "no-store"})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return {status: r.status, data: data}; });
      });
  }
  function problem(r) { return (r.data && r.data.error && r.data.error.message) || ("Request failed (" + r.status + ")"); }
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
      $("who").textContent = r.data.name || "Agent";
      $("login").classList.add("hidden");
      $("app").classList.remove("hidden");
      loadAgents();
      loadList(true);
      timers.push(setInterval(function () { call("PUT", "v1/agent/presence", {status: $("presence").value}); }, 60000));
      timers.push(setInterval(function () { if (state.tab === "conversations") { loadList(true); } }, 10000));
      timers.push(setInterval(function () { if (state.current && state.tab === "conversations") { openConversation(state.current, true); } }, 3000));
    }).catch(function () { $("login-error").textContent = "The API does not answer."; });
  }

  $("presence").addEventListener("change", function () {
    call("PUT", "v1/agent/presence", {status: $("presence").value}).then(function (r) { if (r.status !== 200) { fail(problem(r)); } });
  });

  // -- tabs ----------------------------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("nav button"), function (button) {
    button.addEventListener("click", function () {
      state.tab = button.getAttribute("data-tab");
      Array.prototype.forEach.call(document.querySelectorAll("nav button"), function (b) {
        b.setAttribute("aria-selected", String(b === button));
      });
      ["conversations", "tickets", "outbox"].forEach(function (name) {
        $("tab-" + name).classList.toggle("hidden", name !== state.tab);
      });
      if (state.tab === "tickets") { loadTickets(); }
      if (state.tab === "outbox") { loadOutbox(); }
    });
  });

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
      if (reset && !r.data.items.length) { list.appendChild(el("li", "No " + state.status + " conversations.", "empty")); }
      r.data.items.forEach(function (c) {
        var li = el("li");
        li.setAttribute("data-conversation", c.id);
        if (c.id === state.current) { li.className = "active"; }
        li.appendChild(el("strong", c.visitor.name || c.visitor.email || "Visitor"));
        li.appendChild(el("small", (c.assignee ? c.assignee.name : "unassigned") + " · " + time(c.last_activity)));
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
      $("visitor").textContent = (c.visitor.name || "Visitor") + (c.visitor.email ? " <" + c.visitor.email + ">" : "") +
        (c.visitor.verified ? " ✓ verified " + c.visitor.customer_id : "");
      $("conversation-status").textContent = c.status + (c.handover ? " · handed over to email " + c.handover.email : "");
      var select = $("assignee");
      select.textContent = "";
      var none = el("option", "Unassigned"); none.value = ""; select.appendChild(none);
      state.agents.forEach(function (a) {
        var option = el("option", a.name + (a.online ? " (online)" : "") + (a.me ? " — me" : ""));
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
        who: m.author === "visitor" ? "Visitor" : (m.agent_name || "Agent")}; })
        .concat(c.notes.map(function (n) { return {kind: "note", text: n.text, at: n.created_at, who: n.agent_name + " (private note)"}; }));
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
    target.appendChild(el("p", "Email is not available: this installation has no email channel yet.", "status"));
  }

  function loadTickets() {
    call("GET", "v1/agent/tickets?status=open").then(function (r) {
      var list = $("tickets");
      list.textContent = "";
      if (absent(r)) { emailMissing(list); return; }
      if (r.status !== 200) { list.appendChild(el("li", problem(r), "error")); return; }
      if (!r.data.items.length) { list.appendChild(el("li", "No open tickets.", "empty")); }
      r.data.items.forEach(function (t) {
        var li = el("li");
        li.appendChild(el("strong", t.subject || "(no subject)"));
        li.appendChild(el("small", (t.contact || "") + " · " + (t.status || "")));
        li.addEventListener("click", function () { openTicket(t.id); });
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
      view.appendChild(el("h3", r.data.subject || "(no subject)"));
      (r.data.messages || []).forEach(function (m) {
        var item = el("div", m.text || m.body || "", "item " + (m.from === "agent" ? "agent" : "visitor"));
        item.appendChild(el("small", (m.from || "") + " · " + time(m.created_at)));
        (m.attachments || []).forEach(function (a) {
          var href = safeUrl(a.url);
          var link = el(href ? "a" : "span", a.filename || "attachment");
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
      if (!r.data.items.length) { view.appendChild(el("p", "Nothing has been sent yet.", "empty")); }
      r.data.items.forEach(function (m) {
        var row = el("div", null, "item visitor");
        var href = safeUrl(m.url);
        var subject = el(href ? "a" : "strong", m.subject || "(no subject)");
        if (href) { subject.href = href; subject.target = "_blank"; subject.rel = "noopener noreferrer"; }
        row.appendChild(subject);
        row.appendChild(el("small", "to " + (m.to || "") + " · " + time(m.created_at)));
        view.appendChild(row);
      });
    });
  }

  if (state.key) { signIn(); }
})();
