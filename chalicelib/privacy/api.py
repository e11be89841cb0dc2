"""Routes of a merchant's administrators for privacy (`/v1/admin/privacy/*`): one customer's export and erasure,
the shop's retention periods, who of the licensor's staff read the shop's content, and after termination the
export window (clause 11.2), during which an administrator's key still works for the export and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.core import links
from chalicelib.core.budget import Deadline
from chalicelib.core.errors import Forbidden, Unauthorized
from chalicelib.core.http import body_fields, json_response
from chalicelib.licensing.guard import identify_agent, require_admin
from chalicelib.licensing.model import Code
from chalicelib.privacy.model import Person, person

if TYPE_CHECKING:
    from chalicelib.privacy.service import PrivacyService

privacy_api = Blueprint(__name__)
API_BUDGET_SECONDS = 20  # inside API Gateway's 29 s; what is left continues in the scheduled run


def _admin() -> tuple[str, str, PrivacyService]:
    built = services()
    principal = require_admin(privacy_api.current_request, built.licensing)
    return principal.licensee_id, f"admin:{principal.key.key_id}", built.privacy


def _admin_in_window() -> tuple[str, str, PrivacyService]:
    """An administrator of a merchant in force, or of a terminated one while its export window is open."""
    built = services()
    validation = identify_agent(privacy_api.current_request, built.licensing, None)
    assert validation.key is not None and validation.licensee_id is not None
    if not validation.key.is_admin:
        raise Forbidden("Only the shop's administrators may do this.", code="ADMIN_ONLY")
    licensee_id = validation.licensee_id
    if not validation.valid and not (validation.code is Code.TERMINATED
                                     and built.privacy.may_export_after_termination(licensee_id)):
        raise Forbidden("The export window has ended, or the license does not allow this.", code="WINDOW_CLOSED")
    return licensee_id, f"admin:{validation.key.key_id}", built.privacy


def _person() -> Person:
    fields = body_fields(privacy_api.current_request)
    who = person(email=fields.email("email", required=False), phone=fields.text("phone", max_length=30,
                                                                                  required=False),
                 customer_id=fields.text("customer_id", max_length=200, required=False))
    fields.done()
    return who


def _budget() -> Deadline:
    return Deadline.after_seconds(API_BUDGET_SECONDS)


def _answer(shown: dict[str, object]) -> Response:
    """201 with the request: done (its counts, an export's link) or still running (GET it again later)."""
    return json_response(shown, 201)


@privacy_api.route("/v1/admin/privacy/exports", methods=["POST"])
def export_person() -> Response:
    """`{"email"?, "phone"?, "customer_id"?}` → one customer's data as an archive, with a short-lived link once
    done."""
    licensee_id, actor, privacy = _admin()
    who = _person()
    return _answer(privacy.export_person(licensee_id, who, actor, _budget()))


@privacy_api.route("/v1/admin/privacy/erasures", methods=["POST"])
def erase_person() -> Response:
    """`{"email"?, "phone"?, "customer_id"?}` → erase everything kept about one customer (idempotent)."""
    licensee_id, actor, privacy = _admin()
    who = _person()
    return _answer(privacy.erase_person(licensee_id, who, actor, _budget()))


@privacy_api.route("/v1/admin/privacy/requests", methods=["GET"])
def list_requests() -> Response:
    licensee_id, _, privacy = _admin_in_window()
    return json_response({"items": privacy.requests(licensee_id)})


@privacy_api.route("/v1/admin/privacy/requests/{request_id}", methods=["GET"])
def show_request(request_id: str) -> Response:
    """One request, with a fresh short-lived link to its archive when it is a finished export."""
    licensee_id, _, privacy = _admin_in_window()
    return json_response(privacy.request(licensee_id, request_id[:64]))


@privacy_api.route("/v1/admin/privacy/exports/{request_id}/archive", methods=["GET"])
def archive(request_id: str) -> Response:
    """An export's archive through the signed link a request handed out (local mode; S3 links go to S3)."""
    licensee_id, expires, signature = links.from_query(dict(privacy_api.current_request.query_params or {}))
    if not signature:
        raise Unauthorized("Open the link a finished export handed out.", code="LINK_EXPIRED")
    content = services().privacy.archive_bytes(licensee_id, request_id[:64], expires, signature)
    return Response(body=content, status_code=200, headers={
        "Content-Type": "application/zip", "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="kefu-{request_id[:64]}.zip"'})


@privacy_api.route("/v1/admin/privacy/merchant-export", methods=["POST"])
def export_merchant() -> Response:
    """All of the shop's data in the same archive (clause 11.2: also after termination, during the window)."""
    licensee_id, actor, privacy = _admin_in_window()
    return _answer(privacy.export_merchant(licensee_id, actor, _budget()))


@privacy_api.route("/v1/admin/privacy/window", methods=["GET"])
def window() -> Response:
    """The export window after termination: its state, last day, and the erasure certificate once erased."""
    licensee_id, _, privacy = _admin_in_window()
    return json_response(privacy.window_view(licensee_id))


@privacy_api.route("/v1/admin/privacy/retention", methods=["GET"])
def get_retention() -> Response:
    licensee_id, _, privacy = _admin()
    return json_response(privacy.retention(licensee_id))


@privacy_api.route("/v1/admin/privacy/retention", methods=["PUT"])
def put_retention() -> Response:
    """`{"periods": {kind: days}}`: change some periods; the others stay."""
    licensee_id, actor, privacy = _admin()
    fields = body_fields(privacy_api.current_request)
    periods = fields.nested("periods")
    assert periods is not None
    given = {name: periods.integer(name, minimum=1, maximum=3650) for name in periods.names()}
    periods.done()
    fields.done()
    return json_response(privacy.set_retention(licensee_id, given, actor))


@privacy_api.route("/v1/admin/privacy/accesses", methods=["GET"])
def accesses() -> Response:
    """Who of the licensor's staff read the shop's content, newest first (clause 7.1)."""
    licensee_id, _, privacy = _admin()
    return json_response({"items": privacy.accesses(licensee_id)})
