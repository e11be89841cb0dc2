/* kefu console, part three: the push channel. Where sign-in names a socket (`realtime.url`: API Gateway's
 * WebSocket API, the loopback server locally), the console listens there with the agent key: a shopper's
 * message, a new ticket or a colleague's change refreshes the inbox at once (a poll with the cursor, never a
 * re-read of whole threads), the open conversation follows live, colleagues' presence shows as it changes.
 * Without a socket, or while it is closed, the console polls as before; a closed socket is retried. */
(function () {
  "use strict";
  var kc = window.kefuConsole, core = kc.core, $ = function (id) { return document.getElementById(id); };
  var t = core.t, el = core.el, state = core.state;
  var socket = null, retry = 0, pending = null, colleagues = {};

  function strip() {
    var box = $("colleagues");
    if (!box) {
      box = el("div", null, "colleagues");
      box.id = "colleagues";
      var aside = document.querySelector("#tab-conversations aside");
      aside.insertBefore(box, aside.firstChild);
    }
    return box;
  }
  function drawPresence() {
    var box = strip();
    box.textContent = "";
    var live = el("span", t(state.live ? "live.on" : "live.off"), "live " + (state.live ? "on" : "off"));
    live.setAttribute("data-live", String(state.live));
    box.appendChild(live);
    var online = Object.keys(colleagues).map(function (id) { return colleagues[id]; })
      .filter(function (a) { return a.online && !(state.me && a.id === state.me.id); });
    if (!online.length) { box.appendChild(el("span", t("presence.nobody"), "nobody")); return; }
    box.appendChild(el("span", t("presence.colleagues"), "label"));
    online.sort(function (a, b) { return a.name < b.name ? -1 : 1; }).forEach(function (a) {
      var who = el("span", a.name, "colleague " + a.status);
      who.setAttribute("data-agent", a.id);
      who.title = t("presence.load", {open: a.open, capacity: a.capacity});
      box.appendChild(who);
    });
  }
  function loadColleagues() {
    return core.call("GET", "v1/agent/agents").then(function (r) {
      if (r.status !== 200) { return; }
      colleagues = {};
      r.data.items.forEach(function (a) { colleagues[a.id] = a; });
      state.agents = r.data.items;
      drawPresence();
    });
  }

  /* Many events at once (a busy shop) make one poll, not one each. A ticket closed, set pending, reopened or
   * given to someone keeps its last activity, so a poll with the cursor would not bring it: such a change reads
   * the view afresh; a ticket's change also redraws the tickets tab's list when that is the one shown. */
  var whole = false, tickets = false;
  function refreshSoon(event) {
    var ticket = event.kind === "ticket";
    whole = whole || (ticket && (event.change === "status" || event.change === "assigned"));
    tickets = tickets || ticket;
    if (pending) { return; }
    pending = setTimeout(function () {
      var reset = whole, list = tickets;
      pending = null; whole = false; tickets = false;
      if (!state.searching) { core.loadList(reset); }
      if (list && state.tab === "tickets" && core.mail.loadTickets) { core.mail.loadTickets(); }
    }, 250);
  }
  function received(event) {
    if (!event || typeof event !== "object") { return; }
    if (event.type === "presence" && event.agent) {
      colleagues[event.agent.id] = Object.assign(colleagues[event.agent.id] || {}, event.agent);
      drawPresence();
      return;
    }
    if (event.type === "typing") { return; }
    if (event.conversation_id && event.conversation_id === state.current) { core.openConversation(state.current, true); }
    if (event.kind === "chat" && event.id === state.current) { core.openConversation(state.current, true); }
    // the ticket open here is drawn again in place (an unchanged one not at all: this agent's own change)
    if (event.kind === "ticket" && event.id === state.ticket && event.change !== "tags") { core.openTicket(state.ticket, true); }
    refreshSoon(event);
  }
  function connect(url) {
    if (socket || !url || !window.WebSocket || !state.key) { return; }
    try { socket = new WebSocket(url + (url.indexOf("?") < 0 ? "?" : "&") + "agent_key=" + encodeURIComponent(state.key)); }
    catch (e) { socket = null; return; }
    socket.onopen = function () {
      state.live = true; retry = 0; drawPresence();
      core.loadList(false);  // whatever moved while the socket was opening
    };
    socket.onmessage = function (m) {
      var event = null;
      try { event = JSON.parse(m.data); } catch (e) { return; }
      received(event);
    };
    socket.onclose = function () {
      socket = null; state.live = false; drawPresence();
      retry = Math.min(retry + 1, 6);
      setTimeout(function () { connect(url); }, 1000 * Math.pow(2, retry));  // 2 s … 64 s; polling meanwhile
    };
  }

  kc.live = function () { return state.live; };
  core.whenSignedIn(function (me) {
    loadColleagues();
    setInterval(loadColleagues, 60000);
    connect(me.realtime && me.realtime.url);
  });
  $("language").addEventListener("change", function () { setTimeout(drawPresence, 300); });
})();
