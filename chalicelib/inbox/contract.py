"""The inbox's and search's part of the published API (see chalicelib/core/openapi.py)."""

from __future__ import annotations

from chalicelib.core.openapi import AGENT, ANY_OBJECT, STRING, array, enum, nullable, obj, operation

ENTRY = obj(kind=enum("chat", "ticket", "contact"), id=STRING, status=STRING, title=STRING, preview=STRING,
            contact=STRING, number=nullable({"type": "integer"}), assignee=nullable(ANY_OBJECT),
            last_activity=nullable(STRING))

OPERATIONS = [
    operation("GET", "/v1/agent/inbox", "The shop's chats and tickets in one list, by view", AGENT,
              query={"view": enum("open", "pending", "closed", "mine", "unassigned"), "since": STRING},
              ok=obj(items=array(ENTRY), view=STRING, cursor=nullable(STRING))),
    operation("GET", "/v1/agent/search", "The shop's tickets, chats and customers a query finds", AGENT,
              query={"q": STRING}, ok=obj(items=array(ENTRY), q=STRING)),
]
