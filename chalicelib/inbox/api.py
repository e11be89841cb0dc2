"""`GET /v1/agent/inbox`: one list of the shop's chats and tickets for the console."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import json_response
from chalicelib.inbox import model
from chalicelib.inbox import tags as tag_rules
from chalicelib.inbox.model import Entry
from chalicelib.licensing.guard import require_agent

inbox_api = Blueprint(__name__)


@inbox_api.route("/v1/agent/inbox", methods=["GET"])
def inbox() -> Response:
    """`?view=open|pending|closed|mine|unassigned` (default open), `&tag=` to keep what carries a tag, and, to
    poll, `&since=<cursor>` from the last answer: then only the entries that moved after it. Chats of a shop
    without the chat channel, or tickets without email, are simply not there."""
    from chalicelib.inbox.service import InboxService
    from chalicelib.inbox.tags_store import TagStore

    built = services()
    principal = require_agent(inbox_api.current_request, built.licensing, None)
    query: Mapping[str, str] = inbox_api.current_request.query_params or {}
    chosen = model.view(query.get("view"))
    since = _since(query.get("since"))
    tag = tag_rules.tag(query["tag"]) if query.get("tag") else None
    entries = InboxService(built.chat, built.mail, TagStore()).entries(
        principal.licensee_id, principal.key.key_id, chosen, principal.validation.channels, since, tag)
    following = model.cursor(entries, since)
    return json_response({"items": [entry_dict(e) for e in entries], "view": chosen.value,
                          "cursor": _write_cursor(following)})


def _write_cursor(at: datetime | None) -> str | None:
    # UTC with a Z: no '+' that a query string would turn into a space
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else None


@inbox_api.route("/v1/agent/search", methods=["GET"])
def search() -> Response:
    """`?q=`: a ticket number, a customer's email, phone or name, an order number they mentioned, a tag (or
    `tag:<tag>` for exactly what carries it), or words of a subject, across the shop's tickets, chats and
    customers (only this shop's)."""
    from chalicelib.inbox.service import InboxService
    from chalicelib.inbox.tags_store import TagStore

    built = services()
    principal = require_agent(inbox_api.current_request, built.licensing, None)
    query: Mapping[str, str] = inbox_api.current_request.query_params or {}
    wanted = (query.get("q") or "").strip()
    if not wanted:
        raise InvalidInput("Say what to look for: ?q=…", code="MISSING_FIELD", details={"field": "q"})
    found = InboxService(built.chat, built.mail, TagStore()).search(principal.licensee_id, wanted,
                                                                    principal.validation.channels)
    return json_response({"items": [entry_dict(e) for e in found], "q": wanted})


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput("The cursor is not one this list gave out.", code="INVALID_CURSOR")
    return parsed


def entry_dict(entry: Entry) -> dict[str, Any]:
    return {"kind": entry.kind, "id": entry.entry_id, "status": entry.status, "title": entry.title,
            "preview": entry.preview, "number": entry.number,
            "last_activity": entry.last_activity.isoformat() if entry.kind != "contact" else None,
            "contact": entry.contact, "tags": list(entry.tags),
            "assignee": {"id": entry.assignee_id, "name": entry.assignee_name} if entry.assignee_id else None}


# Tags and contacts are routes of this blueprint, written beside it.
from chalicelib.inbox import contacts_api, tags_api, ticket_files_api  # noqa: E402, F401 - their routes join inbox_api
