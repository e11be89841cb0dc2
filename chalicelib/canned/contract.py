"""Canned responses' part of the published API (see chalicelib/core/openapi.py)."""

from __future__ import annotations

from chalicelib.core.openapi import ADMIN, AGENT, BOOLEAN, INSTANT, STRING, array, obj, operation, request, text

RESPONSE = obj(id=STRING, shortcut=STRING, title=STRING, text=STRING, updated_at=INSTANT)

OPERATIONS = [
    operation("GET", "/v1/agent/canned-responses", "The shop's canned responses", AGENT,
              ok=obj(items=array(RESPONSE), placeholders=array(STRING))),
    operation("POST", "/v1/agent/canned-responses", "Write a canned response (admins)", ADMIN, status=201,
              body=request({"shortcut": text(33), "text": text(4000)}, {"title": text(100, 0)}), ok=RESPONSE,
              errors=(409,)),
    operation("DELETE", "/v1/agent/canned-responses/{shortcut}", "Remove a canned response (admins)", ADMIN,
              ok=obj(shortcut=STRING, deleted=BOOLEAN)),
]
