/* kefu storefront chat widget.
 *
 * Embed:  <script src="https://API/v1/widget.js?key=WIDGET_KEY" async></script>
 * Optional verified identity, set before the script tag:
 *   <script>window.kefuSettings = {customerId: "42", customerHash: "<HMAC-SHA256(secret, '42') hex>",
 *                                 name: "Li Lei", email: "li@example.com"};</script>
 *
 * Everything lives in a shadow root (the storefront's CSS cannot reach in, ours cannot leak out), every
 * piece of text a person typed is set with textContent (never as HTML), and the visitor token is kept in
 * localStorage so the conversation survives page loads.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__kefuWidget) { return; }
  window.__kefuWidget = true;
  var src = new URL(script.src, location.href);
  var key = src.searchParams.get("key") || script.getAttribute("data-key") || "";
  var api = src.origin + src.pathname.replace(/\/v1\/widget\.js$/, "");
  var settings = window.kefuSettings || {};
  var storeKey = "kefu-chat:" + key.slice(0, 24);
  var FAST = 2000, SLOW = 30000, HIDDEN = 60000;

  var state = load();
  var config = null, cursor = "0", seen = {}, timer = null, delay = FAST, lastActivity = Date.now(), polling = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: this page only */ }
  }
  function clientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "c" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function call(method, path, body) {
    var url = api + path + (path.indexOf("?") < 0 ? "?" : "&") + "key=" + encodeURIComponent(key);
    var headers = {"X-Widget-Key": key};
    if (body) { headers["Content-Type"] = "application/json"; }
    if (state.token) { headers.Authorization = "Bearer " + state.token; }
    return fetch(url, {method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
                       mode: "cors", credentials: "omit", cache: "no-store"})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          return {status: r.status, data: data, retryAfter: r.headers.get("Retry-After")};
        });
      });
  }

  // -- the elements, in a shadow root ------------------------------------------------------------------
  var host = document.createElement("div");
  host.setAttribute("data-kefu-widget", "");
  var root = host.attachShadow({mode: "open"});
  var style = document.createElement("style");
  style.textContent = [
    ":host{all:initial;position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.4 system-ui,sans-serif;color:#1d2327}",
    "*{box-sizing:border-box;font:inherit}",
    ".launcher{width:56px;height:56px;border-radius:50%;border:0;background:#0b6bcb;color:#fff;cursor:pointer;font-size:24px;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    /* inherited properties are set here, so that nothing the page sets on the host flows in */
    ".panel{color:#1d2327;font:14px/1.4 system-ui,sans-serif;text-align:left;letter-spacing:normal;display:none;flex-direction:column;width:340px;height:480px;max-height:80vh;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden;margin-bottom:12px}",
    ".panel.open{display:flex}",
    "header{background:#0b6bcb;color:#fff;padding:12px 14px}",
    "header b{display:block;font-weight:600}",
    "header small{opacity:.85}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f6f7f9}",
    ".msg{max-width:80%;margin:6px 0;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}",
    ".msg.visitor{margin-left:auto;background:#0b6bcb;color:#fff}",
    ".msg.agent{background:#fff;border:1px solid #dde1e6}",
    ".meta{display:block;font-size:11px;opacity:.7;margin-top:2px}",
    ".notice{font-size:13px;background:#fff8e1;border:1px solid #f0d98c;padding:8px 10px;border-radius:8px;margin:6px 0}",
    "form{display:flex;flex-direction:column;gap:6px;padding:10px;border-top:1px solid #e3e6ea}",
    "input,textarea{width:100%;padding:8px;border:1px solid #c9ced6;border-radius:6px;background:#fff;color:#1d2327}",
    "textarea{resize:none;height:60px}",
    "button.send{align-self:flex-end;padding:7px 16px;border:0;border-radius:6px;background:#0b6bcb;color:#fff;cursor:pointer}",
    ".error{color:#b42318;font-size:12px;min-height:1em}",
    ".hidden{display:none}"
  ].join("\n");
  root.appendChild(style);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var panel = el("div", "panel");
  panel.setAttribute("part", "panel");
  var header = el("header");
  var title = el("b", "", settings.title || "Chat with us");
  var subtitle = el("small", "", "");
  header.appendChild(title);
  header.appendChild(subtitle);
  var log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var form = el("form");
  var nameInput = el("input");
  nameInput.name = "name"; nameInput.placeholder = "Your name (optional)"; nameInput.maxLength = 100;
  var emailInput = el("input");
  emailInput.name = "email"; emailInput.type = "email"; emailInput.placeholder = "Email (optional)"; emailInput.maxLength = 254;
  var text = el("textarea");
  text.name = "text"; text.placeholder = "Type your message…"; text.maxLength = 4000;
  var error = el("div", "error");
  var send = el("button", "send", "Send");
  send.type = "submit";
  [nameInput, emailInput, text, error, send].forEach(function (n) { form.appendChild(n); });
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  var launcher = el("button", "launcher", "\u{1F4AC}");
  launcher.type = "button";
  launcher.setAttribute("aria-label", "Open chat");
  root.appendChild(panel);
  root.appendChild(launcher);

  function mount() { document.body.appendChild(host); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }

  // -- showing things ------------------------------------------------------------------------------------
  function notice(message) {
    log.appendChild(el("div", "notice", message));
    log.scrollTop = log.scrollHeight;
  }

  function show(message) {
    if (seen[message.id]) { return; }
    seen[message.id] = true;
    var bubble = el("div", "msg " + (message.author === "visitor" ? "visitor" : "agent"));
    bubble.setAttribute("data-author", message.author);
    bubble.appendChild(document.createTextNode(message.text));   // text, never markup
    var when = new Date(message.created_at);
    var who = message.author === "visitor" ? "You" : (message.agent_name || "Agent");
    bubble.appendChild(el("span", "meta", who + " · " + when.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})));
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
  }

  function showForm() {
    var started = !!state.conversation;
    var offline = config && !config.available;
    nameInput.classList.toggle("hidden", started);
    emailInput.classList.toggle("hidden", started && !offline);
    emailInput.required = !started && offline;
    emailInput.placeholder = offline ? "Your email (we will answer there)" : "Email (optional)";
    if (settings.customerId) { nameInput.classList.add("hidden"); emailInput.classList.add("hidden"); emailInput.required = false; }
    if (!started && offline) {
      subtitle.textContent = config.reason === "outside_hours" ? "We are closed right now" : "No one is online right now";
    } else {
      subtitle.textContent = "We usually reply in a few minutes";
    }
  }

  // -- talking to the API --------------------------------------------------------------------------------
  function identify() {
    if (!settings.customerId || !settings.customerHash) { return Promise.resolve(); }
    return call("POST", "/v1/widget/identify", {customer_id: String(settings.customerId),
                                                customer_hash: String(settings.customerHash)})
      .then(function (r) {
        if (r.status === 200 && r.data.visitor_token) {
          if (state.customer !== String(settings.customerId)) { state = {customer: String(settings.customerId)}; }
          state.token = r.data.visitor_token;
          save();
          return call("GET", "/v1/widget/conversations").then(function (list) {
            var open = (list.data.items || [])[0];
            if (open && !state.conversation) { state.conversation = open.id; save(); }
          });
        }
      });
  }

  function start() {
    return identify().then(function () { return call("GET", "/v1/widget/config"); }).then(function (r) {
      if (r.status !== 200) {
        subtitle.textContent = "Chat is not available right now";
        form.classList.add("hidden");
        return;
      }
      config = r.data;
      showForm();
      if (state.conversation) { schedule(0); }
    }).catch(function () { subtitle.textContent = "Chat is not available right now"; });
  }

  function deliver(path, body, attempt) {
    return call("POST", path, body).then(function (r) {
      if (r.status >= 500 && attempt < 3) { return wait(attempt).then(function () { return deliver(path, body, attempt + 1); }); }
      return r;
    }, function (e) {
      if (attempt < 3) { return wait(attempt).then(function () { return deliver(path, body, attempt + 1); }); }
      throw e;
    });
  }
  function wait(attempt) { return new Promise(function (ok) { setTimeout(ok, 500 * Math.pow(2, attempt)); }); }

  function explain(r) {
    if (r.status === 429) { return "You are sending too fast; try again in " + (r.retryAfter || "a few") + " seconds."; }
    return (r.data && r.data.error && r.data.error.message) || "The message could not be sent.";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = text.value.trim();
    error.textContent = "";
    if (!message) { return; }
    send.disabled = true;
    var body = {text: message, client_id: clientId()};
    var request;
    if (state.conversation) {
      request = deliver("/v1/widget/conversations/" + encodeURIComponent(state.conversation) + "/messages", body, 0);
    } else {
      var visitor = {};
      if (nameInput.value.trim()) { visitor.name = nameInput.value.trim(); }
      if (emailInput.value.trim()) { visitor.email = emailInput.value.trim(); }
      if (Object.keys(visitor).length) { body.visitor = visitor; }
      request = deliver("/v1/widget/conversations", body, 0);
    }
    request.then(function (r) {
      if (r.status !== 201) { error.textContent = explain(r); return; }
      text.value = "";
      if (!state.conversation) {
        state.conversation = r.data.id;
        state.token = r.data.visitor_token;
        save();
        show(r.data.message);
        if (r.data.handed_over) {
          notice("Thank you. We will answer by email at the address you gave.");
        } else if (!r.data.available) {
          notice("No one can answer right now; we will reply here as soon as we can.");
        }
        showForm();
      } else {
        show(r.data);
      }
      lastActivity = Date.now();
      schedule(FAST);
    }).catch(function () { error.textContent = "No connection; your message was not sent."; })
      .then(function () { send.disabled = false; });
  });

  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  // Adaptive polling: fast while a chat is active and the panel open, backing off when idle or hidden.
  function schedule(ms) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(poll, ms);
  }

  function nextDelay(gotNew) {
    if (document.hidden) { return HIDDEN; }
    if (gotNew) { lastActivity = Date.now(); return FAST; }
    var idle = Date.now() - lastActivity;
    if (!panel.classList.contains("open")) { return SLOW; }
    if (idle < 60000) { return FAST; }
    return Math.min(SLOW, Math.round(delay * 1.5));
  }

  function poll() {
    if (!state.conversation || polling) { return; }
    polling = true;
    call("GET", "/v1/widget/conversations/" + encodeURIComponent(state.conversation) + "/messages?after=" + cursor)
      .then(function (r) {
        if (r.status === 401 || r.status === 404) {   // expired token or a conversation that has expired
          state = {customer: state.customer};
          save();
          cursor = "0";
          showForm();
          return;
        }
        if (r.status !== 200) { delay = SLOW; return; }
        var fresh = r.data.messages || [];
        fresh.forEach(show);
        cursor = r.data.cursor || cursor;
        delay = nextDelay(fresh.some(function (m) { return m.author === "agent"; }));
      })
      .catch(function () { delay = SLOW; })
      .then(function () { polling = false; if (state.conversation) { schedule(delay); } });
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden && state.conversation) { schedule(0); } });

  launcher.addEventListener("click", function () {
    var open = panel.classList.toggle("open");
    launcher.setAttribute("aria-label", open ? "Close chat" : "Open chat");
    if (open) { text.focus(); lastActivity = Date.now(); if (state.conversation) { schedule(0); } }
  });

  start();
})();
