"""`/v1/agent/canned-responses`: every agent of the shop reads them; its admins write and delete them."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.audit.model import AuditRecord
from chalicelib.bootstrap import services
from chalicelib.canned import model
from chalicelib.canned.model import CannedResponse
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.http import body_fields, json_response
from chalicelib.core.ids import new_id
from chalicelib.licensing.guard import require_admin, require_agent

canned_api = Blueprint(__name__)


def _store() -> Any:
    from chalicelib.canned.store import CannedStore

    return CannedStore()


@canned_api.route("/v1/agent/canned-responses", methods=["GET"])
def list_responses() -> Response:
    """The shop's canned responses by shortcut, with the placeholders the console fills."""
    principal = require_agent(canned_api.current_request, services().licensing, None)
    items = _store().responses(principal.licensee_id)
    return json_response({"items": [_dict(r) for r in items], "placeholders": list(model.PLACEHOLDERS)})


@canned_api.route("/v1/agent/canned-responses", methods=["POST"])
def save_response() -> Response:
    """`{"shortcut", "title"?, "text"}`, admins only: a new response, or the same shortcut's replaced."""
    built = services()
    principal = require_admin(canned_api.current_request, built.licensing)
    fields = body_fields(canned_api.current_request)
    shortcut = fields.required_text("shortcut", max_length=33)
    title = fields.text("title", max_length=model.MAX_TITLE, required=False) or ""
    text = fields.required_text("text", max_length=model.MAX_TEXT)
    fields.done()
    shortcut = model.check(shortcut, text)
    store = _store()
    existing = {r.shortcut: r for r in store.responses(principal.licensee_id)}
    if shortcut not in existing and len(existing) >= model.MAX_PER_SHOP:
        raise Conflict(f"A shop keeps at most {model.MAX_PER_SHOP} canned responses.", code="TOO_MANY")
    now = built.clock.now()
    response = CannedResponse(existing[shortcut].response_id if shortcut in existing else new_id("can"), shortcut,
                              title, text, now, principal.key.key_id)
    store.save(principal.licensee_id, response, _audit(principal.licensee_id, "canned.saved",
                                                       principal.key.key_id, shortcut, now))
    return json_response(_dict(response), 201)  # stored, new or in the place of the same shortcut's


@canned_api.route("/v1/agent/canned-responses/{shortcut}", methods=["DELETE"])
def delete_response(shortcut: str) -> Response:
    built = services()
    principal = require_admin(canned_api.current_request, built.licensing)
    try:
        _store().delete(principal.licensee_id, shortcut[:33].lower(), _audit(
            principal.licensee_id, "canned.deleted", principal.key.key_id, shortcut[:33], built.clock.now()))
    except Conflict as exc:
        raise NotFound("No such canned response.", code="UNKNOWN_CANNED_RESPONSE") from exc
    return json_response({"shortcut": shortcut[:33].lower(), "deleted": True})


def _audit(licensee_id: str, action: str, key_id: str, shortcut: str, at: Any) -> AuditRecord:
    return AuditRecord(subject=f"chat:{licensee_id}", action=action, actor=f"admin:{key_id}", at=at,
                       details={"shortcut": shortcut})


def _dict(r: CannedResponse) -> dict[str, Any]:
    return {"id": r.response_id, "shortcut": r.shortcut, "title": r.title, "text": r.text,
            "updated_at": r.updated_at.isoformat()}
