"""Licensing's part of the published API (see chalicelib/core/openapi.py for how an operation is written)."""

from __future__ import annotations

from chalicelib.core.openapi import (
                 AGENT,
                 BOOLEAN,
                 DAY,
                 INSTANT,
                 STAFF,
                 STRING,
                 array,
                 enum,
                 nullable,
                 obj,
                 operation,
                 request,
                 text,
)
from chalicelib.licensing.model import Channel, Code, KeyKind, Status

CHANNEL = enum(*(c.value for c in Channel))
VALIDATION = obj(valid=BOOLEAN, code=enum(*(c.value for c in Code)), status=nullable(enum(*(s.value for s in Status))),
                 ends_on=nullable(DAY), channels=array(CHANNEL))
# Merchants' keys only: a staff key is never a merchant's, so never shown where a merchant's key is.
KEY = obj(key_id=STRING, kind=enum(KeyKind.WIDGET.value, KeyKind.AGENT.value), prefix=STRING, created_at=INSTANT,
          revoked_at=nullable(INSTANT), active=BOOLEAN)

OPERATIONS = [
    operation("POST", "/v1/licenses/validate", "Whether a key may use a channel now",
              body=request({"key": text(200), "channel": CHANNEL}), ok=VALIDATION),
    operation("GET", "/v1/license", "The calling merchant's license", AGENT,
              ok={**VALIDATION, "properties": {**VALIDATION["properties"], "licensee_id": STRING, "key": KEY},
                  "required": sorted([*VALIDATION["required"], "licensee_id", "key"])}),
    operation("GET", "/v1/staff/me", "Who holds this licensor staff key", STAFF,
              ok=obj(key_id=STRING, name=STRING, email=STRING, role=enum("staff"), timezone=STRING), errors=(403,)),
]
