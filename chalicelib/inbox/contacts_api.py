"""`GET /v1/agent/contacts/{contact_id}`: one customer of the shop, by email address or phone number, with
their tickets, chats and calls together (only this shop's; only the channels it licenses)."""

from __future__ import annotations

from urllib.parse import unquote

from chalice import Response

from chalicelib.bootstrap import services
from chalicelib.core.http import json_response
from chalicelib.inbox.api import entry_dict, inbox_api
from chalicelib.licensing.guard import require_agent


@inbox_api.route("/v1/agent/contacts/{contact_id}", methods=["GET"])
def contact(contact_id: str) -> Response:
    from chalicelib.inbox.contacts_service import ContactService
    from chalicelib.inbox.service import InboxService
    from chalicelib.inbox.tags_store import TagStore

    built = services()
    principal = require_agent(inbox_api.current_request, built.licensing, None)
    inbox = InboxService(built.chat, built.mail, TagStore())
    found = ContactService(built.chat, built.mail, built.phone, inbox).view(
        principal.licensee_id, unquote(contact_id)[:320], principal.validation.channels)
    return json_response({"contact": {"id": (found.who.emails or found.who.phones)[0], "name": found.name or None,
                                      "emails": found.who.emails, "phones": found.who.phones},
                          "tickets": [entry_dict(e) for e in found.tickets],
                          "chats": [entry_dict(e) for e in found.chats], "calls": found.calls})
