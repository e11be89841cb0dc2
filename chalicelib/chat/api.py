"""Chat routes: the storefront widget (public widget key + visitor token, CORS per key) and the agents'
side (agent key). Handlers parse, call one service function and shape the answer."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.chat import model, stamps
from chalicelib.chat.model import Conversation, Message, Note, Presence, Status
from chalicelib.chat.widget_http import (  # the widget's edge: CORS, language, who asks
    locale as _locale,
)
from chalicelib.chat.widget_http import (
    shopper as _shopper,
)
from chalicelib.chat.widget_http import (
    visitor as _visitor,
)
from chalicelib.chat.widget_http import (
    widget as _widget,
)
from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import body_fields, json_response
from chalicelib.core.observability import logger
from chalicelib.core.validation import Fields
from chalicelib.licensing.guard import Principal, require_agent
from chalicelib.licensing.model import Channel, KeyKind

if TYPE_CHECKING:
    from chalicelib.chat.service import Poll

chat_api = Blueprint(__name__)

STATIC = Path(__file__).parent / "static"


def _message_fields(fields: Fields) -> tuple[str, str | None]:
    """`text` (1 to 4,000 characters once trimmed) and the optional idempotency `client_id`."""
    text = fields.required_text("text", max_length=model.MAX_TEXT)
    return text, model.client_id(fields.text("client_id", max_length=model.CLIENT_ID_MAX, required=False))


def _client_ip() -> str:
    context = chat_api.current_request.context or {}
    return str((context.get("identity") or {}).get("sourceIp") or "")


# -- shapes ---------------------------------------------------------------------------------------------------
def message_dict(licensee_id: str, message: Message) -> dict[str, Any]:
    return services().chat.message_dict(licensee_id, message)


def _visitor_conversation(conversation: Conversation) -> dict[str, Any]:
    return {"id": conversation.conversation_id, "status": conversation.status.value,
            "agent_name": conversation.assignee_name or None, "created_at": conversation.created_at.isoformat(),
            "last_activity": conversation.last_activity.isoformat(),
            "handed_over": bool(conversation.handover_email), "rated": conversation.rating is not None}


def conversation_dict(conversation: Conversation) -> dict[str, Any]:
    return {"id": conversation.conversation_id, "status": conversation.status.value,
            "visitor": {"id": conversation.visitor_id, "name": conversation.visitor_name or None,
                        "email": conversation.visitor_email or None, "customer_id": conversation.customer_id,
                        "verified": conversation.customer_id is not None},
            "assignee": {"id": conversation.assignee_id, "name": conversation.assignee_name}
            if conversation.assignee_id else None,
            "created_at": conversation.created_at.isoformat(), "last_activity": conversation.last_activity.isoformat(),
            "messages": conversation.last_number,
            "handover": {"email": conversation.handover_email,
                         "at": conversation.handed_over_at.isoformat() if conversation.handed_over_at else None,
                         "ticket_id": conversation.ticket_id or None}
            if conversation.handover_email else None,
            "rating": conversation.rating}


def _note_dict(note: Note) -> dict[str, Any]:
    return {"id": note.note_id, "agent_id": note.agent_id, "agent_name": note.agent_name, "text": note.text,
            "created_at": note.created_at.isoformat()}


def _poll_dict(licensee_id: str, poll: Poll) -> dict[str, Any]:
    return {"messages": [message_dict(licensee_id, m) for m in poll.messages], "cursor": str(poll.cursor),
            "conversation": _visitor_conversation(poll.conversation)}


# -- the widget itself ------------------------------------------------------------------------------------------
@cache
def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@chat_api.route("/v1/widget.js", methods=["GET"])
def widget_script() -> Response:
    """The storefront widget. The key is read by the script from its own `src` (`?key=`)."""
    return Response(body=_static("widget.js"), status_code=200, headers={
        "Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff"})


@chat_api.route("/v1/widget/config", methods=["GET"])
def widget_config() -> Response:
    """What the widget shows before the first message: can someone answer now, may it offer email, in which
    language (`locale`) and with which words (`texts`: the catalogue's with the merchant's own over them),
    and where to connect for push (`realtime.url`, null when push is off)."""
    principal = _widget()
    chat = services().chat
    reason = chat.unavailable(principal.licensee_id)
    locale = _locale()
    return json_response({"available": reason is None, "reason": reason.value if reason else None,
                          "hours": model.format_hours(chat.hours(principal.licensee_id)),
                          "email": Channel.EMAIL in principal.validation.channels,
                          "identity": chat.chat_settings(principal.licensee_id).identity_secret is not None,
                          "locale": locale, "texts": chat.widget_texts(principal.licensee_id, locale),
                          "realtime": {"url": services().realtime.url or None}},
                         headers={"Content-Language": locale, "Vary": "Origin, Accept-Language"})


@chat_api.route("/v1/widget/identify", methods=["POST"])
def widget_identify() -> Response:
    """Verified identity: `{"customer_id", "customer_hash"}` signed by the merchant's backend → a token."""
    principal = _widget()
    fields = body_fields(chat_api.current_request)
    customer_id = fields.required_text("customer_id", max_length=128)
    customer_hash = fields.required_text("customer_hash", max_length=128)
    fields.done()
    token = services().chat.identify(principal.licensee_id, customer_id, customer_hash)
    return json_response({"visitor_token": token, "verified": True})


@chat_api.route("/v1/widget/conversations", methods=["POST"])
def start_conversation() -> Response:
    """The shopper's first message opens a conversation: 201 with its id and the visitor token. The same
    `client_id` again from the same visitor (or again without a token) is 200 with that same conversation."""
    principal = _widget()
    visitor = _visitor(principal, required=False)
    fields = body_fields(chat_api.current_request)
    text, client_id = _message_fields(fields)
    person = fields.nested("visitor", required=False)
    fields.done()
    name = email = ""
    if person is not None:
        name = person.text("name", max_length=100, required=False) or ""
        email = person.email("email", required=False) or ""
        person.done()
    started = services().chat.start(principal.licensee_id, visitor, text=text, name=name, email=email,
                                    client_id=client_id, client_ip=_client_ip(),
                                    email_licensed=Channel.EMAIL in principal.validation.channels,
                                    locale=_locale())
    return json_response({"id": started.conversation.conversation_id, "visitor_token": started.visitor_token,
                          "message": message_dict(principal.licensee_id, started.first), "cursor": "0",
                          "available": started.unavailable is None,
                          "reason": started.unavailable.value if started.unavailable else None,
                          "handed_over": bool(started.conversation.handover_email)},
                         200 if started.replayed else 201)


@chat_api.route("/v1/widget/conversations", methods=["GET"])
def visitor_conversations() -> Response:
    """The visitor's own conversations (a verified customer's on any device), newest first."""
    principal, visitor = _shopper()
    found = services().chat.visitor_conversations(principal.licensee_id, visitor)
    return json_response({"items": [_visitor_conversation(c) for c in found]})


@chat_api.route("/v1/widget/conversations/{conversation_id}/messages", methods=["POST"])
def visitor_message(conversation_id: str) -> Response:
    principal, visitor = _shopper()
    fields = body_fields(chat_api.current_request)
    upload_id = fields.text("upload_id", max_length=40, required=False)
    if upload_id is not None:  # a file: `{upload_id, name, client_id?}` once its bytes are stored
        name = fields.required_text("name", max_length=255)
        client_id = model.client_id(fields.text("client_id", max_length=model.CLIENT_ID_MAX, required=False))
        fields.done()
        message = services().chat.send_file(principal.licensee_id, visitor, conversation_id, upload_id, name,
                                            client_id)
        return json_response(message_dict(principal.licensee_id, message), 201)
    text, client_id = _message_fields(fields)
    fields.done()
    message = services().chat.send_as_visitor(principal.licensee_id, visitor, conversation_id, text, client_id)
    return json_response(message_dict(principal.licensee_id, message), 201)


@chat_api.route("/v1/widget/conversations/{conversation_id}/uploads", methods=["POST"])
def visitor_upload(conversation_id: str) -> Response:
    """`{"size"}` → 201 `{upload_id, upload: {method, url, fields}}`: where to send one file's bytes (a presigned
    S3 POST; locally a PUT to the API), counted against the conversation's quota. An empty file is EMPTY_FILE."""
    principal, visitor = _shopper()
    fields = body_fields(chat_api.current_request)
    size = fields.integer("size", minimum=0, maximum=1 << 40)  # an empty file is refused in words of its own
    fields.done()
    assert size is not None
    return json_response(services().chat.upload(principal.licensee_id, visitor, conversation_id, size), 201)


@chat_api.route("/v1/widget/conversations/{conversation_id}/uploads/{upload_id}", methods=["PUT"],
                content_types=["application/octet-stream"])
def visitor_upload_bytes(conversation_id: str, upload_id: str) -> Response:
    """Local mode only (on AWS the browser posts to S3): the bytes of an upload, as the link signed them."""
    principal, visitor = _shopper()
    request = chat_api.current_request
    query: Mapping[str, str] = request.query_params or {}
    body = request.raw_body
    services().chat.store_upload(principal.licensee_id, visitor, conversation_id, upload_id, query.get("sig", ""),
                                 body if isinstance(body, bytes) else body.encode())
    return Response(body="", status_code=204)


@chat_api.route("/v1/widget/files/{conversation_id}/{upload_id}", methods=["GET"])
def widget_file(conversation_id: str, upload_id: str) -> Response:
    """A file of a message through a signed link (local mode; on AWS the link is S3's): its checked type,
    pictures inline, anything else a download, and never run as a page of this origin."""
    query: Mapping[str, str] = chat_api.current_request.query_params or {}
    try:
        expires = int(query.get("exp", "0"))
    except ValueError:
        expires = 0
    data, kind = services().chat.file(query.get("m", ""), f"{conversation_id}/{upload_id}", expires,
                                      query.get("sig", ""))
    return Response(body=data, status_code=200, headers={
        "Content-Type": kind, "Content-Disposition": "inline" if kind.startswith("image/") else "attachment",
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600", "Cross-Origin-Resource-Policy": "cross-origin"})


@chat_api.route("/v1/widget/conversations/{conversation_id}/handover", methods=["POST"])
def visitor_handover(conversation_id: str) -> Response:
    """`{"email"}`: answer me by email. The conversation becomes a ticket in the merchant's inbox with its
    transcript, the shopper gets an acknowledgement in their language; agents' replies go out by email."""
    principal, visitor = _shopper()
    fields = body_fields(chat_api.current_request)
    email = fields.email("email")
    fields.done()
    assert email is not None
    conversation = services().chat.hand_over(principal.licensee_id, visitor, conversation_id, email,
                                             Channel.EMAIL in principal.validation.channels)
    return json_response({**_visitor_conversation(conversation), "handed_over": True,
                          "notice": services().chat.widget_texts(principal.licensee_id, _locale())["handover"]})


@chat_api.route("/v1/widget/conversations/{conversation_id}/end", methods=["POST"])
def visitor_end(conversation_id: str) -> Response:
    """The shopper ends the chat (resolved); then it may be rated."""
    principal, visitor = _shopper()
    return json_response(_visitor_conversation(services().chat.end(principal.licensee_id, visitor,
                                                                   conversation_id)))


@chat_api.route("/v1/widget/conversations/{conversation_id}/rating", methods=["POST"])
def visitor_rating(conversation_id: str) -> Response:
    """`{"rating": 1-5, "comment"}` once the conversation is resolved; once. Stored for the merchant's reports."""
    principal, visitor = _shopper()
    fields = body_fields(chat_api.current_request)
    rating = fields.integer("rating", minimum=1, maximum=5)
    comment = fields.text("comment", max_length=1000, required=False) or ""
    fields.done()
    assert rating is not None
    services().chat.rate(principal.licensee_id, visitor, conversation_id, rating, comment)
    return json_response({"rating": rating, "comment": comment or None}, 201)


@chat_api.route("/v1/widget/conversations/{conversation_id}/messages", methods=["GET"])
def visitor_poll(conversation_id: str) -> Response:
    """Messages after `?after=<cursor>`, and the cursor to send next time."""
    principal, visitor = _shopper()
    query: Mapping[str, str] = chat_api.current_request.query_params or {}
    after = stamps.parse_cursor(query.get("after"))
    found = services().chat.poll(principal.licensee_id, visitor, conversation_id, after)
    return json_response(_poll_dict(principal.licensee_id, found))


# -- the agents' side -------------------------------------------------------------------------------------------
def _agent() -> Principal:
    return require_agent(chat_api.current_request, services().licensing, Channel.CHAT)


@chat_api.route("/v1/agent/conversations", methods=["GET"])
def agent_inbox() -> Response:
    principal = _agent()
    query: Mapping[str, str] = chat_api.current_request.query_params or {}
    status = _status(query.get("status", "open"))
    items, following = services().chat.inbox(principal.licensee_id, status, query.get("next"))
    return json_response({"items": [conversation_dict(c) for c in items], "next": following})


@chat_api.route("/v1/agent/conversations/{conversation_id}", methods=["GET"])
def agent_conversation(conversation_id: str) -> Response:
    principal = _agent()
    conversation, messages, notes = services().chat.timeline(principal.licensee_id, conversation_id)
    return json_response({**conversation_dict(conversation),
                          "messages": [message_dict(principal.licensee_id, m) for m in messages],
                          "notes": [_note_dict(n) for n in notes]})


@chat_api.route("/v1/agent/conversations/{conversation_id}/messages", methods=["POST"])
def agent_reply(conversation_id: str) -> Response:
    """`{text, client_id?}`, or a file once its bytes are stored: `{upload_id, name, client_id?}`."""
    principal = _agent()
    fields = body_fields(chat_api.current_request)
    upload_id = fields.text("upload_id", max_length=40, required=False)
    if upload_id is not None:
        name = fields.required_text("name", max_length=255)
        client_id = model.client_id(fields.text("client_id", max_length=model.CLIENT_ID_MAX, required=False))
        fields.done()
        sent = _agent_files().send(principal.licensee_id, principal.key, conversation_id, upload_id, name, client_id)
        return json_response(message_dict(principal.licensee_id, sent), 201)
    text, client_id = _message_fields(fields)
    fields.done()
    message = services().chat.reply(principal.licensee_id, principal.key, conversation_id, text, client_id)
    return json_response(message_dict(principal.licensee_id, message), 201)


def _agent_files() -> Any:
    from chalicelib.chat.agent_files import AgentFiles

    return AgentFiles(services().chat)


@chat_api.route("/v1/agent/conversations/{conversation_id}/uploads", methods=["POST"])
def agent_upload(conversation_id: str) -> Response:
    """`{"size"}` → 201 `{upload_id, upload: {method, url, fields}}`: where the console sends one file's bytes,
    with the limits shoppers' files have."""
    from chalicelib.chat.agent_files import upload_size

    principal = _agent()
    return json_response(_agent_files().upload(principal.licensee_id, conversation_id,
                                                upload_size(chat_api.current_request)), 201)


@chat_api.route("/v1/agent/conversations/{conversation_id}/uploads/{upload_id}", methods=["PUT"],
                content_types=["application/octet-stream"])
def agent_upload_bytes(conversation_id: str, upload_id: str) -> Response:
    """Local mode only (on AWS the console posts to S3): the bytes of an upload, as its link signed them."""
    from chalicelib.chat.agent_files import upload_bytes

    principal = _agent()
    _agent_files().store(principal.licensee_id, conversation_id, upload_id, *upload_bytes(chat_api.current_request))
    return Response(body="", status_code=204)


@chat_api.route("/v1/agent/conversations/{conversation_id}/notes", methods=["POST"])
def agent_note(conversation_id: str) -> Response:
    principal = _agent()
    fields = body_fields(chat_api.current_request)
    text = fields.required_text("text", max_length=model.MAX_TEXT)
    fields.done()
    return json_response(_note_dict(services().chat.note(principal.licensee_id, principal.key, conversation_id,
                                                         text)), 201)


@chat_api.route("/v1/agent/conversations/{conversation_id}/assign", methods=["POST"])
def agent_assign(conversation_id: str) -> Response:
    """`{"agent_id": "<key id>"}`, `"me"`, or null to unassign."""
    principal = _agent()
    fields = body_fields(chat_api.current_request)
    wanted = fields.text("agent_id", max_length=64, required=False)
    fields.done()
    agent_id = principal.key.key_id if wanted == "me" else wanted
    conversation = services().chat.assign(principal.licensee_id, principal.key, conversation_id, agent_id)
    tell_consoles(principal.licensee_id, {"type": "inbox", "kind": "chat", "id": conversation_id, "change": "assigned"})
    return json_response(conversation_dict(conversation))


@chat_api.route("/v1/agent/conversations/{conversation_id}/status", methods=["POST"])
def agent_status(conversation_id: str) -> Response:
    principal = _agent()
    fields = body_fields(chat_api.current_request)
    status = _status(fields.choice("status", [s.value for s in Status]))
    fields.done()
    changed = services().chat.set_status(principal.licensee_id, principal.key, conversation_id, status)
    tell_consoles(principal.licensee_id, {"type": "inbox", "kind": "chat", "id": conversation_id, "change": "status"})
    return json_response(conversation_dict(changed))


@chat_api.route("/v1/agent/presence", methods=["PUT"])
def agent_presence() -> Response:
    """`{"status": "online"|"away", "capacity": n}`; the console repeats it every minute while open."""
    principal = _agent()
    fields = body_fields(chat_api.current_request)
    presence = Presence(fields.choice("status", [p.value for p in Presence]) or "")
    capacity = fields.integer("capacity", minimum=1, maximum=50, required=False)
    fields.done()
    agent = services().chat.set_presence(principal.licensee_id, principal.key, presence, capacity)
    shown = _agent_dict(agent, principal)
    # colleagues' consoles show who is online; push is a shortcut, their minute's refresh of the list the record
    tell_consoles(principal.licensee_id, {"type": "presence", "agent": {k: shown[k] for k in (
        "id", "name", "status", "online", "open", "capacity")}})
    # the console shows dates and times in the shop's own time zone (Asia/Shanghai unless its admin set another),
    # and connects for push where there is a push channel (`realtime.url`, null: it polls)
    return json_response({**shown, "timezone": services().chat.chat_settings(principal.licensee_id).timezone,
                          "realtime": {"url": services().realtime.url or None}})


def tell_consoles(licensee_id: str, event: dict[str, Any]) -> None:
    """Push an event to the shop's consoles, if push is on; a failure is only logged (consoles poll too)."""
    realtime = services().realtime
    if not realtime.url:
        return
    try:
        realtime.publish(licensee_id, "agents", event)
    except Exception:
        logger.exception("push failed", extra={"audience": "agents"})


@chat_api.route("/v1/agent/agents", methods=["GET"])
def agent_list() -> Response:
    """The merchant's agents with presence and load, for assigning: every active agent key, away until its
    console has said otherwise."""
    principal = _agent()
    known = {a.agent_id: a for a in services().chat.agents(principal.licensee_id, fresh=True)}
    lic = services().licensing.license(principal.licensee_id)
    keys = [k for k in (lic.keys if lic else ()) if k.kind is KeyKind.AGENT and k.active]
    agents = [known.get(k.key_id) or model.Agent(k.key_id, k.agent_name, Presence.AWAY, None, 0, 5) for k in keys]
    return json_response({"items": [_agent_dict(a, principal) for a in agents]})


def _agent_dict(agent: model.Agent, principal: Principal) -> dict[str, Any]:
    now = services().clock.now()
    return {"id": agent.agent_id, "name": agent.name, "status": agent.presence.value,
            "online": model.is_online(agent, now), "open": agent.open_count, "capacity": agent.capacity,
            "me": agent.agent_id == principal.key.key_id,
            **({"role": principal.key.role.value} if agent.agent_id == principal.key.key_id else {})}


def _status(value: str | None) -> Status:
    try:
        return Status(value or "")
    except ValueError:
        raise InvalidInput("status is one of open, pending, resolved.", code="INVALID_CHOICE",
                           details={"field": "status"}) from None


# -- the console ------------------------------------------------------------------------------------------------
_PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                 "X-Frame-Options": "DENY", "Cache-Control": "no-cache"}


@chat_api.route("/console", methods=["GET"])
def console() -> Response:
    """The agents' console: one page, its script beside it, no inline script (the CSP allows none)."""
    # the page may reach its push socket, which has an address of its own (API Gateway's WebSocket API, the
    # loopback server locally); shoppers' and agents' files may come from signed storage links
    socket = services().realtime.url
    sources = " ".join(filter(None, ["'self'", socket, "https://*.amazonaws.com"]))  # S3's presigned POST
    return Response(body=_static("console.html"), status_code=200, headers={
        **_PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
                                   f"connect-src {sources}; img-src 'self' data: https:; base-uri 'none'; "
                                   "form-action 'none'; frame-ancestors 'none'"})


@chat_api.route("/console.js", methods=["GET"])
def console_script() -> Response:
    return Response(body=_static("console.js"), status_code=200, headers={
        **_PAGE_HEADERS, "Content-Type": "application/javascript; charset=utf-8"})


# The console's other parts, beside console.js and built on its core: tickets, outbox and canned responses; tags,
# the contact view, files and the phone-sized tab bar; the push channel and colleagues' presence.
for _part in ("console-tickets.js", "console-inbox.js", "console-live.js"):
    chat_api.route(f"/{_part}", methods=["GET"], name=_part.replace("-", "_").replace(".", "_"))(
        lambda _name=_part: Response(body=_static(_name), status_code=200, headers={
            **_PAGE_HEADERS, "Content-Type": "application/javascript; charset=utf-8"}))

