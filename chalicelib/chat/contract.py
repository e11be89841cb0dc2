"""Chat's part of the published API (see chalicelib/core/openapi.py for how an operation is written)."""

from __future__ import annotations

from chalicelib.chat import model
from chalicelib.chat.model import Author, Presence, Status, Unavailable
from chalicelib.core.openapi import (
    AGENT,
    BOOLEAN,
    INSTANT,
    INTEGER,
    STRING,
    VISITOR,
    WIDGET,
    array,
    enum,
    nullable,
    obj,
    operation,
    request,
    text,
)

STATUS = enum(*(s.value for s in Status))
MESSAGE = obj(id=STRING, author=enum(*(a.value for a in Author)), text=STRING, created_at=INSTANT)
MESSAGE["properties"]["agent_name"] = STRING  # only on an agent's message
VISITOR_CONVERSATION = obj(id=STRING, status=STATUS, agent_name=nullable(STRING), created_at=INSTANT,
                           last_activity=INSTANT)
CONVERSATION = obj(
    id=STRING, status=STATUS, created_at=INSTANT, last_activity=INSTANT, messages=INTEGER,
    visitor=obj(id=STRING, name=nullable(STRING), email=nullable(STRING), customer_id=nullable(STRING),
                verified=BOOLEAN),
    assignee=nullable(obj(id=STRING, name=STRING)),
    handover=nullable(obj(email=STRING, at=nullable(INSTANT))))
NOTE = obj(id=STRING, agent_id=STRING, agent_name=STRING, text=STRING, created_at=INSTANT)
AGENT_ENTRY = obj(id=STRING, name=STRING, status=enum(*(p.value for p in Presence)), online=BOOLEAN, open=INTEGER,
                  capacity=INTEGER, me=BOOLEAN)
MESSAGE_BODY = request({"text": text(model.MAX_TEXT)}, {"client_id": text(model.CLIENT_ID_MAX)})
REASON = nullable(enum(*(u.value for u in Unavailable)))
CURSOR = {"type": "string", "pattern": r"^\d{1,10}$"}
_ID = "/{conversation_id}"

OPERATIONS = [
    operation("GET", "/v1/widget.js", "The storefront widget script", ok={"type": "string"},
              media="application/javascript"),
    operation("GET", "/v1/widget/config", "What the widget shows before the first message", WIDGET,
              ok=obj(available=BOOLEAN, reason=REASON, hours=STRING, email=BOOLEAN, identity=BOOLEAN)),
    operation("POST", "/v1/widget/identify", "A verified customer's token", WIDGET,
              body=request({"customer_id": text(128), "customer_hash": text(128)}),
              ok=obj(visitor_token=STRING, verified=BOOLEAN)),
    operation("POST", "/v1/widget/conversations", "The shopper's first message opens a conversation", WIDGET,
              (WIDGET, VISITOR), status=201, errors=(429,),
              body=request({"text": text(model.MAX_TEXT)}, {
                  "client_id": text(model.CLIENT_ID_MAX),
                  "visitor": request({}, {"name": text(100, 0), "email": text(254, 0)})}),
              ok=obj(id=STRING, visitor_token=STRING, message=MESSAGE, cursor=STRING, available=BOOLEAN,
                     reason=REASON, handed_over=BOOLEAN)),
    operation("GET", "/v1/widget/conversations", "The visitor's own conversations", (WIDGET, VISITOR),
              ok=obj(items=array(VISITOR_CONVERSATION))),
    operation("POST", f"/v1/widget/conversations{_ID}/messages", "The shopper writes", (WIDGET, VISITOR),
              status=201, body=MESSAGE_BODY, ok=MESSAGE, errors=(409, 429)),
    operation("GET", f"/v1/widget/conversations{_ID}/messages", "Messages after a cursor", (WIDGET, VISITOR),
              query={"after": CURSOR}, errors=(400, 429),
              ok=obj(messages=array(MESSAGE), cursor=STRING, conversation=VISITOR_CONVERSATION)),
    operation("GET", "/v1/agent/conversations", "The inbox: conversations in one status", AGENT,
              query={"status": STATUS, "next": STRING}, errors=(400,),
              ok=obj(items=array(CONVERSATION), next=nullable(STRING))),
    operation("GET", f"/v1/agent/conversations{_ID}", "A conversation with its messages and notes", AGENT,
              ok={**CONVERSATION, "properties": {**CONVERSATION["properties"], "messages": array(MESSAGE),
                                                 "notes": array(NOTE)},
                  "required": sorted({*CONVERSATION["required"], "notes"})}),
    operation("POST", f"/v1/agent/conversations{_ID}/messages", "An agent replies", AGENT, status=201,
              body=MESSAGE_BODY, ok=MESSAGE, errors=(409, 429)),
    operation("POST", f"/v1/agent/conversations{_ID}/notes", "An internal note", AGENT, status=201,
              body=request({"text": text(model.MAX_TEXT)}), ok=NOTE, errors=(409,)),
    operation("POST", f"/v1/agent/conversations{_ID}/assign", "Assign to an agent, to me, or to nobody", AGENT,
              body=request({}, {"agent_id": nullable(text(64))}), ok=CONVERSATION, errors=(409,)),
    operation("POST", f"/v1/agent/conversations{_ID}/status", "Open, pending or resolved", AGENT,
              body=request({"status": STATUS}), ok=CONVERSATION, errors=(409,)),
    operation("PUT", "/v1/agent/presence", "An agent's presence and capacity", AGENT,
              body=request({"status": enum(*(p.value for p in Presence))}, {"capacity": {
                  "type": "integer", "minimum": 1, "maximum": 50}}), ok=AGENT_ENTRY),
    operation("GET", "/v1/agent/agents", "The merchant's agents with presence and load", AGENT,
              ok=obj(items=array(AGENT_ENTRY))),
]
# A browser asks before sending X-Widget-Key: `?key=` names the widget key, only its origins are told yes.
for _path in ("/v1/widget/config", "/v1/widget/identify", "/v1/widget/conversations",
              f"/v1/widget/conversations{_ID}/messages"):
    OPERATIONS.append(operation("OPTIONS", _path, "CORS preflight", status=204, query={"key": STRING},
                                errors=(403,)))
