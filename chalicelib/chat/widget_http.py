"""The widget's edge, before and around its routes (chalicelib/chat/api.py): CORS per widget key, the
preflights, the shopper's language for answers and refusals, and who a request stands for (the widget key's
merchant, the visitor its token names)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalice import Blueprint, Response
from chalice.app import Request

import chalicelib.i18n as i18n
from chalicelib.bootstrap import services
from chalicelib.chat.tokens import Visitor
from chalicelib.core.errors import KefuError, Unauthorized
from chalicelib.core.http import json_response
from chalicelib.licensing.guard import Principal, bearer, require_widget
from chalicelib.licensing.model import Channel, KeyKind, origin_allowed
from chalicelib.metrics import CHAT_REFUSALS

widget_http = Blueprint(__name__)

WIDGET_PATHS = ("/v1/widget/config", "/v1/widget/identify", "/v1/widget/conversations",
                "/v1/widget/conversations/{conversation_id}/messages",
                "/v1/widget/conversations/{conversation_id}/handover",
                "/v1/widget/conversations/{conversation_id}/end",
                "/v1/widget/conversations/{conversation_id}/rating",
                "/v1/widget/conversations/{conversation_id}/uploads",
                "/v1/widget/conversations/{conversation_id}/uploads/{upload_id}")
_CORS_MARK = "kefu_cors_origin"
_LOCALE_MARK = "kefu_locale"



# -- CORS, per widget key ---------------------------------------------------------------------------------
def _cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Expose-Headers": "Retry-After, X-Request-Id"}


def _origin_of_key(secret: str | None, origin: str | None) -> bool:
    """Whether a widget key (valid license or not) is bound to an origin: then even a refusal may be read."""
    if not secret or not origin:
        return False
    validation = services().licensing.validate(secret, None)
    return validation.key is not None and validation.key.kind is KeyKind.WIDGET and origin_allowed(validation.key,
                                                                                                  origin)


@widget_http.middleware("http")
def widget_cors(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Widget responses carry CORS headers for the key's own origins only, errors included, so the widget can
    read why it was refused; any other origin gets none and the browser keeps the answer from the page."""
    if not request.path.startswith("/v1/widget/") or request.method == "OPTIONS":
        return get_response(request)
    origin = request.headers.get("origin")
    try:
        response = get_response(request)
    except KefuError as exc:
        marked = (request.context or {}).get(_CORS_MARK)
        if marked or _origin_safely(request.headers.get("x-widget-key"), origin):
            exc.headers.update(_cors_headers(str(origin)))
        _in_shoppers_language(exc, request)
        raise
    marked = (request.context or {}).get(_CORS_MARK)
    if marked:
        response.headers.update(_cors_headers(marked))
    elif response.status_code >= 500 and _origin_safely(request.headers.get("x-widget-key"), origin):
        # failed before the key was checked (the guard's own reads): still readable by the key's own origin
        response.headers.update(_cors_headers(str(origin)))
    return response


def _origin_safely(secret: str | None, origin: str | None) -> bool:
    """`_origin_of_key` for an answer that is already a 500: a second failure leaves it without CORS."""
    try:
        return _origin_of_key(secret, origin)
    except Exception:  # the 500 stands either way
        return False


# -- the shopper's language ---------------------------------------------------------------------------------
def _browser_languages(request: Request) -> list[list[str]]:
    """What the browser prefers: the widget's `?locale=` (navigator.languages), then Accept-Language."""
    query: Mapping[str, str] = request.query_params or {}
    asked = [tag for tag in (query.get("locale") or "").split(",")[:10] if tag.strip()]
    return [asked, i18n.accept_language(request.headers.get("accept-language"))]


def _request_locale(request: Request) -> str:
    """The language of this widget request: the one `_widget()` settled, or, for a refusal before that, the
    merchant's choice (when the key names a merchant) else the browser's."""
    settled = (request.context or {}).get(_LOCALE_MARK)
    if settled:
        return str(settled)
    merchant = None
    secret = request.headers.get("x-widget-key")
    if secret:
        validation = services().licensing.validate(secret, None)
        if validation.licensee_id is not None:
            merchant = services().chat.chat_settings(validation.licensee_id).locale
    return i18n.negotiate(merchant, *_browser_languages(request))


def locale() -> str:
    return str(widget_http.current_request.context[_LOCALE_MARK])


def _in_shoppers_language(exc: KefuError, request: Request) -> None:
    """A refusal the widget shows is worded in the shopper's language when the catalogue has its code."""
    try:
        locale = _request_locale(request)
    except Exception:  # the refusal stands in its own words
        return
    template = i18n.catalogue("widget", locale).get(f"error.{exc.code}")
    if template is None or not i18n.placeholders(template) <= set(exc.details):
        return
    exc.message = template.format(**exc.details)
    exc.headers["Content-Language"] = locale


def _preflight() -> Response:
    """A browser asks before sending X-Widget-Key or Authorization. The key comes as `?key=` (a preflight
    carries no custom header values); only that key's origins are told yes."""
    request = widget_http.current_request
    origin = request.headers.get("origin")
    query: Mapping[str, str] = request.query_params or {}
    key = query.get("key")
    if not _origin_of_key(key, origin):
        services().metrics.count(CHAT_REFUSALS, code="ORIGIN_NOT_ALLOWED")
        return json_response({"error": {"code": "ORIGIN_NOT_ALLOWED",
                                        "message": "This widget key may not be used from this site."}}, 403)
    return Response(body="", status_code=204, headers={
        **_cors_headers(str(origin)), "Access-Control-Allow-Methods": "GET, POST, PUT, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, X-Widget-Key, Authorization",
        "Access-Control-Max-Age": "600"})


for _path in WIDGET_PATHS:
    widget_http.route(_path, methods=["OPTIONS"], name=f"preflight_{_path.strip('/').replace('/', '_')}")(
        lambda **_: _preflight())


def widget() -> Principal:
    request = widget_http.current_request
    principal = require_widget(request, services().licensing, Channel.CHAT)
    request.context[_CORS_MARK] = request.headers.get("origin")
    request.context[_LOCALE_MARK] = services().chat.widget_locale(principal.licensee_id,
                                                                  *_browser_languages(request))
    return principal


def visitor(principal: Principal, required: bool = True) -> Visitor | None:
    token = bearer(widget_http.current_request)
    if token is None:
        if required:
            raise Unauthorized("Send the visitor token as 'Authorization: Bearer <token>'.", code="MISSING_TOKEN")
        return None
    return services().chat.visitor(principal.licensee_id, token)


def shopper() -> tuple[Principal, Visitor]:
    """The widget key's merchant and the visitor its token names (both required)."""
    principal = widget()
    found = visitor(principal)
    assert found is not None
    return principal, found
