"""Every API request is checked against the license and the channel its route belongs to.

Routes call `require_agent` or `require_widget`; both come back with the caller's licensee (the tenant),
which then scopes everything the route reads or writes. The tenant never comes from the request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalice.app import Request

from chalicelib.core.errors import Forbidden, Unauthorized
from chalicelib.core.observability import bind
from chalicelib.licensing import model
from chalicelib.licensing.model import Channel, Code, KeyKind, KeyRecord

if TYPE_CHECKING:  # the service (and PynamoDB under it) loads when services are built, not at import
    from chalicelib.licensing.service import LicensingService, Validation

_MESSAGES = {
    Code.UNKNOWN_KEY: "This key is not known. Check it, or ask the licensor for a new one.",
    Code.TERMINATED: "The license agreement has been terminated; the service is no longer available.",
    Code.SUSPENDED: "The license is suspended; the service is unavailable until it is reinstated.",
    Code.EXPIRED: "The license has expired; the service is unavailable until it is extended.",
    Code.NOT_YET_VALID: "The license is not in force yet.",
    Code.CHANNEL_NOT_LICENSED: "This channel is not part of the license.",
    Code.SEAT_LIMIT: "Every licensed seat is taken; this agent key holds none.",
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the licensee (tenant) and the key it used."""

    licensee_id: str
    key: KeyRecord
    validation: Validation


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _refuse_staff(validation: Validation) -> None:
    if validation.staff:
        raise Forbidden("This is a licensor staff key: it opens the licensor's workspace, not a shop's.",
                        code="STAFF_KEY")


def _principal(validation: Validation, kind: KeyKind) -> Principal:
    _refuse_staff(validation)
    if validation.code is Code.UNKNOWN_KEY or validation.key is None or validation.licensee_id is None:
        raise Unauthorized(_MESSAGES[Code.UNKNOWN_KEY], code=Code.UNKNOWN_KEY.value)
    bind(merchant_id=validation.licensee_id)
    if validation.key.kind is not kind:
        raise Forbidden(f"This route takes an {kind.value} key.", code="WRONG_KEY_KIND")
    if not validation.valid:
        raise Forbidden(_MESSAGES[validation.code], code=validation.code.value)
    return Principal(validation.licensee_id, validation.key, validation)


def identify_agent(request: Request, licensing: LicensingService, channel: Channel | None) -> Validation:
    """Who holds this agent key, valid or not (a suspended merchant's console must still say why)."""
    secret = bearer(request)
    if secret is None:
        raise Unauthorized("Send your agent key as 'Authorization: Bearer <key>'.", code="MISSING_KEY")
    validation = licensing.validate(secret, channel)
    _refuse_staff(validation)
    if validation.key is None or validation.licensee_id is None:
        raise Unauthorized(_MESSAGES[Code.UNKNOWN_KEY], code=Code.UNKNOWN_KEY.value)
    bind(merchant_id=validation.licensee_id)
    if validation.key.kind is not KeyKind.AGENT:
        raise Forbidden("This route takes an agent key.", code="WRONG_KEY_KIND")
    return validation


def require_agent(request: Request, licensing: LicensingService, channel: Channel | None) -> Principal:
    """An agent's secret key, sent as `Authorization: Bearer <key>`, valid for the route's channel."""
    return _principal(identify_agent(request, licensing, channel), KeyKind.AGENT)


def require_admin(request: Request, licensing: LicensingService) -> Principal:
    """An agent key of the merchant's administrator; any other agent key is refused with ADMIN_ONLY."""
    principal = require_agent(request, licensing, None)
    if not principal.key.is_admin:
        raise Forbidden("Only the shop's administrators may do this.", code="ADMIN_ONLY")
    return principal


def require_staff(request: Request, licensing: LicensingService) -> KeyRecord:
    """A licensor staff key (`./kefu keys issue-staff`), sent as `Authorization: Bearer <key>`. Merchants' keys
    are refused with STAFF_ONLY: they never reach the licensor's workspace."""
    secret = bearer(request)
    if secret is None:
        raise Unauthorized("Send your staff key as 'Authorization: Bearer <key>'.", code="MISSING_KEY")
    staff = licensing.staff.identify(secret)
    if staff is not None:
        bind(staff_key=staff.key_id)
        return staff
    if licensing.validate(secret, None).key is not None:
        raise Forbidden("Only the licensor's staff may do this.", code="STAFF_ONLY")
    raise Unauthorized(_MESSAGES[Code.UNKNOWN_KEY], code=Code.UNKNOWN_KEY.value)


def require_widget(request: Request, licensing: LicensingService, channel: Channel = Channel.CHAT) -> Principal:
    """A storefront's public widget key (`X-Widget-Key`), honoured only from the origins it is bound to."""
    secret = request.headers.get("x-widget-key")
    if not secret:
        raise Unauthorized("Send the widget key in the X-Widget-Key header.", code="MISSING_KEY")
    principal = _principal(licensing.validate(secret, channel), KeyKind.WIDGET)
    if not model.origin_allowed(principal.key, request.headers.get("origin")):
        raise Forbidden("This widget key may not be used from this site.", code="ORIGIN_NOT_ALLOWED")
    return principal
