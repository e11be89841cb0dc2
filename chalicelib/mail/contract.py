"""Email's part of the published API (see chalicelib/core/openapi.py for how an operation is written)."""

from __future__ import annotations

from chalicelib.core.openapi import (
    AGENT,
    ANY_OBJECT,
    BOOLEAN,
    INSTANT,
    INTEGER,
    LINK,
    STRING,
    array,
    enum,
    nullable,
    obj,
    operation,
    request,
    text,
)
from chalicelib.mail.model import TicketStatus

STATUS = enum(*(s.value for s in TicketStatus))
TICKET = obj(id=STRING, number=STRING, subject=STRING, contact=STRING, status=STATUS, channel=enum("email"),
             support_address=STRING, created_at=INSTANT, last_activity_at=INSTANT, message_count=INTEGER)
TICKET["properties"]["number"] = {"type": ["string", "integer"]}
ATTACHMENT = obj(filename=STRING, content_type=STRING, size=INTEGER, inline=BOOLEAN,
                 content_id=nullable(STRING), url=nullable(STRING))
MESSAGE = obj(id=STRING, direction=enum("inbound", "outbound"), to=array(STRING), cc=array(STRING),
              subject=STRING, text=STRING, body=STRING, body_truncated=BOOLEAN, created_at=INSTANT,
              kind=nullable(STRING), author=nullable(STRING), attachments=array(ATTACHMENT),
              problems=array(obj(code=STRING, text=STRING)),
              delivery=nullable(obj(status=STRING, detail=nullable(STRING))),
              authentication=nullable(ANY_OBJECT))
MESSAGE["properties"].update({"from": STRING, "from_name": nullable(STRING)})
MESSAGE["required"] = sorted([*MESSAGE["required"], "from", "from_name"])
SETTINGS = obj(support_addresses=array(STRING), acknowledge=BOOLEAN, acknowledgement_text=STRING,
               acknowledgements_per_hour=INTEGER)
HELD = obj(reason=STRING, reason_text=STRING, at=INSTANT, subject=nullable(STRING), raw=STRING,
           ses_id=STRING, recipients=array(STRING), released=nullable(ANY_OBJECT))
HELD["properties"]["from"] = nullable(STRING)
HELD["required"] = sorted([*HELD["required"], "from"])
_TICKET = "/v1/agent/tickets/{ticket_id}"
BYTES = {"type": "string", "format": "binary"}

OPERATIONS = [
    operation("GET", "/v1/agent/tickets", "A page of tickets in a status, newest activity first", AGENT,
              query={"status": STATUS, "limit": {"type": "integer", "minimum": 1, "maximum": 100}, "next": STRING},
              errors=(400,), ok=obj(items=array(TICKET), next=nullable(STRING))),
    operation("GET", _TICKET, "A ticket with its messages", AGENT,
              ok={**TICKET, "properties": {**TICKET["properties"], "messages": array(MESSAGE),
                                           "contact_name": nullable(STRING),
                                           "contact_undeliverable": nullable(ANY_OBJECT)},
                  "required": sorted([*TICKET["required"], "messages", "contact_name", "contact_undeliverable"])}),
    operation("POST", f"{_TICKET}/replies", "An agent answers by email", AGENT, status=201,
              body=request({"text": text(50_000)}, {"attachments": {
                  "type": "array", "maxItems": 10,
                  "items": request({"upload_id": text(40), "name": text(255)})}}), ok=MESSAGE, errors=(409,)),
    operation("POST", f"{_TICKET}/status", "Open, set pending or close a ticket", AGENT,
              body=request({"status": STATUS}), ok=TICKET),
    operation("POST", "/v1/agent/tickets", "An agent's mail opens a ticket", AGENT, status=201,
              body=request({"to": STRING, "subject": text(500), "text": text(50_000)}, {"client_id": text(64)}),
              ok=TICKET, errors=(409,)),
    operation("POST", f"{_TICKET}/assign", "Give a ticket to an agent, or to nobody", AGENT,
              body=request({}, {"agent_id": nullable(STRING)}), ok=TICKET),
    operation("POST", f"{_TICKET}/notes", "A private note on a ticket", AGENT, status=201,
              body=request({"text": text(5000)}), ok=obj(id=STRING, agent_id=STRING, agent_name=STRING, text=STRING,
                                                          created_at=INSTANT)),
    operation("GET", f"{_TICKET}/messages/{{message_id}}/attachments/{{index}}", "An attachment's bytes", AGENT,
              LINK, query={"m": STRING, "exp": STRING}, ok=BYTES, media="application/octet-stream"),
    operation("GET", "/v1/agent/outbox", "Mail the merchant sent (local mode's outbox)", AGENT,
              ok=obj(items=array(obj(id=STRING, to=array(STRING), subject=STRING, created_at=STRING,
                                     kind=nullable(STRING), url=STRING)), next=nullable(STRING))),
    operation("GET", "/v1/agent/outbox/{name}", "One sent mail, as its raw bytes", AGENT, ok=BYTES,
              media="application/octet-stream"),
    operation("GET", "/v1/agent/mail/settings", "The merchant's mail settings", AGENT, ok=SETTINGS),
    operation("PUT", "/v1/agent/mail/settings", "Switch or word the automatic acknowledgement", AGENT,
              body=request({}, {"acknowledge": BOOLEAN, "acknowledgement_text": text(5000, 0)}), ok=SETTINGS),
    operation("GET", "/v1/agent/mail/quarantine", "Mail kept back from agents, with the reason", AGENT,
              ok=obj(items=array(HELD), next=nullable(STRING))),
]
