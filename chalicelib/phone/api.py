"""Phone routes: call centres post their signed events; agents read calls, write notes and a disposition, and
work the callback tasks of calls nobody answered. Agent routes are scoped by the agent key's merchant."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import services
from chalicelib.core import links
from chalicelib.core.errors import InvalidInput, Unauthorized
from chalicelib.core.http import body_fields, json_response, page_limit
from chalicelib.licensing.guard import Principal, bearer, require_agent
from chalicelib.licensing.model import Channel
from chalicelib.phone.model import MAX_DISPOSITION, MAX_NOTES, Direction, Outcome, TaskStatus, e164

phone_api = Blueprint(__name__)
STATIC = Path(__file__).resolve().parent / "static"
# The console's own page headers (chalicelib/chat/api.py serves console.js with the same).
_SCRIPT_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                   "Cache-Control": "no-cache", "Content-Type": "application/javascript; charset=utf-8"}


def _agent(request: Request) -> Principal:
    return require_agent(request, services().licensing, Channel.PHONE)


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params or {})


def _instant(query: dict[str, str], name: str, end_of_day: bool = False) -> datetime | None:
    """An ISO instant, or a date (midnight at its start, or its last moment, in the licensor's time zone)."""
    value = query.get(name)
    if not value:
        return None
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            return datetime.combine(day, time.max if end_of_day else time.min, services().settings.timezone)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(f"{name} is a date (2026-06-15) or an instant with its offset.", code="INVALID_INSTANT",
                           details={"field": name})
    return parsed


def _choice(query: dict[str, str], name: str, choices: list[str]) -> str | None:
    value = query.get(name)
    if value is not None and value not in choices:
        raise InvalidInput(f"{name} is one of: {', '.join(choices)}.", code="INVALID_CHOICE", details={"field": name})
    return value


# -- call centres ---------------------------------------------------------------------------------------------
@phone_api.route("/v1/phone/events", methods=["POST"], content_types=["application/json"])
def webhook_event() -> Response:
    """One event of a call centre, signed with the merchant's webhook secret (docs/phone.md)."""
    request = phone_api.current_request
    headers = request.headers
    merchant, timestamp = headers.get("x-kefu-merchant", ""), headers.get("x-kefu-timestamp", "")
    signature = headers.get("x-kefu-signature", "")
    if not merchant or not signature:
        raise Unauthorized("Send X-Kefu-Merchant, X-Kefu-Timestamp and X-Kefu-Signature (docs/phone.md).",
                           code="WEBHOOK_SIGNATURE_MISSING")
    body = request.raw_body or b""
    result = services().phone.webhook(merchant, timestamp, signature,
                                      body.encode("utf-8") if isinstance(body, str) else body)
    return json_response(result, 202)


# -- agents: calls ------------------------------------------------------------------------------------------
@phone_api.route("/v1/agent/calls", methods=["GET"])
def list_calls() -> Response:
    """The merchant's calls, newest first: filters outcome, direction, agent, since, until; `next` pages on."""
    request = phone_api.current_request
    principal = _agent(request)
    query = _query(request)
    limit = page_limit(query)
    agent = query.get("agent")
    if agent is not None and not 0 < len(agent) <= 100:
        raise InvalidInput("agent is an agent id.", code="INVALID_INPUT", details={"field": "agent"})
    customer = e164(query["customer"], "customer") if query.get("customer") else None
    return json_response(services().phone.list_calls(
        principal.licensee_id, limit, query.get("next"),
        outcome=_choice(query, "outcome", [o.value for o in Outcome]),
        direction=_choice(query, "direction", [d.value for d in Direction]), agent=agent, customer=customer,
        since=_instant(query, "since"), until=_instant(query, "until", end_of_day=True)))


@phone_api.route("/v1/agent/reports/calls", methods=["GET"])
def call_report() -> Response:
    """Calls of a period (`since`, `until`: dates or instants; default the last 7 days): by outcome, answered
    per agent, the answer rate of inbound calls and the average wait."""
    request = phone_api.current_request
    principal = _agent(request)
    query = _query(request)
    now = services().clock.now()
    until = _instant(query, "until", end_of_day=True) or now
    since = _instant(query, "since") or until - timedelta(days=7)
    return json_response(services().phone.summary(principal.licensee_id, since, until))


@phone_api.route("/v1/agent/calls/{call_id}", methods=["GET"])
def show_call(call_id: str) -> Response:
    principal = _agent(phone_api.current_request)
    return json_response(services().phone.show_call(principal.licensee_id, call_id))


@phone_api.route("/v1/agent/calls/{call_id}/notes", methods=["PUT"])
def put_notes(call_id: str) -> Response:
    """Replace the call's notes and disposition."""
    request = phone_api.current_request
    principal = _agent(request)
    fields = body_fields(request)
    notes = fields.text("notes", max_length=MAX_NOTES, min_length=0, required=False) or ""
    disposition = fields.text("disposition", max_length=MAX_DISPOSITION, min_length=0, required=False) or ""
    fields.done()
    return json_response(services().phone.save_notes(principal.licensee_id, call_id, notes.strip(),
                                                     disposition.strip(), f"agent:{principal.key.key_id}"))


@phone_api.route("/v1/agent/calls/{call_id}/recording", methods=["GET"])
def recording(call_id: str) -> Response:
    """A recording kept in kefu's store, for an agent of the merchant (bearer key) or through the short-lived
    signed link a call view handed out."""
    request = phone_api.current_request
    phone = services().phone
    if bearer(request) is not None:
        licensee_id = _agent(request).licensee_id
    else:
        licensee_id, expires, signature = links.from_query(_query(request))
        if not phone.check_recording_link(licensee_id, call_id, expires, signature):
            raise Unauthorized("Send your agent key, or open the link from a fresh call view.",
                               code="LINK_EXPIRED_OR_INVALID")
    data = phone.recording(licensee_id, call_id)
    return Response(body=data, status_code=200, headers={
        "Content-Type": "audio/wav", "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


# -- agents: callback tasks ---------------------------------------------------------------------------------
@phone_api.route("/v1/agent/callbacks", methods=["GET"])
def list_callbacks() -> Response:
    request = phone_api.current_request
    principal = _agent(request)
    status = _choice(_query(request), "status", [s.value for s in TaskStatus])
    return json_response({"items": services().phone.tasks(principal.licensee_id, TaskStatus(status) if status
                                                          else None), "next": None})


@phone_api.route("/v1/agent/callbacks/{call_id}", methods=["PUT"])
def update_callback(call_id: str) -> Response:
    """Assign a callback task (`assignee`: an agent id, or "" to unassign) or set its `status`."""
    request = phone_api.current_request
    principal = _agent(request)
    fields = body_fields(request)
    assignee = fields.text("assignee", max_length=100, min_length=0, required=False)
    unassign = assignee == ""
    status = fields.choice("status", [TaskStatus.OPEN.value, TaskStatus.DONE.value], required=False)
    fields.done()
    return json_response(services().phone.update_task(
        principal.licensee_id, call_id, f"agent:{principal.key.key_id}",
        status=TaskStatus(status) if status else None, assignee=assignee or None, unassign=unassign))


# -- the console's Calls tab --------------------------------------------------------------------------------
@phone_api.route("/console/phone.js", methods=["GET"])
def console_script() -> Response:
    """The Calls tab, added to the console through window.kefuConsole.register."""
    return Response(body=(STATIC / "phone.js").read_text(encoding="utf-8"), status_code=200,
                    headers={**_SCRIPT_HEADERS})
