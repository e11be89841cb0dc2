"""Email routes for agents: tickets with their messages, replies by email, attachments, the local outbox,
the merchant's mail settings and its quarantine. Every route is scoped by the agent key's merchant."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import services
from chalicelib.core import links
from chalicelib.core.errors import InvalidInput, NotFound, Unauthorized
from chalicelib.core.http import body_fields, json_response, page_limit
from chalicelib.inbox.ticket_files_api import ticket_files
from chalicelib.licensing.guard import Principal, bearer, require_agent
from chalicelib.licensing.model import Channel
from chalicelib.mail.model import TicketStatus

mail_api = Blueprint(__name__)

# Served as themselves (browsers show them inline); everything else downloads as bytes, so that no file from a
# stranger's mail can ever render as a page of our origin.
_INLINE_TYPES = {"image/png", "image/jpeg", "image/gif"}


def _agent(request: Request) -> Principal:
    return require_agent(request, services().licensing, Channel.EMAIL)


def _author(principal: Principal) -> str:
    return f"agent:{principal.key.key_id}"


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params or {})


@mail_api.route("/v1/agent/tickets", methods=["GET"])
def list_tickets() -> Response:
    request = mail_api.current_request
    principal = _agent(request)
    query = _query(request)
    status = query.get("status", TicketStatus.OPEN.value)
    if status not in {s.value for s in TicketStatus}:
        raise InvalidInput("status must be one of: open, pending, closed.", code="INVALID_CHOICE")
    limit = page_limit(query)
    return json_response(services().mail.list_tickets(principal.licensee_id, status, limit, query.get("next")))


@mail_api.route("/v1/agent/tickets/{ticket_id}", methods=["GET"])
def show_ticket(ticket_id: str) -> Response:
    principal = _agent(mail_api.current_request)
    return json_response(services().mail.show_ticket(principal.licensee_id, ticket_id))


@mail_api.route("/v1/agent/tickets/{ticket_id}/replies", methods=["POST"])
def reply(ticket_id: str) -> Response:
    request = mail_api.current_request
    principal = _agent(request)
    fields = body_fields(request)
    text = fields.required_text("text", max_length=50_000)
    files = fields.objects("attachments", max_items=10, required=False) or []
    fields.done()
    uploads = []
    for file in files:  # `[{upload_id, name}]`: uploads of this ticket (POST …/uploads) the mail carries
        uploads.append((file.required_text("upload_id", max_length=40), file.required_text("name", max_length=255)))
        file.done()
    attachments = ticket_files().parts(principal.licensee_id, ticket_id, uploads) if uploads else ()
    return json_response(services().mail.reply(principal.licensee_id, ticket_id, text, _author(principal),
                                               principal.key.agent_name, attachments), 201)


@mail_api.route("/v1/agent/tickets", methods=["POST"])
def start_ticket() -> Response:
    """`{"to", "subject", "text", "client_id"?}`: an agent writes to a customer first; the mail opens a
    ticket (201 with it), and the customer's answer threads onto it."""
    request = mail_api.current_request
    principal = _agent(request)
    fields = body_fields(request)
    to = fields.email("to") or ""
    subject = fields.required_text("subject", max_length=500)
    text = fields.required_text("text", max_length=50_000)
    client_id = fields.text("client_id", max_length=64, required=False)
    fields.done()
    return json_response(services().mail.start_ticket(principal.licensee_id, to, subject, text, _author(principal),
                                                      principal.key.agent_name, client_id), 201)


@mail_api.route("/v1/agent/tickets/{ticket_id}/assign", methods=["POST"])
def assign(ticket_id: str) -> Response:
    """`{"agent_id": "<key id>"}`, `"me"`, or null to unassign."""
    request = mail_api.current_request
    principal = _agent(request)
    fields = body_fields(request)
    wanted = fields.text("agent_id", max_length=64, required=False)
    fields.done()
    agent_id = principal.key.key_id if wanted == "me" else wanted
    return json_response(services().mail.assign(principal.licensee_id, ticket_id, agent_id, _author(principal)))


@mail_api.route("/v1/agent/tickets/{ticket_id}/notes", methods=["POST"])
def note(ticket_id: str) -> Response:
    """An internal note, seen by the shop's agents only."""
    request = mail_api.current_request
    principal = _agent(request)
    fields = body_fields(request)
    text = fields.required_text("text", max_length=5000)
    fields.done()
    return json_response(services().mail.note(principal.licensee_id, ticket_id, principal.key.key_id,
                                              principal.key.agent_name, text), 201)


@mail_api.route("/v1/agent/tickets/{ticket_id}/status", methods=["POST"])
def set_status(ticket_id: str) -> Response:
    request = mail_api.current_request
    principal = _agent(request)
    fields = body_fields(request)
    status = fields.choice("status", [s.value for s in TicketStatus]) or ""
    fields.done()
    return json_response(services().mail.set_status(principal.licensee_id, ticket_id, TicketStatus(status),
                                                    _author(principal)))


@mail_api.route("/v1/agent/tickets/{ticket_id}/messages/{message_id}/attachments/{index}", methods=["GET"])
def attachment(ticket_id: str, message_id: str, index: str) -> Response:
    """An attachment's bytes, for an agent of the merchant (bearer key) or through a signed link that the
    ticket view handed out (so a plain browser link works for an hour)."""
    request = mail_api.current_request
    mail = services().mail
    if not index.isdigit() or len(index) > 4:
        raise NotFound("No such attachment.", code="UNKNOWN_ATTACHMENT")
    if bearer(request) is not None:
        licensee_id = _agent(request).licensee_id
    else:
        licensee_id, expires, signature = links.from_query(_query(request))
        if not mail.check_attachment_link(licensee_id, ticket_id, message_id, int(index), expires, signature):
            raise Unauthorized("Send your agent key, or open the link from a fresh ticket view.",
                               code="LINK_EXPIRED_OR_INVALID")
    part, data = mail.attachment(licensee_id, ticket_id, message_id, int(index))
    content_type = part.content_type if part.content_type in _INLINE_TYPES else "application/octet-stream"
    disposition = "inline" if content_type in _INLINE_TYPES else "attachment"
    return Response(body=data, status_code=200, headers={
        "Content-Type": content_type, "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(part.name, safe='')}"})


@mail_api.route("/v1/agent/outbox", methods=["GET"])
def outbox() -> Response:
    """Mail the merchant sent, as local mode's outbox holds it (elsewhere: an empty list)."""
    principal = _agent(mail_api.current_request)
    entries = getattr(services().mailer, "entries", None)
    items: list[dict[str, Any]] = []
    if entries is not None:
        for entry in entries(("licensee", principal.licensee_id)):
            items.append({"id": entry["id"], "to": entry["to"], "subject": entry["subject"],
                          "created_at": entry["created_at"], "kind": entry.get("tags", {}).get("kind"),
                          "url": f"/v1/agent/outbox/{entry['id']}"})
    return json_response({"items": items, "next": None})


@mail_api.route("/v1/agent/outbox/{name}", methods=["GET"])
def outbox_mail(name: str) -> Response:
    principal = _agent(mail_api.current_request)
    mailer = services().mailer
    entries = getattr(mailer, "entries", None)
    mine = {e["id"] for e in entries(("licensee", principal.licensee_id))} if entries is not None else set()
    data = mailer.read(name) if name in mine else None  # type: ignore[attr-defined]
    if data is None:
        raise NotFound("No such mail in the outbox.", code="UNKNOWN_MAIL")
    return Response(body=data, status_code=200, headers={
        "Content-Type": "application/octet-stream", "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@mail_api.route("/v1/agent/mail/settings", methods=["GET"])
def get_settings() -> Response:
    principal = _agent(mail_api.current_request)
    return json_response(services().mail.mail_settings(principal.licensee_id))


@mail_api.route("/v1/agent/mail/settings", methods=["PUT"])
def put_settings() -> Response:
    request = mail_api.current_request
    principal = _agent(request)
    fields = body_fields(request)
    acknowledge = fields.boolean("acknowledge", required=False)
    text = fields.text("acknowledgement_text", max_length=5000, required=False)
    fields.done()
    return json_response(services().mail.update_settings(principal.licensee_id, _author(principal),
                                                         acknowledge=acknowledge, acknowledgement_text=text))


@mail_api.route("/v1/agent/mail/quarantine", methods=["GET"])
def quarantine() -> Response:
    """Mail kept back from agents, each with the reason in words."""
    principal = _agent(mail_api.current_request)
    return json_response({"items": services().mail.held(principal.licensee_id), "next": None})
