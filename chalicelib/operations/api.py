"""Operations routes: health of the API and of what it depends on."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.core.http import json_response

operations_api = Blueprint(__name__)


@operations_api.route("/v1/health", methods=["GET"])
def health() -> Response:
    """200 when the API and its database answer, 503 when the database does not; from a cache of a few
    seconds, with no control-plane call (the scheduled `health` job checks everything in depth)."""
    built = services()
    database = built.operations.api_health()
    ok = database["status"] == "ok"
    return json_response({"status": "ok" if ok else "degraded", "api": {"status": "ok"}, "database": database,
                          "stage": built.settings.stage}, 200 if ok else 503)


@operations_api.route("/v1/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    """The published API as an OpenAPI 3.1 document: every v1 route, its inputs, answers and errors."""
    from chalicelib.contract import openapi

    return json_response(openapi(), headers={"Cache-Control": "public, max-age=300"})
