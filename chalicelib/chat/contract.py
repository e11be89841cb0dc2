"""Chat's part of the published API (see chalicelib/core/openapi.py for how an operation is written)."""

from __future__ import annotations

from chalicelib.chat import model
from chalicelib.chat.model import Author, Presence, Status, Unavailable
from chalicelib.core.openapi import (
    AGENT,
    BOOLEAN,
    INSTANT,
    INTEGER,
    LINK,
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
FILE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")  # what model.sniff allows
# only on a message that carries a file: its link works for an hour (S3's, or the API's own signed one)
MESSAGE["properties"]["file"] = obj(name=STRING, type=enum(*FILE_TYPES), size=INTEGER, image=BOOLEAN, url=STRING)
VISITOR_CONVERSATION = obj(id=STRING, status=STATUS, agent_name=nullable(STRING), created_at=INSTANT,
                           last_activity=INSTANT, handed_over=BOOLEAN, rated=BOOLEAN)
CONVERSATION = obj(
    id=STRING, status=STATUS, created_at=INSTANT, last_activity=INSTANT, messages=INTEGER,
    visitor=obj(id=STRING, name=nullable(STRING), email=nullable(STRING), customer_id=nullable(STRING),
                verified=BOOLEAN),
    assignee=nullable(obj(id=STRING, name=STRING)),
    handover=nullable(obj(email=STRING, at=nullable(INSTANT), ticket_id=nullable(STRING))),
    rating=nullable(INTEGER))
NOTE = obj(id=STRING, agent_id=STRING, agent_name=STRING, text=STRING, created_at=INSTANT)
AGENT_ENTRY = obj(id=STRING, name=STRING, status=enum(*(p.value for p in Presence)), online=BOOLEAN, open=INTEGER,
                  capacity=INTEGER, me=BOOLEAN)
MESSAGE_BODY = request({"text": text(model.MAX_TEXT)}, {"client_id": text(model.CLIENT_ID_MAX)})
# a shopper's file, once its bytes are stored where the upload's link said
FILE_BODY = request({"upload_id": text(40), "name": text(255)}, {"client_id": text(model.CLIENT_ID_MAX)})
TEXTS = {"type": "object", "additionalProperties": STRING}
REASON = nullable(enum(*(u.value for u in Unavailable)))
# `0` (from the start), or as a poll gave it out: `c<millisecond>` and the tags it holds (chat/stamps.py)
CURSOR = {"type": "string", "pattern": r"^(\d{1,10}|c\d{1,13}(\.[0-9a-z]{1,10}){0,100})$"}
_ID = "/{conversation_id}"
BYTES = {"type": "string", "format": "binary"}

OPERATIONS = [
    operation("GET", "/v1/widget.js", "The storefront widget script", ok={"type": "string"},
              media="application/javascript"),
    operation("GET", "/v1/widget/config", "What the widget shows before the first message", WIDGET,
              ok=obj(available=BOOLEAN, reason=REASON, hours=STRING, email=BOOLEAN, identity=BOOLEAN, locale=STRING,
                     texts=TEXTS, realtime=obj(url=nullable(STRING)))),
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
              status=201, body={"oneOf": [MESSAGE_BODY, FILE_BODY]}, ok=MESSAGE, errors=(409, 429)),
    operation("GET", f"/v1/widget/conversations{_ID}/messages", "Messages after a cursor", (WIDGET, VISITOR),
              query={"after": CURSOR}, errors=(400, 429),
              ok=obj(messages=array(MESSAGE), cursor=STRING, conversation=VISITOR_CONVERSATION)),
    operation("POST", f"/v1/widget/conversations{_ID}/uploads", "Room for one file, and where to send its bytes",
              (WIDGET, VISITOR), status=201, errors=(409,),
              body=request({"size": {"type": "integer", "minimum": 1, "maximum": model.UPLOAD_MAX_BYTES}}),
              ok=obj(upload_id=STRING, max_bytes=INTEGER,
                     upload=obj(method=enum("POST", "PUT"), url=STRING, fields=TEXTS))),
    operation("PUT", f"/v1/widget/conversations{_ID}/uploads/{{upload_id}}",
              "The bytes of an upload (local mode; on AWS they go to S3)", (WIDGET, VISITOR), status=204,
              body=BYTES, body_media="application/octet-stream", query={"sig": STRING}, required_query=("sig",),
              errors=(415,)),
    operation("GET", "/v1/widget/files/{conversation_id}/{upload_id}",
              "A message's file through the link it carries (local mode; on AWS the link is S3's)", LINK,
              query={"m": STRING, "exp": STRING}, required_query=("m", "exp"), ok=BYTES, media=FILE_TYPES),
    operation("POST", f"/v1/widget/conversations{_ID}/handover", "Answer me by email: the chat becomes a ticket",
              (WIDGET, VISITOR), body=request({"email": {"type": "string", "format": "email", "maxLength": 254}}),
              ok={**VISITOR_CONVERSATION, "properties": {**VISITOR_CONVERSATION["properties"], "notice": STRING},
                  "required": sorted([*VISITOR_CONVERSATION["required"], "notice"])}),
    operation("POST", f"/v1/widget/conversations{_ID}/end", "The shopper ends the chat (it is resolved)",
              (WIDGET, VISITOR), ok=VISITOR_CONVERSATION),
    operation("POST", f"/v1/widget/conversations{_ID}/rating", "The shopper rates an ended chat, once",
              (WIDGET, VISITOR), status=201, errors=(409,),
              body=request({"rating": {"type": "integer", "minimum": 1, "maximum": 5}},
                           {"comment": text(1000, 0)}),
              ok=obj(rating=INTEGER, comment=nullable(STRING))),
    operation("GET", "/v1/agent/conversations", "The inbox: conversations in one status", AGENT,
              query={"status": STATUS, "next": STRING}, errors=(400,),
              ok=obj(items=array(CONVERSATION), next=nullable(STRING))),
    operation("GET", f"/v1/agent/conversations{_ID}", "A conversation with its messages and notes", AGENT,
              ok={**CONVERSATION, "properties": {**CONVERSATION["properties"], "messages": array(MESSAGE),
                                                 "notes": array(NOTE)},
                  "required": sorted({*CONVERSATION["required"], "notes"})}),
    operation("POST", f"/v1/agent/conversations{_ID}/messages", "An agent replies, with text or a file", AGENT,
              status=201, body={"oneOf": [MESSAGE_BODY, FILE_BODY]}, ok=MESSAGE, errors=(409, 429)),
    operation("POST", f"/v1/agent/conversations{_ID}/uploads", "Room for an agent's file, and where to send it",
              AGENT, status=201, errors=(409,),
              body=request({"size": {"type": "integer", "minimum": 1, "maximum": model.UPLOAD_MAX_BYTES}}),
              ok=obj(upload_id=STRING, max_bytes=INTEGER,
                     upload=obj(method=enum("POST", "PUT"), url=STRING, fields=TEXTS))),
    operation("PUT", f"/v1/agent/conversations{_ID}/uploads/{{upload_id}}",
              "The bytes of an agent's upload (local mode; on AWS they go to S3)", AGENT, status=204,
              body=BYTES, body_media="application/octet-stream", query={"sig": STRING}, required_query=("sig",),
              errors=(415,)),
    operation("POST", f"/v1/agent/conversations{_ID}/notes", "An internal note", AGENT, status=201,
              body=request({"text": text(model.MAX_TEXT)}), ok=NOTE, errors=(409,)),
    operation("POST", f"/v1/agent/conversations{_ID}/assign", "Assign to an agent, to me, or to nobody", AGENT,
              body=request({}, {"agent_id": nullable(text(64))}), ok=CONVERSATION, errors=(409,)),
    operation("POST", f"/v1/agent/conversations{_ID}/status", "Open, pending or resolved", AGENT,
              body=request({"status": STATUS}), ok=CONVERSATION, errors=(409,)),
    operation("PUT", "/v1/agent/presence", "An agent's presence and capacity", AGENT,
              body=request({"status": enum(*(p.value for p in Presence))}, {"capacity": {
                  "type": "integer", "minimum": 1, "maximum": 50}}),
              ok={**AGENT_ENTRY, "properties": {**AGENT_ENTRY["properties"], "timezone": STRING,
                                                "realtime": obj(url=nullable(STRING))},
                  "required": [*AGENT_ENTRY.get("required", []), "timezone", "realtime"]}),
    operation("GET", "/v1/agent/agents", "The merchant's agents with presence and load", AGENT,
              ok=obj(items=array(AGENT_ENTRY))),
]
# A browser asks before sending X-Widget-Key: `?key=` names the widget key, only its origins are told yes.
for _path in ("/v1/widget/config", "/v1/widget/identify", "/v1/widget/conversations",
              f"/v1/widget/conversations{_ID}/messages", f"/v1/widget/conversations{_ID}/handover",
              f"/v1/widget/conversations{_ID}/end", f"/v1/widget/conversations{_ID}/rating",
              f"/v1/widget/conversations{_ID}/uploads", f"/v1/widget/conversations{_ID}/uploads/{{upload_id}}"):
    OPERATIONS.append(operation("OPTIONS", _path, "CORS preflight", status=204, query={"key": STRING},
                                errors=(403,)))
