/* kefu console, part two: tags on conversations and tickets, the customer contact view, and a tab bar that
 * works on a phone. Built on window.kefuConsole.core (console.js); every text a person typed is set with
 * textContent, every string shown comes from the console catalogue. */
(function () {
  "use strict";
  var kc = window.kefuConsole, core = kc.core, $ = function (id) { return document.getElementById(id); };
  var t = core.t, el = core.el, state = core.state;
  var shown = {chat: null, ticket: null};  // what each tag editor is showing: {id, tags}
  var inUse = [];

  // -- tags ------------------------------------------------------------------------------------------------
  function chips(tags, removable, onRemove) {
    var box = el("span", null, "tags");
    (tags || []).forEach(function (tag) {
      var chip = el("span", tag, "tag");
      chip.setAttribute("data-tag", tag);
      if (removable) {
        var x = el("button", "×", "tag-remove");
        x.type = "button";
        x.setAttribute("aria-label", t("tags.remove", {tag: tag}));
        x.addEventListener("click", function (e) { e.stopPropagation(); onRemove(tag); });
        chip.appendChild(x);
      }
      box.appendChild(chip);
    });
    return box;
  }
  function tagPath(kind, id) {
    return "v1/agent/" + (kind === "chat" ? "conversations/" : "tickets/") + encodeURIComponent(id) + "/tags";
  }
  function editor(kind) {
    var host = kind === "chat" ? $("conversation-bar") : $("ticket-actions");
    var box = host.querySelector(".tag-editor");
    if (box) { return box; }
    box = el("span", null, "tag-editor");
    box.setAttribute("data-tags", kind);
    var list = el("span", null, "tag-list"), form = el("form", null, "tag-add"), input = el("input");
    input.type = "text"; input.maxLength = 32; input.setAttribute("list", "tag-suggestions");
    input.setAttribute("aria-label", t("tags.add"));
    input.placeholder = t("tags.add");
    form.appendChild(input);
    box.appendChild(list); box.appendChild(form);
    host.appendChild(box);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var value = input.value.trim();
      if (!value || !shown[kind]) { return; }
      save(kind, shown[kind].tags.concat(value.split(/[,，]/).map(function (v) { return v.trim(); }).filter(Boolean)));
      input.value = "";
    });
    return box;
  }
  function drawTags(kind) {
    var box = editor(kind), list = box.querySelector(".tag-list");
    box.querySelector("input").placeholder = t("tags.add");
    list.textContent = "";
    list.appendChild(chips(shown[kind].tags, true, function (tag) {
      save(kind, shown[kind].tags.filter(function (x) { return x !== tag; }));
    }));
  }
  function save(kind, tags) {
    var at = shown[kind];
    at.saved = (at.saved || 0) + 1;  // a read of the tags begun before this change no longer counts
    core.call("PUT", tagPath(kind, at.id), {tags: tags}).then(function (r) {
      if (r.status !== 200) { core.fail(core.problem(r)); return; }
      core.fail("");
      if (shown[kind] && shown[kind].id === at.id) { shown[kind].tags = r.data.tags; drawTags(kind); }
      loadInUse();
      core.loadList(false);
    });
  }
  function loadTags(kind, id) {
    var at = {id: id, tags: [], saved: 0};
    shown[kind] = at;
    drawTags(kind);
    core.call("GET", tagPath(kind, id)).then(function (r) {
      if (r.status === 200 && shown[kind] === at && !at.saved) { at.tags = r.data.tags; drawTags(kind); }
    });
  }

  // The tags in use: suggestions while typing, and the list's filter.
  function filter() {
    var select = $("tag-filter");
    if (!select) {
      select = el("select");
      select.id = "tag-filter";
      select.addEventListener("change", function () {
        state.tag = select.value || null; state.searching = null; $("search").value = ""; core.loadList(true);
      });
      var row = el("div", null, "filters tag-filters");
      row.appendChild(select);
      var filters = document.querySelector("#tab-conversations .filters");
      filters.parentNode.insertBefore(row, filters.nextSibling);
      var suggestions = el("datalist"); suggestions.id = "tag-suggestions";
      document.body.appendChild(suggestions);
    }
    return select;
  }
  function drawFilter() {
    var select = filter();
    select.setAttribute("aria-label", t("tags.filter"));
    select.textContent = "";
    var all = el("option", t("tags.filter_all")); all.value = ""; select.appendChild(all);
    var names = inUse.map(function (u) { return u.tag; });
    if (state.tag && names.indexOf(state.tag) < 0) { names.push(state.tag); }
    names.forEach(function (tag) {
      var count = inUse.filter(function (u) { return u.tag === tag; }).map(function (u) { return u.count; })[0] || 0;
      var option = el("option", tag + " (" + count + ")"); option.value = tag; select.appendChild(option);
    });
    select.value = state.tag || "";
    var suggestions = $("tag-suggestions");
    suggestions.textContent = "";
    inUse.forEach(function (u) { var o = el("option"); o.value = u.tag; suggestions.appendChild(o); });
  }
  function loadInUse() {
    return core.call("GET", "v1/agent/tags").then(function (r) { if (r.status === 200) { inUse = r.data.items; drawFilter(); } });
  }

  core.hooks.entry.push(function (li, e) {
    if (e.tags && e.tags.length) { li.appendChild(chips(e.tags, false)); }
  });
  core.hooks.opened.push(function (kind, id, data, refresh) {
    if (!refresh || !shown[kind] || shown[kind].id !== id) { loadTags(kind, id); }
    contactButton(kind, kind === "chat" ? data.visitor.email : data.contact);
  });
  core.whenSignedIn(function () { loadInUse(); });

  // -- the contact view: one customer's tickets, chats and calls together --------------------------------
  function contactButton(kind, contact) {
    var host = kind === "chat" ? $("conversation-bar") : $("ticket-actions");
    var button = host.querySelector(".contact-open");
    if (!button) {
      button = el("button", null, "contact-open");
      button.type = "button";
      button.addEventListener("click", function () { openContact(button.getAttribute("data-contact")); });
      host.appendChild(button);
    }
    button.textContent = t("contact.open");
    button.setAttribute("data-contact", contact || "");
    button.classList.toggle("hidden", !contact);
  }
  function panel() {
    var main = $("tab-contact");
    if (main) { return main; }
    main = el("main", null, "panel hidden");
    main.id = "tab-contact";
    main.setAttribute("data-tab-panel", "contact");
    $("app").appendChild(main);
    return main;
  }
  function seconds(value) { return value === null || value === undefined ? "" : t("contact.talk", {seconds: value}); }
  function section(main, title, items, draw) {
    var box = el("section", null, "contact-box");
    box.appendChild(el("h3", t(title, {count: items.length})));
    var list = el("ul", null, "contact-list");
    if (!items.length) { list.appendChild(el("li", t("contact.none"), "empty")); }
    items.forEach(function (item) { list.appendChild(draw(item)); });
    box.appendChild(list);
    main.appendChild(box);
  }
  function entryRow(e) {
    var li = el("li");
    li.setAttribute("data-entry", e.kind + ":" + e.id);
    var title = el("strong");
    title.appendChild(el("span", t("kind." + e.kind), "kind " + e.kind));
    title.appendChild(document.createTextNode(e.kind === "ticket" ? "#" + e.number + " " + (e.title || t("tickets.no_subject"))
                                                                  : (e.title || t("conversation.visitor"))));
    li.appendChild(title);
    li.appendChild(el("small", t("status." + e.status) + " · " + core.time(e.last_activity)));
    if (e.tags && e.tags.length) { li.appendChild(chips(e.tags, false)); }
    li.addEventListener("click", function () {
      if (e.kind === "chat") { core.select("conversations"); core.threadOpen("conversations", true); core.openConversation(e.id, false); return; }
      core.select("tickets"); core.threadOpen("tickets", true); core.openTicket(e.id);
    });
    return li;
  }
  function callRow(c) {
    var li = el("li");
    li.setAttribute("data-call", c.id);
    li.appendChild(el("strong", t("contact.call_" + c.direction) + " · " + (c.outcome ? t("contact.outcome_" + c.outcome) : t("contact.outcome_live"))));
    li.appendChild(el("small", [core.time(c.started_at), seconds(c.talk_seconds), c.disposition].filter(Boolean).join(" · ")));
    if (c.notes) { li.appendChild(el("small", c.notes, "preview")); }
    return li;
  }
  function openContact(contact) {
    if (!contact) { return; }
    var main = panel();
    core.select("contact");
    main.textContent = "";
    main.setAttribute("data-contact", contact);
    return core.call("GET", "v1/agent/contacts/" + encodeURIComponent(contact)).then(function (r) {
      main.textContent = "";
      var back = el("button", t("list.back"), "contact-back");
      back.type = "button";
      back.addEventListener("click", function () { core.select("conversations"); core.threadOpen("conversations", false); });
      main.appendChild(back);
      if (r.status !== 200) { main.appendChild(el("p", core.problem(r), "error")); return; }
      var who = r.data.contact, head = el("section", null, "contact-box contact-head");
      head.appendChild(el("h2", who.name || who.id));
      if (who.emails.length) { head.appendChild(el("p", t("contact.emails", {list: who.emails.join(", ")}))); }
      if (who.phones.length) { head.appendChild(el("p", t("contact.phones", {list: who.phones.join(", ")}))); }
      main.appendChild(head);
      section(main, "contact.tickets", r.data.tickets, entryRow);
      section(main, "contact.chats", r.data.chats, entryRow);
      section(main, "contact.calls", r.data.calls, callRow);
    });
  }
  kc.openContact = openContact;

  // -- files in a chat reply: the way shoppers send them (room first, the bytes where the link says, then the
  //    message), with the same limits, checked by the API --------------------------------------------------
  function sendBytes(link, file) {
    if (link.method === "POST") {  // S3's presigned POST: its fields, then the file
      var form = new FormData();
      Object.keys(link.fields || {}).forEach(function (k) { form.append(k, link.fields[k]); });
      form.append("file", file);
      return fetch(link.url, {method: "POST", body: form}).then(function (r) { return r.ok; });
    }
    return fetch(String(link.url).replace(/^\//, ""), {method: "PUT", body: file, cache: "no-store",
      headers: {Authorization: "Bearer " + state.key, "Content-Type": "application/octet-stream"}})
      .then(function (r) { return r.ok; });
  }
  // Room on the conversation or ticket, then the bytes: resolves with the upload id.
  function upload(base, file) {
    return core.call("POST", base + "/uploads", {size: file.size}).then(function (r) {
      if (r.status !== 201) { return Promise.reject(r); }
      return sendBytes(r.data.upload, file).then(function (ok) { return ok ? r.data.upload_id : Promise.reject({status: 0, data: {}}); });
    });
  }
  // A file's error stands below the reply box of its own panel (a ticket's has its line: the chat's is hidden then).
  function failed(r, status, line) {
    var message = r && r.status ? core.problem(r) : t("files.failed");
    status.textContent = "";
    if (line) { $(line).textContent = message; } else { core.fail(message); }
  }
  // A chat: the file goes out as its own message at once, as a shopper's does.
  function attachToChat(file, status) {
    var id = state.current, base = "v1/agent/conversations/" + encodeURIComponent(id);
    status.textContent = t("files.sending", {name: file.name});
    upload(base, file).then(function (uploadId) {
      return core.call("POST", base + "/messages", {upload_id: uploadId, name: file.name});
    }).then(function (r) {
      if (r.status !== 201) { return Promise.reject(r); }
      status.textContent = "";
      core.openConversation(id, false);
    }).catch(function (r) { failed(r, status); });
  }
  // An email: files wait beside the text and go with the reply (at most 5).
  var waiting = [];
  function drawWaiting() {
    var box = $("ticket-files");
    box.textContent = "";
    waiting.forEach(function (f, n) {
      var chip = el("span", f.name, "tag file-chip");
      var x = el("button", "×", "tag-remove"); x.type = "button";
      x.setAttribute("aria-label", t("files.remove", {name: f.name}));
      x.addEventListener("click", function () { waiting.splice(n, 1); drawWaiting(); });
      chip.appendChild(x);
      box.appendChild(chip);
    });
  }
  function attachToTicket(file, status) {
    var id = state.ticket, base = "v1/agent/tickets/" + encodeURIComponent(id);
    status.textContent = t("files.sending", {name: file.name});
    upload(base, file).then(function (uploadId) {
      status.textContent = "";
      if (state.ticket === id) { $("ticket-error").textContent = ""; waiting.push({upload_id: uploadId, name: file.name}); drawWaiting(); }
    }).catch(function (r) { failed(r, status, "ticket-error"); });
  }
  core.hooks.replyFiles = function () { return waiting.map(function (f) { return {upload_id: f.upload_id, name: f.name}; }); };
  core.hooks.replySent = function () { waiting = []; drawWaiting(); $("ticket-error").textContent = ""; };
  var waitingFor = null;  // the ticket the waiting files were uploaded to: another ticket starts without them
  core.hooks.opened.push(function (kind, id) { if (kind === "ticket" && waitingFor !== id) { waiting = []; waitingFor = id; drawWaiting(); $("ticket-error").textContent = ""; } });
  function fileButton(formId, inputId, onFile) {
    var form = $(formId), input = el("input"), button = el("button", null, "attach"), status = el("small", null, "attach-status");
    input.type = "file"; input.id = inputId; input.className = "hidden"; input.multiple = formId === "ticket-form";
    input.accept = "image/png,image/jpeg,image/gif,image/webp,application/pdf";
    button.type = "button";
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files || [], function (file) { onFile(file, status); });
      input.value = "";
    });
    var actions = form.querySelector("div");
    actions.appendChild(document.createElement("br"));
    actions.appendChild(button);
    form.appendChild(input);
    form.appendChild(status);
    function label() { button.textContent = t("files.attach"); button.title = t("files.limits"); }
    label();
    kc.ready.then(label);
    $("language").addEventListener("change", function () { setTimeout(label, 300); });
    return status;
  }
  fileButton("reply-form", "attach-file", attachToChat).id = "attach-status";
  fileButton("ticket-form", "ticket-attach-file", attachToTicket);
  (function () {
    var box = el("div", null, "reply-files"); box.id = "ticket-files";
    $("ticket-form").insertBefore(box, $("ticket-form").firstChild);
  })();

  // -- the panels fill the window below the header, whatever its height (on a phone it wraps to three rows) --
  function fitHeader() {
    var header = document.querySelector("header");
    if (header) { document.documentElement.style.setProperty("--header", header.offsetHeight + "px"); }
  }
  window.addEventListener("resize", fitHeader);
  if (window.ResizeObserver) { new ResizeObserver(fitHeader).observe(document.querySelector("header")); }
  fitHeader();

  // -- the tab bar on a phone: it scrolls sideways; a fade on the side where more tabs wait says so --------
  function hints() {
    var nav = $("tabs");
    if (!nav) { return; }
    var more = nav.scrollWidth - nav.clientWidth > 2;
    nav.classList.toggle("more-after", more && nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 2);
    nav.classList.toggle("more-before", more && nav.scrollLeft > 2);
  }
  $("tabs").addEventListener("scroll", hints, {passive: true});
  window.addEventListener("resize", hints);
  if (window.MutationObserver) { new MutationObserver(hints).observe($("tabs"), {childList: true, subtree: true, attributes: true}); }
  core.whenSignedIn(function () { setTimeout(hints, 0); });
  kc.ready.then(function () {
    // the language may change: drawn parts follow
    $("language").addEventListener("change", function () {
      kc.ready.then(function () { setTimeout(function () {
        if (state.me) { loadInUse(); }
        ["chat", "ticket"].forEach(function (kind) { if (shown[kind]) { drawTags(kind); } });
      }, 300); });
    });
  });
})();
