"""The inbox's, search's, tags' and contacts' part of the published API (see chalicelib/core/openapi.py)."""

from __future__ import annotations

from chalicelib.chat.model import UPLOAD_MAX_BYTES
from chalicelib.core.openapi import (
    AGENT,
    ANY_OBJECT,
    INTEGER,
    STRING,
    array,
    enum,
    nullable,
    obj,
    operation,
    request,
)
from chalicelib.inbox.tags import MAX_LENGTH, MAX_PER_ITEM
from chalicelib.phone.contract import CALL

ENTRY = obj(kind=enum("chat", "ticket", "contact"), id=STRING, status=STRING, title=STRING, preview=STRING,
            contact=STRING, number=nullable({"type": "integer"}), assignee=nullable(ANY_OBJECT),
            last_activity=nullable(STRING), tags=array(STRING))
TAGS = obj(kind=enum("chat", "ticket"), id=STRING, tags=array(STRING))
TAGS_BODY = request({"tags": {**array({"type": "string", "minLength": 1, "maxLength": MAX_LENGTH * 2}),
                              "maxItems": MAX_PER_ITEM * 2}})
CONTACT = obj(id=STRING, name=nullable(STRING), emails=array(STRING), phones=array(STRING))

OPERATIONS = [
    operation("GET", "/v1/agent/inbox", "The shop's chats and tickets in one list, by view", AGENT,
              query={"view": enum("open", "pending", "closed", "mine", "unassigned"), "since": STRING,
                     "tag": STRING},
              ok=obj(items=array(ENTRY), view=STRING, cursor=nullable(STRING))),
    operation("GET", "/v1/agent/search", "The shop's tickets, chats and customers a query finds", AGENT,
              query={"q": STRING}, ok=obj(items=array(ENTRY), q=STRING)),
    operation("GET", "/v1/agent/conversations/{conversation_id}/tags", "A conversation's tags", AGENT, ok=TAGS),
    operation("PUT", "/v1/agent/conversations/{conversation_id}/tags", "Replace a conversation's tags", AGENT,
              body=TAGS_BODY, ok=TAGS, errors=(409,)),
    operation("GET", "/v1/agent/tickets/{ticket_id}/tags", "A ticket's tags", AGENT, ok=TAGS),
    operation("PUT", "/v1/agent/tickets/{ticket_id}/tags", "Replace a ticket's tags", AGENT, body=TAGS_BODY,
              ok=TAGS, errors=(409,)),
    operation("GET", "/v1/agent/tags", "The shop's tags in use, most used first", AGENT,
              ok=obj(items=array(obj(tag=STRING, count=INTEGER)))),
    operation("POST", "/v1/agent/tickets/{ticket_id}/uploads", "Room for a file of an email reply", AGENT,
              status=201, errors=(409,),
              body=request({"size": {"type": "integer", "minimum": 1, "maximum": UPLOAD_MAX_BYTES}}),
              ok=obj(upload_id=STRING, max_bytes=INTEGER,
                     upload=obj(method=enum("POST", "PUT"), url=STRING, fields=ANY_OBJECT))),
    operation("PUT", "/v1/agent/tickets/{ticket_id}/uploads/{upload_id}",
              "The bytes of a reply's file (local mode; on AWS they go to S3)", AGENT, status=204,
              body={"type": "string", "format": "binary"}, body_media="application/octet-stream",
              query={"sig": STRING}, required_query=("sig",), errors=(415,)),
    operation("GET", "/v1/agent/contacts/{contact_id}", "One customer's tickets, chats and calls together", AGENT,
              ok=obj(contact=CONTACT, tickets=array(ENTRY), chats=array(ENTRY), calls=array(CALL))),
]
