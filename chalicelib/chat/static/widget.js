/* kefu storefront chat widget.
 *
 * Embed:  <script src="https://API/v1/widget.js?key=WIDGET_KEY" async></script>
 * Optional verified identity, set before the script tag:
 *   <script>window.kefuSettings = {customerId: "42", customerHash: "<HMAC-SHA256(secret, '42') hex>",
 *                                 name: "Li Lei", email: "li@example.com"};</script>
 *
 * Everything lives in a shadow root (the storefront's CSS cannot reach in, ours cannot leak out), every
 * piece of text a person typed is set with textContent (never as HTML), and the visitor token is kept in
 * localStorage so the conversation survives page loads. Every word the widget shows comes from the
 * server's catalogue (GET /v1/widget/config → texts, in the merchant's or the browser's language, zh-CN
 * first); only the one sentence for "the server cannot be reached" is built in. New messages arrive over a
 * WebSocket when the config names one; without it (or while it cannot open) the widget polls, adaptively.
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
  var FAST = 2000, SLOW = 30000, HIDDEN = 60000, TYPING_EVERY = 3000;
  var languages = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""]);
  // The only built-in words: for when not even the config (and its texts) can be fetched.
  var UNREACHABLE = /^zh/i.test(languages[0] || "zh") || !languages[0] ? "在线客服暂时无法使用" : "Chat is not available right now";

  var state = load();
  var config = null, T = {}, cursor = "0", seen = {}, timer = null, delay = FAST, lastActivity = Date.now();
  var latest = "", offset = 0;   // the newest message id shown; the server's clock less ours (from its answers)
  var polling = false, unread = 0, baseTitle = document.title, socket = null, socketOpen = false, retry = 0;
  var lastTyping = 0, typingTimer = null, rated = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: this page only */ }
  }
  // A message's client id starts with the server's millisecond as far as we can tell: a retry of it, wherever
  // it lands, gets the same key and so is the same message; the key also places the message among the others.
  function clientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return String(Date.now() + offset) + "-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function learnClock(message) {
    var server = message && Date.parse(message.created_at);
    if (server) { offset = server - Date.now(); }
  }
  function t(name, params) {
    var text = T[name] || "";
    Object.keys(params || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(params[k])); });
    return text;
  }

  function call(method, path, body) {
    var url = api + path + (path.indexOf("?") < 0 ? "?" : "&") + "key=" + encodeURIComponent(key) +
      "&locale=" + encodeURIComponent(languages.slice(0, 5).join(","));
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
    ":host{all:initial;position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.45 system-ui,-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;color:#1d2327}",
    "*{box-sizing:border-box;font:inherit}",
    ".launcher{position:relative;display:flex;align-items:center;justify-content:center;margin-left:auto;width:56px;height:56px;border-radius:50%;border:0;background:#0b6bcb;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launcher svg{width:28px;height:28px;fill:currentColor}",
    ".launcher:focus-visible,button:focus-visible{outline:3px solid #f5a623;outline-offset:2px}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d92d20;color:#fff;font-size:12px;line-height:20px;text-align:center}",
    /* inherited properties are set here, so that nothing the page sets on the host flows in */
    ".panel{color:#1d2327;text-align:left;letter-spacing:normal;display:none;flex-direction:column;width:360px;height:520px;max-height:80vh;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden;margin-bottom:12px}",
    ".panel.open{display:flex}",
    "header{display:flex;align-items:flex-start;gap:8px;background:#0b6bcb;color:#fff;padding:12px 14px}",
    "header .titles{flex:1;min-width:0}",
    "header b{display:block;font-weight:600;font-size:15px}",
    "header small{opacity:.9;font-size:12px}",
    "header button{background:transparent;border:0;color:#fff;cursor:pointer;padding:2px 6px;border-radius:6px;font-size:12px}",
    "header button.close{font-size:20px;line-height:1}",
    "header button:hover{background:rgba(255,255,255,.15)}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f6f7f9}",
    ".msg{max-width:82%;margin:6px 0;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}",
    ".msg.visitor{margin-left:auto;background:#0b6bcb;color:#fff}",
    ".msg.agent{background:#fff;border:1px solid #dde1e6}",
    ".meta{display:block;font-size:11px;opacity:.75;margin-top:2px}",
    ".notice{font-size:13px;background:#fff8e1;border:1px solid #f0d98c;padding:8px 10px;border-radius:8px;margin:6px 0}",
    ".typing{font-size:12px;color:#5b6470;padding:0 12px 4px;min-height:1.2em;background:#f6f7f9}",
    "form{display:flex;flex-direction:column;gap:6px;padding:10px;border-top:1px solid #e3e6ea}",
    "input,textarea{width:100%;padding:8px;border:1px solid #c9ced6;border-radius:6px;background:#fff;color:#1d2327}",
    "textarea{resize:none;height:60px}",
    ".row{display:flex;gap:8px;align-items:center;justify-content:space-between}",
    "button.send,button.primary{padding:7px 16px;border:0;border-radius:6px;background:#0b6bcb;color:#fff;cursor:pointer}",
    "button.link{background:none;border:0;color:#0b6bcb;cursor:pointer;padding:0;font-size:12px;text-decoration:underline}",
    ".error{color:#b42318;font-size:12px;min-height:1em}",
    ".rating{padding:10px;border-top:1px solid #e3e6ea;display:flex;flex-direction:column;gap:6px}",
    ".stars{display:flex;gap:4px}",
    ".stars button{background:none;border:0;cursor:pointer;padding:2px;color:#c9ced6}",
    ".stars button svg{width:28px;height:28px;fill:currentColor}",
    ".stars button.on{color:#f5a623}",
    ".unavailable{flex:1;padding:24px 16px;color:#3c434a;font-size:15px;background:#f6f7f9}",
    ".hidden{display:none !important}",
    "button.attach{background:none;border:0;color:#5b6470;cursor:pointer;padding:4px;margin-right:auto}",
    "button.attach svg{width:22px;height:22px;fill:currentColor}",
    ".msg img{display:block;max-width:100%;max-height:220px;border-radius:6px;margin-bottom:2px}",
    ".msg a.file{color:inherit;text-decoration:underline}",
    /* phones: the panel takes the whole screen */
    "@media (max-width: 480px){.panel{position:fixed;inset:0;width:100vw;height:100vh;height:100dvh;max-height:none;border-radius:0;margin:0}.panel.open + .launcher{display:none}}"
  ].join("\n");
  root.appendChild(style);

  var SVG = "http://www.w3.org/2000/svg";
  function icon(path) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(SVG, "path");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  }
  var CLIP = "M16.5 6.5v10a4.5 4.5 0 01-9 0V5a3 3 0 016 0v10.5a1.5 1.5 0 01-3 0V6.5H9v9a3 3 0 006 0V5a4.5 4.5 0 00-9 0v11.5a6 6 0 0012 0v-10z";
  var BUBBLE = "M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.5 6.1L4.6 21l4.3-2.3c1 .2 2 .3 3.1.3 5.5 0 10-3.6 10-8s-4.5-8-10-8zm-4 9.2a1.2 1.2 0 110-2.4 1.2 1.2 0 010 2.4zm4 0a1.2 1.2 0 110-2.4 1.2 1.2 0 010 2.4zm4 0a1.2 1.2 0 110-2.4 1.2 1.2 0 010 2.4z";
  var STAR = "M12 2.5l2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3l-5.9 3.3 1.3-6.6L2.5 9.4l6.6-.8z";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function button(cls, label) {
    var node = el("button", cls, label);
    node.type = "button";
    return node;
  }

  var panel = el("div", "panel");
  panel.setAttribute("part", "panel");
  panel.setAttribute("role", "dialog");
  var header = el("header");
  var titles = el("div", "titles");
  var title = el("b", "", "");
  var subtitle = el("small", "", "");
  titles.appendChild(title);
  titles.appendChild(subtitle);
  var endButton = button("end hidden", "");
  var closeButton = button("close", "\u00d7");
  header.appendChild(titles);
  header.appendChild(endButton);
  header.appendChild(closeButton);
  var log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var typing = el("div", "typing");
  typing.setAttribute("aria-live", "polite");
  var form = el("form");
  form.noValidate = true;   // our own messages, in the shop's language, instead of the browser's tooltips
  var nameInput = el("input");
  nameInput.name = "name"; nameInput.maxLength = 100; nameInput.autocomplete = "name";
  var emailInput = el("input");
  emailInput.name = "email"; emailInput.type = "email"; emailInput.maxLength = 254; emailInput.autocomplete = "email";
  var text = el("textarea");
  text.name = "text"; text.maxLength = 4000;
  var error = el("div", "error");
  error.setAttribute("role", "alert");
  var row = el("div", "row");
  var emailInstead = button("link hidden", "");
  var attach = button("attach hidden");
  attach.appendChild(icon(CLIP));
  var picker = el("input");
  picker.type = "file"; picker.name = "file"; picker.className = "hidden";
  picker.accept = "image/png,image/jpeg,image/gif,image/webp,application/pdf";
  var send = el("button", "send", "");
  send.type = "submit";
  row.appendChild(attach);
  row.appendChild(picker);
  row.appendChild(emailInstead);
  row.appendChild(send);
  [nameInput, emailInput, text, error, row].forEach(function (n) { form.appendChild(n); });

  var rating = el("div", "rating hidden");
  var ratingPrompt = el("div", "", "");
  var stars = el("div", "stars");
  stars.setAttribute("role", "radiogroup");
  var chosen = 0;
  var starButtons = [1, 2, 3, 4, 5].map(function (n) {
    var b = button("");
    b.setAttribute("data-stars", String(n));
    b.setAttribute("role", "radio");
    b.setAttribute("aria-checked", "false");
    b.appendChild(icon(STAR));
    b.addEventListener("click", function () {
      chosen = n;
      starButtons.forEach(function (s, i) { s.classList.toggle("on", i < n); s.setAttribute("aria-checked", String(i === n - 1)); });
    });
    stars.appendChild(b);
    return b;
  });
  var comment = el("textarea");
  comment.name = "comment"; comment.maxLength = 1000;
  var rateButton = button("primary", "");
  var ratingError = el("div", "error");
  [ratingPrompt, stars, comment, ratingError, rateButton].forEach(function (n) { rating.appendChild(n); });

  var unavailableNote = el("div", "unavailable hidden");
  panel.appendChild(header);
  panel.appendChild(unavailableNote);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  panel.appendChild(rating);

  var launcher = button("launcher");
  launcher.appendChild(icon(BUBBLE));
  var badge = el("span", "badge hidden", "");
  badge.setAttribute("aria-hidden", "true");
  launcher.appendChild(badge);
  launcher.setAttribute("aria-expanded", "false");
  root.appendChild(panel);
  root.appendChild(launcher);

  function mount() { document.body.appendChild(host); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }

  // -- words -------------------------------------------------------------------------------------------
  function applyTexts() {
    title.textContent = settings.title || t("title");
    nameInput.placeholder = t("placeholder.name");
    nameInput.setAttribute("aria-label", t("placeholder.name"));
    text.placeholder = t("placeholder.message");
    text.setAttribute("aria-label", t("placeholder.message"));
    send.textContent = t("send");
    endButton.textContent = t("end_chat");
    closeButton.setAttribute("aria-label", t("close_panel"));
    closeButton.title = t("close_panel");
    emailInstead.textContent = t("email_instead");
    attach.setAttribute("aria-label", t("attach"));
    attach.title = t("attach");
    ratingPrompt.textContent = t("rating.prompt");
    stars.setAttribute("aria-label", t("rating.prompt"));
    starButtons.forEach(function (b, i) { b.setAttribute("aria-label", t("rating.star", {stars: i + 1})); });
    comment.placeholder = t("rating.comment");
    comment.setAttribute("aria-label", t("rating.comment"));
    rateButton.textContent = t("rating.submit");
    panel.setAttribute("aria-label", t("title"));
    if (config) { host.setAttribute("lang", config.locale); }
    labelLauncher();
  }
  function labelLauncher() {
    var open = panel.classList.contains("open");
    var label = open ? t("close_chat") : t("open_chat");
    if (!open && unread) { label += " (" + t("unread", {count: unread}) + ")"; }
    launcher.setAttribute("aria-label", label || unavailableNote.textContent || UNREACHABLE);
  }

  // -- showing things ------------------------------------------------------------------------------------
  function notice(message) {
    log.appendChild(el("div", "notice", message));
    log.scrollTop = log.scrollHeight;
  }

  // Messages are shown in the order of their ids (stamps), whichever way they came: poll, push or our own send.
  function show(message) {
    if (seen[message.id]) { return false; }
    seen[message.id] = true;
    if (message.id > latest) { latest = message.id; }
    var bubble = el("div", "msg " + (message.author === "visitor" ? "visitor" : "agent"));
    bubble.setAttribute("data-author", message.author);
    if (message.file) {
      var href = /^https?:/.test(message.file.url) ? message.file.url : api + message.file.url;
      if (message.file.image) {
        var img = el("img");
        img.src = href; img.alt = message.file.name; img.loading = "lazy";
        bubble.appendChild(img);
      } else {
        var link = el("a", "file", message.file.name + " (" + Math.max(1, Math.round(message.file.size / 1024)) + " KB)");
        link.href = href; link.target = "_blank"; link.rel = "noopener noreferrer";
        bubble.appendChild(link);
      }
    } else {
      bubble.appendChild(document.createTextNode(message.text));   // text, never markup
    }
    var when = new Date(message.created_at);
    var who = message.author === "visitor" ? t("you") : (message.agent_name || t("agent"));
    var meta = el("span", "meta", who + " · " + when.toLocaleTimeString(config ? config.locale : [], {hour: "2-digit", minute: "2-digit"}));
    var stamp = document.createElement("time");
    stamp.dateTime = message.created_at;
    meta.appendChild(stamp);
    bubble.appendChild(meta);
    bubble.setAttribute("data-id", message.id);
    var after = null;
    Array.prototype.some.call(log.querySelectorAll(".msg[data-id]"), function (other) {
      if (other.getAttribute("data-id") > message.id) { after = other; return true; }
      return false;
    });
    log.insertBefore(bubble, after);
    if (!after) { log.scrollTop = log.scrollHeight; }
    if (message.author === "agent") { typing.textContent = ""; }
    if (panel.classList.contains("open") && !document.hidden) {
      markRead(message.id);
    } else if (message.author === "agent" && message.id > readMark()) {
      unread += 1; showUnread();    // only what arrived since the shopper last looked
    }
    return true;
  }

  function readMark() { return typeof state.read === "string" ? state.read : ""; }
  function markRead(id) {
    if (id > readMark()) { state.read = id; save(); }
  }

  function showUnread() {
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.classList.toggle("hidden", unread === 0);
    document.title = unread ? t("title_unread", {count: unread, title: baseTitle}) : baseTitle;
    labelLauncher();
  }

  function showForm() {
    var started = !!state.conversation;
    var offline = config && !config.available;
    nameInput.classList.toggle("hidden", started);
    emailInput.classList.toggle("hidden", started || (offline && !config.email));
    emailInput.required = !started && offline && config.email;
    emailInput.placeholder = offline ? t("placeholder.email_offline") : t("placeholder.email");
    emailInput.setAttribute("aria-label", emailInput.placeholder);
    if (settings.customerId) { nameInput.classList.add("hidden"); emailInput.classList.add("hidden"); emailInput.required = false; }
    if (!started && offline) {
      subtitle.textContent = t("subtitle." + config.reason) || t("subtitle.no_agent_online");
    } else if (state.ended) {
      subtitle.textContent = t("subtitle.ended");
    } else {
      subtitle.textContent = state.handedOver ? t("subtitle.no_agent_online") : t("subtitle.online");
    }
    endButton.classList.toggle("hidden", !started || !!state.ended);
    attach.classList.toggle("hidden", !started);
    emailInstead.classList.toggle("hidden", !started || !!state.handedOver || !(config && config.email) || !!state.ended);
  }

  function unavailable(message) {
    unavailableNote.textContent = message;
    unavailableNote.classList.remove("hidden");
    form.classList.add("hidden");
    rating.classList.add("hidden");
    endButton.classList.add("hidden");
    log.classList.add("hidden");
    typing.classList.add("hidden");
    subtitle.textContent = "";
    launcher.setAttribute("aria-label", message);
    panel.setAttribute("aria-label", message);
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
        // suspended, terminated, no chat in the license: the server says so in the shopper's language
        unavailable((r.data && r.data.error && r.data.error.message) || UNREACHABLE);
        return;
      }
      config = r.data;
      T = config.texts || {};
      applyTexts();
      if (!state.conversation && T.greeting) { notice(T.greeting); }
      showForm();
      if (state.conversation) { connect(); schedule(0); }
    }).catch(function () { unavailable(UNREACHABLE); });
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
    if (r.status === 429) { return t("error.too_fast", {seconds: r.retryAfter || 5}); }
    return (r.data && r.data.error && r.data.error.message) || t("error.not_sent");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = text.value.trim();
    error.textContent = "";
    if (!message) { return; }
    if (emailInput.required && !emailInput.value.trim()) { error.textContent = t("error.email_needed"); emailInput.focus(); return; }
    send.disabled = true;
    var body = {text: message, client_id: state.pending || clientId()};
    state.pending = body.client_id; save();   // the same id if this very message is sent again after a reload
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
      if (r.status !== 201 && r.status !== 200) { error.textContent = explain(r); delete state.pending; save(); return; }
      text.value = "";
      delete state.pending;
      if (!state.conversation) {
        state.conversation = r.data.id;
        state.token = r.data.visitor_token;
        state.handedOver = !!r.data.handed_over;
        delete state.ended;
        save();
        show(r.data.message);
        learnClock(r.data.message);
        cursor = r.data.cursor || "0";  // the first poll hands out the first message again: shown once
        if (r.data.handed_over) {
          notice(t("handover"));
        } else if (!r.data.available) {
          notice(t("reply_later"));
        }
        showForm();
        connect();
      } else {
        save();
        show(r.data);
        learnClock(r.data);
        if (state.ended) { delete state.ended; save(); rating.classList.add("hidden"); showForm(); }
      }
      lastActivity = Date.now();
      schedule(socketOpen ? SLOW : FAST);
    }).catch(function () { error.textContent = t("error.offline"); })
      .then(function () { send.disabled = false; });
  });

  // Chinese input: Enter confirms an IME candidate; it sends only when no composition is open. Chromium and
  // Firefox say so with isComposing; Safari ends the composition first but still reports keyCode 229.
  text.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey) { return; }            // Shift+Enter: a new line
    if (event.isComposing || event.keyCode === 229) { return; }
    event.preventDefault();
    form.requestSubmit();
  });
  text.addEventListener("input", function () {
    var now = Date.now();
    if (socketOpen && now - lastTyping > TYPING_EVERY && text.value.trim()) {
      lastTyping = now;
      try { socket.send(JSON.stringify({action: "typing"})); } catch (e) { /* the socket closes by itself */ }
    }
  });

  // Files: ask for room (size and quota are checked first), send the bytes where the answer says (S3 itself,
  // or the API in local mode), then the message, made from the stored bytes once their type is checked.
  attach.addEventListener("click", function () { picker.click(); });
  picker.addEventListener("change", function () {
    var file = picker.files && picker.files[0];
    picker.value = "";
    if (!file || !state.conversation) { return; }
    error.textContent = t("file.uploading");
    var base = "/v1/widget/conversations/" + encodeURIComponent(state.conversation);
    call("POST", base + "/uploads", {size: file.size}).then(function (r) {
      if (r.status !== 201) { throw r; }
      var upload = r.data.upload, sent;
      if (upload.method === "POST") {
        var body = new FormData();
        Object.keys(upload.fields || {}).forEach(function (k) { body.append(k, upload.fields[k]); });
        body.append("file", file);
        sent = fetch(upload.url, {method: "POST", body: body, mode: "cors", credentials: "omit"});
      } else {
        sent = fetch(api + upload.url + "&key=" + encodeURIComponent(key), {method: "PUT", body: file, mode: "cors",
          credentials: "omit", headers: {"X-Widget-Key": key, "Authorization": "Bearer " + state.token,
                                         "Content-Type": "application/octet-stream"}});
      }
      return sent.then(function (stored) {
        if (!stored.ok) { throw {status: stored.status, data: {}}; }
        return deliver(base + "/messages", {upload_id: r.data.upload_id, name: file.name, client_id: clientId()}, 0);
      });
    }).then(function (r) {
      if (r.status !== 201) { throw r; }
      error.textContent = "";
      show(r.data);
      learnClock(r.data);
    }).catch(function (r) { error.textContent = r && r.status ? explain(r) : t("error.offline"); });
  });

  emailInstead.addEventListener("click", function () {
    if (emailInput.classList.contains("hidden")) {
      emailInput.classList.remove("hidden");
      emailInput.placeholder = t("placeholder.email_offline");
      emailInput.focus();
      emailInstead.textContent = t("email_instead.submit");
      return;
    }
    var address = emailInput.value.trim();
    if (!address) { error.textContent = t("error.email_needed"); return; }
    call("POST", "/v1/widget/conversations/" + encodeURIComponent(state.conversation) + "/handover", {email: address})
      .then(function (r) {
        if (r.status !== 200) { error.textContent = explain(r); return; }
        state.handedOver = true; save();
        emailInput.classList.add("hidden");
        notice(r.data.notice || t("handover"));
        showForm();
      });
  });

  endButton.addEventListener("click", function () {
    call("POST", "/v1/widget/conversations/" + encodeURIComponent(state.conversation) + "/end").then(function (r) {
      if (r.status === 200) { ended(r.data.rated); }
    });
  });

  function ended(alreadyRated) {
    if (state.ended) { return; }
    state.ended = true; save();
    notice(t("ended"));
    showForm();
    if (!alreadyRated && !rated) { rating.classList.remove("hidden"); }
  }

  rateButton.addEventListener("click", function () {
    ratingError.textContent = "";
    if (!chosen) { ratingError.textContent = t("rating.prompt"); return; }
    var body = {rating: chosen};
    if (comment.value.trim()) { body.comment = comment.value.trim(); }
    call("POST", "/v1/widget/conversations/" + encodeURIComponent(state.conversation) + "/rating", body).then(function (r) {
      if (r.status === 201 || (r.data.error && r.data.error.code === "ALREADY_RATED")) {
        rated = true;
        rating.classList.add("hidden");
        notice(t("rating.thanks"));
      } else { ratingError.textContent = explain(r); }
    });
  });

  // -- push, and polling when there is none ----------------------------------------------------------------
  function connect() {
    if (!config || !config.realtime || !config.realtime.url || !state.conversation || socket || !window.WebSocket) { return; }
    var url = config.realtime.url + (config.realtime.url.indexOf("?") < 0 ? "?" : "&") + "key=" + encodeURIComponent(key) +
      "&token=" + encodeURIComponent(state.token) + "&conversation=" + encodeURIComponent(state.conversation);
    try { socket = new WebSocket(url); } catch (e) { socket = null; return; }
    socket.onopen = function () {
      socketOpen = true; retry = 0;
      host.setAttribute("data-push", "open");
      schedule(0);                    // catch up from the cursor: nothing missed while it was closed
    };
    socket.onmessage = function (m) {
      var event;
      try { event = JSON.parse(m.data); } catch (e) { return; }
      if (event.type === "message" && event.message) {
        show(event.message);          // in its place; the next poll hands out whatever a push missed
      } else if (event.type === "typing") {
        typing.textContent = t("typing");
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typing.textContent = ""; }, 5000);
      } else if (event.type === "status" && event.status === "resolved") {
        ended(false);
        schedule(0);                  // a message we sent just before it reopens the chat: the poll says so
      }
    };
    socket.onclose = function () {
      var wasOpen = socketOpen;
      socket = null; socketOpen = false;
      host.setAttribute("data-push", "closed");
      delay = FAST;
      schedule(wasOpen ? 0 : FAST);   // poll meanwhile
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 1000 * Math.pow(2, retry - 1));
    };
  }

  function schedule(ms) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(poll, ms);
  }

  // Adaptive polling without push: fast while a chat is active and the panel open, backing off when idle or
  // hidden. With push, one poll after (re)connecting and a rare one to pick up what a push may have missed.
  function nextDelay(gotNew) {
    if (socketOpen) { return 5 * 60000; }
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
        var conversation = r.data.conversation || {};
        if (conversation.rated) { rated = true; }
        if (conversation.status === "resolved" && !state.ended) { ended(conversation.rated); }
        delay = nextDelay(fresh.some(function (m) { return m.author === "agent"; }));
      })
      .catch(function () { delay = SLOW; })
      .then(function () { polling = false; if (state.conversation) { schedule(delay); } });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.conversation) { schedule(0); }
    if (!document.hidden && panel.classList.contains("open")) { unread = 0; markRead(latest); showUnread(); }
  });

  function toggle(open) {
    panel.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      unread = 0; markRead(latest); showUnread();
      text.focus(); lastActivity = Date.now();
      if (state.conversation && !socketOpen) { schedule(0); }
    } else {
      launcher.focus();
    }
    labelLauncher();
  }
  launcher.addEventListener("click", function () { toggle(!panel.classList.contains("open")); });
  closeButton.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { toggle(false); } });

  start();
})();
