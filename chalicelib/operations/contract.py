"""Operations' part of the published API (see chalicelib/core/openapi.py for how an operation is written)."""

from __future__ import annotations

from chalicelib.core.openapi import ANY_OBJECT, STRING, enum, obj, operation

HEALTH = obj(status=enum("ok", "degraded"), api=obj(status=STRING), database=obj(status=STRING), stage=STRING)

OPERATIONS = [
    operation("GET", "/v1/health", "Health of the API and its database", ok=HEALTH, errors=(503,)),
    operation("GET", "/v1/openapi.json", "This document",
              ok={**ANY_OBJECT, "required": ["components", "info", "openapi", "paths"]}),
]
