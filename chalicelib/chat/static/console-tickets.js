/* kefu console, the email channel's part: tickets (list, thread, reply, notes, assignment, status, a new email),
 * the outbox, and the canned responses a `/` inserts into chat and email replies alike. Built on
 * window.kefuConsole.core (console.js), which calls mail.loadTickets/openTicket/loadOutbox. Every text a person
 * typed is set with textContent. */
(function () {
  "use strict";
  var kc = window.kefuConsole, core = kc.core, $ = function (id) { return document.getElementById(id); };
  var t = core.t, el = core.el, call = core.call, time = core.time, problem = core.problem, state = core.state;
  var hooks = core.hooks, threadOpen = core.threadOpen, seen = core.seen, clientId = core.clientId;
  var safeUrl = core.safeUrl, orderNumber = core.orderNumber;

  // -- canned responses: "/" at the start of a reply opens the shop's list; Enter, Tab or a click inserts one
  //    with its placeholders filled from the conversation or ticket at hand -------------------------------
  function fillCanned(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (all, name) { return values[name] ? String(values[name]) : all; });
  }
  function loadCanned() {
    return call("GET", "v1/agent/canned-responses").then(function (r) { if (r.status === 200) { state.canned = r.data.items; } });
  }
  function attachCanned(textarea, tab) {
    var menu = el("ul", null, "canned-menu hidden"), chosen = 0, matches = [];
    menu.setAttribute("role", "listbox");
    textarea.parentNode.insertBefore(menu, textarea);
    function close() { menu.classList.add("hidden"); matches = []; }
    function insert(response) {
      textarea.value = fillCanned(response.text, state.context[tab] || {});
      close();
      textarea.focus();
    }
    function draw() {
      menu.textContent = "";
      matches.forEach(function (response, n) {
        var li = el("li", null, n === chosen ? "chosen" : "");
        li.setAttribute("role", "option");
        li.setAttribute("data-shortcut", response.shortcut);
        li.appendChild(el("b", "/" + response.shortcut));
        li.appendChild(el("span", " " + (response.title || response.text.slice(0, 40))));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); insert(response); });
        menu.appendChild(li);
      });
      menu.classList.toggle("hidden", !matches.length);
    }
    textarea.addEventListener("input", function () {
      var value = textarea.value;
      if (value.charAt(0) !== "/" || /\s/.test(value)) { close(); return; }
      var wanted = value.slice(1).toLowerCase();
      var refresh = state.canned.length ? Promise.resolve() : loadCanned();
      refresh.then(function () {
        matches = state.canned.filter(function (r) { return r.shortcut.indexOf(wanted) === 0; }).slice(0, 8);
        chosen = 0;
        draw();
      });
    });
    textarea.addEventListener("keydown", function (e) {
      if (!matches.length || e.isComposing || e.keyCode === 229) { return; }
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        chosen = (chosen + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
        draw();
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        insert(matches[chosen]);
      } else if (e.key === "Escape") {
        close();
      }
    }, true);  // capture: at the textarea itself this runs before the Enter-sends listener
    textarea.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  attachCanned($("reply-text"), "conversations");
  attachCanned($("ticket-text"), "tickets");

  // -- tickets and outbox (the email channel; absent until it is installed) ------------------------------
  // An API without the email routes answers 404 (or, behind API Gateway, 403 without our error shape).
  function absent(r) { return r.status === 404 || (r.status === 403 && !(r.data && r.data.error)); }

  function emailMissing(target) {
    target.textContent = "";
    target.appendChild(el("p", t("email.missing"), "status"));
  }

  function loadTickets() {
    var status = state.ticketStatus || "open";
    Array.prototype.forEach.call(document.querySelectorAll("[data-ticket-status]"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-ticket-status") === status));
    });
    return call("GET", "v1/agent/tickets?status=" + status).then(function (r) {
      var list = $("tickets");
      list.textContent = "";
      if (absent(r)) { emailMissing(list); return; }
      if (r.status !== 200) { list.appendChild(el("li", problem(r), "error")); return; }
      if (!r.data.items.length) { list.appendChild(el("li", t("tickets.empty_" + status), "empty")); }
      r.data.items.forEach(function (ticket) {
        var li = el("li");
        li.setAttribute("data-ticket", ticket.id);
        if (ticket.id === state.ticket) { li.className = "active"; }
        li.appendChild(el("strong", "#" + ticket.number + " " + (ticket.subject || t("tickets.no_subject"))));
        if (ticket.preview) { li.appendChild(el("small", ticket.preview, "preview")); }
        li.appendChild(el("small", ticket.contact + " · " + (ticket.assignee ? ticket.assignee.name : t("conversation.unassigned")) +
                                   " · " + time(ticket.last_activity_at)));
        li.addEventListener("click", function () { threadOpen("tickets", true); openTicket(ticket.id); });
        list.appendChild(li);
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-ticket-status]"), function (button) {
    button.addEventListener("click", function () { state.ticketStatus = button.getAttribute("data-ticket-status"); loadTickets(); });
  });


  function assigneeOptions(select, assignee) {
    select.textContent = "";
    var none = el("option", t("conversation.unassigned")); none.value = ""; select.appendChild(none);
    state.agents.forEach(function (a) {
      var option = el("option", a.name + (a.online ? t("conversation.online") : "") + (a.me ? t("conversation.me") : ""));
      option.value = a.id; select.appendChild(option);
    });
    if (assignee && !state.agents.some(function (a) { return a.id === assignee.id; })) {
      var extra = el("option", assignee.name); extra.value = assignee.id; select.appendChild(extra);
    }
    select.value = assignee ? assignee.id : "";
  }

  /* What the agent sees of a ticket, without the attachment links (signed afresh on every read): the ticket
   * shown read again and found unchanged is not drawn again. So the push of an agent's own reply, which their
   * console reads after sending as well, draws the thread once, whichever read answers first. */
  var drawn = null;
  function shape(id, ticket) {
    return id + "|" + JSON.stringify(ticket, function (key, value) { return key === "url" ? undefined : value; });
  }
  /* `refresh`: the ticket shown changed (a colleague's reply, note, status or assignment, pushed). It is drawn
   * again in place, keeping the reply box, the files waiting to go and the quoted history the agent opened, and
   * the view stays where the agent was reading unless they were at its end. */
  function openTicket(id, refresh) {
    refresh = !!refresh && state.ticket === id;
    seen("ticket:" + id);
    if (!refresh) { $("new-ticket-form").classList.add("hidden"); }
    return call("GET", "v1/agent/tickets/" + encodeURIComponent(id)).then(function (r) {
      // a refresh for a ticket no longer shown, or one that failed, leaves the view as it is (push comes again)
      if (refresh && (state.ticket !== id || r.status !== 200)) { return; }
      var view = $("ticket");
      if (r.status === 200 && state.ticket === id && drawn === shape(id, r.data)) {
        if (!refresh) { view.scrollTop = view.scrollHeight; }
        return;
      }
      var atBottom = view.scrollTop + view.clientHeight >= view.scrollHeight - 20, top = view.scrollTop;
      var opened = Array.prototype.map.call(view.querySelectorAll(".item"), function (item) {
        var history = item.querySelector("details.history");
        return history && history.open ? item.getAttribute("data-entry") : null;
      }).filter(Boolean);
      var before = view.querySelectorAll(".item").length, unseen = !!view.querySelector(".news-below");
      drawn = null;
      view.textContent = "";
      if (absent(r)) { emailMissing(view); return; }
      if (r.status !== 200) { view.appendChild(el("p", problem(r), "error")); return; }
      state.ticket = id;
      drawn = shape(id, r.data);
      var ticket = r.data;
      Array.prototype.forEach.call(document.querySelectorAll("#tickets li"), function (li) {
        li.classList.toggle("active", li.getAttribute("data-ticket") === id);
      });
      $("ticket-head").textContent = "#" + ticket.number + " " + (ticket.subject || t("tickets.no_subject"));
      $("ticket-status").textContent = t("status." + ticket.status) + " · " + (ticket.contact_name ? ticket.contact_name + " <" + ticket.contact + ">" : ticket.contact);
      $("ticket-actions").classList.remove("hidden");
      assigneeOptions($("ticket-assignee"), ticket.assignee);
      Array.prototype.forEach.call(document.querySelectorAll("[data-ticket-set]"), function (b) {
        var target = b.getAttribute("data-ticket-set");
        b.classList.toggle("hidden", target === ticket.status || (target === "open" && ticket.status === "pending"));
      });
      state.context.tickets = {customer_name: ticket.contact_name || "", agent_name: state.me ? state.me.name : "",
        ticket_number: String(ticket.number), order_number: orderNumber([ticket.subject].concat((ticket.messages || [])
          .filter(function (m) { return m.direction === "inbound"; }).map(function (m) { return m.text || m.body || ""; })))};
      var entries = (ticket.messages || []).map(function (m) {
        var outbound = m.direction === "outbound";
        // the quoted history the customer's mail carried stays one click away (collapsed); where the mail
        // begins with its new text, only what follows it, so the new text is not shown twice
        var whole = !outbound && m.text && m.body && m.body.trim() !== m.text.trim() ? m.body.trim() : "";
        if (whole && whole.indexOf(m.text.trim()) === 0) whole = whole.slice(m.text.trim().length).trim();
        return {kind: outbound ? "agent" : "visitor", key: "message:" + m.id, at: m.created_at, text: m.text || m.body || "", attachments: m.attachments || [], whole: whole,
                who: outbound ? (m.agent_name || (m.kind === "acknowledgement" ? t("tickets.automatic") : t("me.agent")))
                              : (m.from_name ? m.from_name + " <" + m.from + ">" : m.from)};
      }).concat((ticket.notes || []).map(function (n) {
        return {kind: "note", key: "note:" + n.id, at: n.created_at, text: n.text, attachments: [], who: t("reply.note_label", {name: n.agent_name})};
      }));
      entries.sort(function (a, b) { return a.at < b.at ? -1 : a.at > b.at ? 1 : 0; });
      entries.forEach(function (e) {
        var item = el("div", e.text, "item " + e.kind);
        item.setAttribute("data-kind", e.kind);
        item.setAttribute("data-entry", e.key);
        item.appendChild(el("small", e.who + " · " + time(e.at)));
        if (e.whole) {
          var history = el("details", null, "history");
          history.open = opened.indexOf(e.key) >= 0;
          history.appendChild(el("summary", t("tickets.quoted_history")));
          history.appendChild(el("div", e.whole));
          item.appendChild(history);
        }
        e.attachments.forEach(function (a) {
          var href = safeUrl(a.url);
          var link = el(href ? "a" : "span", a.filename || t("tickets.attachment"));
          if (href) { link.href = href; link.target = "_blank"; link.rel = "noopener noreferrer"; }
          item.appendChild(document.createElement("br"));
          item.appendChild(link);
        });
        view.appendChild(item);
      });
      $("ticket-form").classList.remove("hidden");
      view.scrollTop = !refresh || atBottom ? view.scrollHeight : top;
      // reading back up the thread when something new came: a notice at the foot of the view takes them to it
      if (refresh && !atBottom && (entries.length > before || unseen)) {
        var news = el("button", t("tickets.news_below"), "news-below");
        news.type = "button";
        news.addEventListener("click", function () { view.scrollTop = view.scrollHeight; news.remove(); });
        view.appendChild(news);
      }
      hooks.opened.forEach(function (hook) { hook("ticket", id, ticket, refresh); });
    });
  }

  $("ticket").addEventListener("scroll", function () {
    var view = $("ticket"), news = view.querySelector(".news-below");
    if (news && view.scrollTop + view.clientHeight >= view.scrollHeight - 20) { news.remove(); }
  });

  function ticketSend(kind) {
    var text = $("ticket-text").value.trim();
    if (!text || !state.ticket) { return; }
    var path = "v1/agent/tickets/" + encodeURIComponent(state.ticket) + (kind === "note" ? "/notes" : "/replies");
    var body = {text: text}, files = kind === "note" || !hooks.replyFiles ? [] : hooks.replyFiles();
    if (files.length) { body.attachments = files; }  // uploaded already (console-inbox.js)
    call("POST", path, body).then(function (r) {
      if (r.status >= 300) { $("ticket").appendChild(el("p", problem(r), "error")); return; }
      if (files.length && hooks.replySent) { hooks.replySent(); }
      $("ticket-text").value = "";
      openTicket(state.ticket);
      loadTickets();
    });
  }
  $("ticket-form").addEventListener("submit", function (e) { e.preventDefault(); ticketSend("reply"); });
  $("ticket-note").addEventListener("click", function () { ticketSend("note"); });
  $("ticket-assignee").addEventListener("change", function () {
    call("POST", "v1/agent/tickets/" + encodeURIComponent(state.ticket) + "/assign", {agent_id: $("ticket-assignee").value || null})
      .then(function (r) { if (r.status !== 200) { $("ticket").appendChild(el("p", problem(r), "error")); } openTicket(state.ticket); loadTickets(); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-ticket-set]"), function (button) {
    button.addEventListener("click", function () {
      call("POST", "v1/agent/tickets/" + encodeURIComponent(state.ticket) + "/status", {status: button.getAttribute("data-ticket-set")})
        .then(function (r) { if (r.status !== 200) { $("ticket").appendChild(el("p", problem(r), "error")); } openTicket(state.ticket); loadTickets(); });
    });
  });

  $("new-ticket").addEventListener("click", function () {
    threadOpen("tickets", true);
    state.ticket = null;
    drawn = null;
    $("ticket").textContent = "";
    $("ticket-form").classList.add("hidden");
    $("ticket-actions").classList.add("hidden");
    $("ticket-head").textContent = t("tickets.new");
    $("ticket-status").textContent = "";
    $("new-ticket-form").classList.remove("hidden");
    $("new-ticket-to").focus();
  });
  $("new-ticket-form").addEventListener("submit", function (e) {
    e.preventDefault();
    call("POST", "v1/agent/tickets", {to: $("new-ticket-to").value.trim(), subject: $("new-ticket-subject").value.trim(),
                                      text: $("new-ticket-text").value.trim(), client_id: clientId()}).then(function (r) {
      if (r.status !== 201) { $("ticket").textContent = ""; $("ticket").appendChild(el("p", problem(r), "error")); return; }
      $("new-ticket-form").reset();
      state.ticketStatus = r.data.status;
      loadTickets();
      openTicket(r.data.id);
    });
  });

  // Outbox mail opens with the agent's key (an authenticated fetch, not a bare link the API would refuse).
  function openOutbox(m, row) {
    // relative, as every API path here: the console works under any stage prefix
    fetch(String(m.url).replace(/^\//, ""), {headers: {Authorization: "Bearer " + state.key}, cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (raw) {
        var old = row.querySelector("pre.raw-mail");
        if (old) { old.remove(); return; }
        row.appendChild(el("pre", raw, "raw-mail"));
      })
      .catch(function (status) { row.appendChild(el("p", t("error.request", {status: status}), "error")); });
  }

  function loadOutbox() {
    call("GET", "v1/agent/outbox").then(function (r) {
      var view = $("outbox");
      view.textContent = "";
      if (absent(r)) { emailMissing(view); return; }
      if (r.status !== 200) { view.appendChild(el("p", problem(r), "error")); return; }
      if (!r.data.items.length) { view.appendChild(el("p", t("outbox.empty"), "empty")); }
      r.data.items.forEach(function (m) {
        var row = el("div", null, "item visitor outbox-item");
        var subject = el("button", m.subject || t("tickets.no_subject"), "linkish");
        subject.type = "button";
        subject.addEventListener("click", function () { openOutbox(m, row); });
        row.appendChild(subject);
        row.appendChild(el("small", t("outbox.to", {to: (m.to || []).join(", ")}) + " · " + time(m.created_at)));
        view.appendChild(row);
      });
    });
  }

  core.mail.loadTickets = loadTickets;
  core.mail.openTicket = openTicket;
  core.mail.loadOutbox = loadOutbox;
})();
