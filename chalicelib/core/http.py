"""The HTTP edge shared by every area: one place maps errors to responses and binds log context."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Request, Response

from chalicelib.core.errors import InvalidInput, KefuError, NotFound
from chalicelib.core.observability import bind, logger, traced_request, unbind
from chalicelib.core.text import encodable
from chalicelib.core.validation import Fields, check_text, parse_json_object

JSON = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}
# Chalice answers some failures itself (405, 415, 400 on its own parsing); give them our shape and codes.
_CHALICE_CODES = {"MethodNotAllowedError": "METHOD_NOT_ALLOWED", "UnsupportedMediaType": "UNSUPPORTED_MEDIA_TYPE",
                  "BadRequestError": "BAD_REQUEST", "NotFoundError": "NOT_FOUND",
                  "ForbiddenError": "FORBIDDEN", "BadRequest": "BAD_REQUEST"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # `encodable`: one bad stored string (from before the edge refused them) must not empty the whole answer
    return Response(body=encodable(json.dumps(body, ensure_ascii=False, default=str)), status_code=status,
                    headers={**JSON, **(headers or {})})


def error_middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every request: bind the request id for logs; turn errors into `{"error": {"code", "message"}}`."""
    context = getattr(request, "context", None) or {}
    request_id = context.get("requestId") or str(uuid.uuid4())
    bind(request_id=request_id, merchant_id="-")
    try:
        check_parameters(request)
        with traced_request(str(context.get("resourcePath") or "-")):
            response = get_response(request)
        if isinstance(response.body, dict) and set(response.body) == {"Code", "Message"}:
            code = _CHALICE_CODES.get(str(response.body["Code"]), "BAD_REQUEST")
            message = str(response.body["Message"])
            if response.status_code >= 500:  # Chalice caught and logged an unexpected error in a view
                code, message = "INTERNAL_ERROR", _internal(request_id)
                _count_error(context, code)
            response = json_response({"error": {"code": code, "message": message}},
                                     response.status_code, {k: str(v) for k, v in response.headers.items()})
    except KefuError as exc:
        logger.info("request refused", extra={"code": exc.code, "status": exc.status})
        response = json_response(exc.body(), exc.status, exc.headers)
        if exc.status >= 500:
            _count_error(context, exc.code)
    except Exception:
        logger.exception("unhandled error")
        response = json_response({"error": {"code": "INTERNAL_ERROR", "message": _internal(request_id)}}, 500)
        _count_error(context, "INTERNAL_ERROR")
    finally:
        unbind()
    response.headers["X-Request-Id"] = request_id
    if str(response.headers.get("Content-Type", "")).startswith("text/html"):
        page_headers(response.headers)
    return response


# Every HTML page: no framing by other sites, no type sniffing, no referrer leaking a signed path. A page that
# sets its own Content-Security-Policy keeps it (gaining frame-ancestors if it lacks one).
PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")


def page_headers(headers: Any) -> None:
    """Add the security headers every HTML page carries to a response's headers, in place."""
    for name, value in PAGE_HEADERS.items():
        headers.setdefault(name, value)
    policy = str(headers.get("Content-Security-Policy") or PAGE_CSP)
    if "frame-ancestors" not in policy:
        policy = f"{policy.rstrip('; ')}; frame-ancestors 'none'"
    headers["Content-Security-Policy"] = policy


MAX_ID_LENGTH = 256  # no id of ours is longer; DynamoDB refuses keys over 2 KB with an error, not a miss
MAX_QUERY_LENGTH = 2048


def check_parameters(request: Request) -> None:
    """Path ids and query values, checked once for every route: clean text, bounded length."""
    for name, value in (request.uri_params or {}).items():
        if len(value) > MAX_ID_LENGTH:
            raise NotFound(f"No such {name.replace('_', ' ')}.", code="NOT_FOUND")
        check_text(value, name)
    for name, value in (request.query_params or {}).items():
        if len(value) > MAX_QUERY_LENGTH:
            raise InvalidInput(f"The query parameter '{name}' is longer than {MAX_QUERY_LENGTH} characters.",
                               code="FIELD_TOO_LONG", details={"field": name})
        check_text(value, name)


def _count_error(context: dict[str, Any], code: str) -> None:
    """An error answered as a response is no Lambda error: count it here, by route (the template, never the
    path with its ids) and code, so that the ApiErrors alarm sees it."""
    from chalicelib.bootstrap import services
    from chalicelib.metrics import API_ERRORS

    try:
        services().metrics.count(API_ERRORS, route=str(context.get("resourcePath") or "-"), code=code)
    except Exception:  # the services themselves may be what failed; the log line above still tells
        logger.exception("could not count the error")


def script_response(source: str) -> Response:
    """A script of the console (its own, or a tab another area adds), served beside the page."""
    return Response(body=source, status_code=200, headers={
        "Content-Type": "application/javascript; charset=utf-8", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache"})


def body_fields(request: Request) -> Fields:
    """The request's JSON object, ready to be read field by field."""
    return Fields(parse_json_object(request.raw_body))


def page_limit(query: dict[str, str], default: int = 25, maximum: int = 100) -> int:
    """`?limit=` of a listing: a whole number from 1 to `maximum`, else a 400."""
    try:
        limit = int(query.get("limit", str(default)))
    except ValueError:
        limit = 0
    if not 1 <= limit <= maximum:
        raise InvalidInput(f"limit must be a whole number from 1 to {maximum}.", code="OUT_OF_RANGE")
    return limit


def _internal(request_id: str) -> str:
    return f"Something went wrong on our side. It has been logged as request {request_id}."
