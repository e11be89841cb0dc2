"""Tags on the shop's conversations and tickets: `GET|PUT /v1/agent/{conversations|tickets}/{id}/tags` and the
tags in use, `GET /v1/agent/tags`. Every agent of the shop may tag; every change is audited with their key id."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.bootstrap import services
from chalicelib.chat.api import tell_consoles
from chalicelib.core.http import body_fields, json_response
from chalicelib.inbox import tags as rules
from chalicelib.inbox.api import inbox_api
from chalicelib.licensing.guard import Principal, require_agent
from chalicelib.licensing.model import Channel

_CHANNEL = {"chat": Channel.CHAT, "ticket": Channel.EMAIL}


def _tagging() -> Any:
    from chalicelib.inbox.tagging import TagService
    from chalicelib.inbox.tags_store import TagStore

    built = services()
    return TagService(TagStore(), built.chat, built.mail, built.clock)


def _agent(kind: str) -> Principal:
    return require_agent(inbox_api.current_request, services().licensing, _CHANNEL[kind])


def _show(kind: str, item_id: str) -> Response:
    principal = _agent(kind)
    found = _tagging().tags(principal.licensee_id, kind, item_id)
    return json_response({"kind": kind, "id": item_id, "tags": list(found.tags)})


def _put(kind: str, item_id: str) -> Response:
    """`{"tags": ["vip", "退款"]}` replaces the item's tags (an empty list removes them all)."""
    principal = _agent(kind)
    fields = body_fields(inbox_api.current_request)
    wanted = fields.strings("tags", max_items=rules.MAX_PER_ITEM * 2, max_length=rules.MAX_LENGTH * 2) or []
    fields.done()
    saved = _tagging().set_tags(principal.licensee_id, kind, item_id, wanted, principal.key.key_id)
    tell_consoles(principal.licensee_id, {"type": "inbox", "kind": kind, "id": item_id, "change": "tags"})
    return json_response({"kind": kind, "id": item_id, "tags": list(saved.tags)})


@inbox_api.route("/v1/agent/conversations/{conversation_id}/tags", methods=["GET"])
def conversation_tags(conversation_id: str) -> Response:
    return _show("chat", conversation_id)


@inbox_api.route("/v1/agent/conversations/{conversation_id}/tags", methods=["PUT"])
def tag_conversation(conversation_id: str) -> Response:
    return _put("chat", conversation_id)


@inbox_api.route("/v1/agent/tickets/{ticket_id}/tags", methods=["GET"])
def ticket_tags(ticket_id: str) -> Response:
    return _show("ticket", ticket_id)


@inbox_api.route("/v1/agent/tickets/{ticket_id}/tags", methods=["PUT"])
def tag_ticket(ticket_id: str) -> Response:
    return _put("ticket", ticket_id)


@inbox_api.route("/v1/agent/tags", methods=["GET"])
def tags_in_use() -> Response:
    """The shop's tags, most used first, with how many conversations and tickets carry each."""
    principal = require_agent(inbox_api.current_request, services().licensing, None)
    used = _tagging().in_use(principal.licensee_id)
    return json_response({"items": [{"tag": tag, "count": count} for tag, count in used]})
