"""Support routes: a merchant's agents open and follow technical-support requests with their agent key (only
their own merchant's requests); licensor staff, with a staff key, see every licensee's requests and answer them
(`/v1/staff/support/…`, the licensor's workspace); and the console's Support tab is served from here."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.core.http import body_fields, json_response
from chalicelib.licensing.guard import Principal, require_agent, require_staff
from chalicelib.licensing.model import KeyRecord
from chalicelib.support.model import SUBJECT_MAX, TEXT_MAX, Category

support_api = Blueprint(__name__)
STATIC = Path(__file__).parent / "static"
# The same headers as the console's own script (chalicelib/chat/api.py).
_SCRIPT_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                   "Cache-Control": "no-cache", "Content-Type": "application/javascript; charset=utf-8"}


def _agent() -> Principal:
    return require_agent(support_api.current_request, services().licensing, None)


def _author(principal: Principal) -> str:
    return principal.key.agent_name or f"key:{principal.key.key_id}"


@support_api.route("/v1/support/requests", methods=["POST"])
def open_request() -> Response:
    """Open a technical-support request to the licensor (clause 1.1.4): subject, text, category."""
    principal = _agent()
    fields = body_fields(support_api.current_request)
    subject = fields.required_text("subject", max_length=SUBJECT_MAX)
    text = fields.required_text("text", max_length=TEXT_MAX)
    category = fields.choice("category", [c.value for c in Category], required=False)
    fields.done()
    opened = services().support.open(principal.licensee_id, subject, text, category, _author(principal), "api")
    return json_response(opened, 201)


@support_api.route("/v1/support/requests", methods=["GET"])
def list_requests() -> Response:
    """The calling merchant's requests, newest first, with their due times."""
    principal = _agent()
    return json_response({"requests": services().support.of_licensee(principal.licensee_id)})


@support_api.route("/v1/support/requests/{request_id}", methods=["GET"])
def show_request(request_id: str) -> Response:
    principal = _agent()
    return json_response(services().support.show_for(principal.licensee_id, request_id))


@support_api.route("/v1/support/requests/{request_id}/messages", methods=["POST"])
def add_message(request_id: str) -> Response:
    """The merchant answers the licensor; a request waiting on the merchant goes back to the licensor."""
    principal = _agent()
    fields = body_fields(support_api.current_request)
    text = fields.required_text("text", max_length=TEXT_MAX)
    fields.done()
    return json_response(services().support.merchant_reply(principal.licensee_id, request_id, _author(principal),
                                                           text))


def _staff() -> KeyRecord:
    return require_staff(support_api.current_request, services().licensing)


@support_api.route("/v1/staff/support/requests", methods=["GET"])
def staff_requests() -> Response:
    """Licensor staff: every licensee's requests not closed yet, oldest first; `?licensee=` all of one
    licensee's, newest first."""
    _staff()
    query: Mapping[str, str] = support_api.current_request.query_params or {}
    licensee_id = query.get("licensee") or None
    return json_response({"requests": services().support.queue(licensee_id)})


@support_api.route("/v1/staff/support/requests/{request_id}", methods=["GET"])
def staff_request(request_id: str) -> Response:
    _staff()
    return json_response(services().support.show(request_id))


@support_api.route("/v1/staff/support/requests/{request_id}/messages", methods=["POST"])
def staff_answer(request_id: str) -> Response:
    """The licensor answers; `wait_for_merchant` hands the turn to the merchant (the resolution clock stops)."""
    staff = _staff()
    fields = body_fields(support_api.current_request)
    text = fields.required_text("text", max_length=TEXT_MAX)
    wait = bool(fields.boolean("wait_for_merchant", required=False))
    fields.done()
    return json_response(services().support.staff_reply(request_id, staff.agent_name, text, wait))


@support_api.route("/v1/staff/support/requests/{request_id}/close", methods=["POST"])
def staff_close(request_id: str) -> Response:
    """Resolved: the resolution clock stops; an optional closing note is the last message."""
    staff = _staff()
    fields = body_fields(support_api.current_request)
    text = fields.text("text", max_length=TEXT_MAX, required=False)
    fields.done()
    return json_response(services().support.close(request_id, staff.agent_name, text))


@support_api.route("/v1/training/sessions", methods=["GET"])
def training_sessions() -> Response:
    """The calling merchant's training sessions (clause 3.3), in order of their start."""
    principal = _agent()
    return json_response({"sessions": services().training.sessions(principal.licensee_id)})


@cache
def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@support_api.route("/console/support.js", methods=["GET"])
def console_support_script() -> Response:
    """The console's Support tab, registered through the console's tab hook."""
    return Response(body=_static("support.js"), status_code=200, headers={**_SCRIPT_HEADERS})
