"""Operations routes: health of the API and of what it depends on."""

from __future__ import annotations

import time

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.core.http import json_response
from chalicelib.core.observability import logger
from chalicelib.metrics import HEALTH_CHECKS

operations_api = Blueprint(__name__)


@operations_api.route("/v1/health", methods=["GET"])
def health() -> Response:
    """200 when the API and its database answer, 503 when the database does not."""
    from chalicelib.adapters import dynamodb

    built = services()
    started = time.perf_counter()
    try:
        for table in built.tables:
            dynamodb.ping(table)
        database = {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:  # the health check reports the failure instead of failing itself
        logger.warning("database health check failed", extra={"error": type(exc).__name__})
        database = {"status": "unavailable", "error": type(exc).__name__}
    ok = database["status"] == "ok"
    built.metrics.count(HEALTH_CHECKS, component="database", result="ok" if ok else "failed")
    return json_response({"status": "ok" if ok else "degraded", "api": {"status": "ok"}, "database": database,
                          "stage": built.settings.stage}, 200 if ok else 503)


@operations_api.route("/v1/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    """The published API as an OpenAPI 3.1 document: every v1 route, its inputs, answers and errors."""
    from chalicelib.contract import openapi

    return json_response(openapi(), headers={"Cache-Control": "public, max-age=300"})
