"""The shop administrators' part of the published API (see chalicelib/core/openapi.py)."""

from __future__ import annotations

from chalicelib.core.openapi import (
    ADMIN,
    ANY_OBJECT,
    BOOLEAN,
    INSTANT,
    INTEGER,
    STRING,
    array,
    enum,
    nullable,
    obj,
    operation,
    request,
    text,
)

AGENT_ENTRY = obj(id=STRING, name=STRING, email=STRING, role=enum("admin", "agent"), prefix=STRING, active=BOOLEAN,
                  created_at=INSTANT, revoked_at=nullable(INSTANT))
TEXTS = {"type": "object", "additionalProperties": ANY_OBJECT}
SETTINGS = obj(timezone=STRING, chat_hours=STRING, widget_texts=TEXTS, acknowledge=BOOLEAN,
               acknowledgement_texts=ANY_OBJECT, default_acknowledgement=STRING)

OPERATIONS = [
    operation("GET", "/v1/admin/agents", "The shop's agents and the licensed seats", ADMIN,
              ok=obj(items=array(AGENT_ENTRY), seats=INTEGER, used=INTEGER)),
    operation("POST", "/v1/admin/agents", "A new agent key (shown once)", ADMIN, status=201,
              body=request({"name": text(100), "email": STRING}, {"role": enum("admin", "agent")}),
              ok={**AGENT_ENTRY, "properties": {**AGENT_ENTRY["properties"], "key": STRING},
                  "required": sorted([*AGENT_ENTRY["required"], "key"])}, errors=(409,)),
    operation("DELETE", "/v1/admin/agents/{agent_id}", "Revoke an agent's key", ADMIN, ok=AGENT_ENTRY,
              errors=(409,)),
    operation("GET", "/v1/admin/settings", "The shop's hours, texts and acknowledgements", ADMIN, ok=SETTINGS),
    operation("PUT", "/v1/admin/settings", "Change the shop's hours, texts or acknowledgements", ADMIN,
              body=request({}, {"timezone": text(64), "chat_hours": text(500, 0), "widget_texts": ANY_OBJECT,
                                "acknowledge": BOOLEAN, "acknowledgement_texts": ANY_OBJECT}), ok=SETTINGS),
    operation("GET", "/v1/admin/held-mail", "Mail held back from the shop's agents", ADMIN,
              ok=obj(items=array(ANY_OBJECT), next=nullable(STRING))),
    operation("POST", "/v1/admin/held-mail/{ses_id}/release", "Release a held mail where the rules allow", ADMIN,
              ok=obj(result=STRING), errors=(409,)),
]
