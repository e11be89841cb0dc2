"""Support's and training's part of the published API (see chalicelib/core/openapi.py for how an operation is
written)."""

from __future__ import annotations

from chalicelib.core.openapi import (
    AGENT,
    BOOLEAN,
    INSTANT,
    INTEGER,
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
from chalicelib.support.model import SUBJECT_MAX, TEXT_MAX, Category, Side, Status, Target
from chalicelib.training.model import Method
from chalicelib.training.model import Status as SessionStatus

TARGETS = array(enum(*(t.value for t in Target)))
MESSAGE = obj(number=INTEGER, side=enum(*(s.value for s in Side)), author=STRING, text=STRING, at=INSTANT)
SUMMARY = obj(id=STRING, licensee=STRING, subject=STRING, category=enum(*(c.value for c in Category)),
              status=enum(*(s.value for s in Status)), via=STRING, opened_at=INSTANT, opened_by=STRING,
              first_response_at=nullable(INSTANT), closed_at=nullable(INSTANT),
              targets=obj(first_response_minutes=INTEGER, resolution_minutes=INTEGER),
              first_response_due=nullable(INSTANT), resolution_due=nullable(INSTANT),
              first_response_met=nullable(BOOLEAN), resolution_met=nullable(BOOLEAN), breached=TARGETS,
              approaching=TARGETS, paused=BOOLEAN, provisional=BOOLEAN, breaches_recorded=TARGETS)
REQUEST = {**SUMMARY, "properties": {**SUMMARY["properties"], "messages": array(MESSAGE)},
           "required": sorted([*SUMMARY["required"], "messages"])}
SESSION = obj(id=STRING, licensee=STRING, starts_at=INSTANT, duration_minutes=INTEGER,
              method=enum(*(m.value for m in Method)), place=STRING, link=STRING, topics=array(STRING),
              trainer=STRING, attendees=array(STRING), status=enum(*(s.value for s in SessionStatus)),
              reason=STRING)

OPERATIONS = [
    operation("POST", "/v1/support/requests", "Open a technical-support request to the licensor", AGENT,
              body=request({"subject": text(SUBJECT_MAX), "text": text(TEXT_MAX)},
                           {"category": enum(*(c.value for c in Category))}), ok=REQUEST, status=201),
    operation("GET", "/v1/support/requests", "The calling merchant's support requests, newest first", AGENT,
              ok=obj(requests=array(SUMMARY))),
    operation("GET", "/v1/support/requests/{request_id}", "One of the merchant's support requests", AGENT,
              ok=REQUEST),
    operation("POST", "/v1/support/requests/{request_id}/messages", "The merchant answers the licensor", AGENT,
              body=request({"text": text(TEXT_MAX)}), ok=REQUEST, errors=(409,)),
    operation("GET", "/v1/staff/support/requests", "Licensor staff: open requests of every licensee, or one's all",
              STAFF, query={"licensee": STRING}, ok=obj(requests=array(SUMMARY))),
    operation("GET", "/v1/staff/support/requests/{request_id}", "Licensor staff: one request with its messages",
              STAFF, ok=REQUEST),
    operation("POST", "/v1/staff/support/requests/{request_id}/messages", "Licensor staff answer a request", STAFF,
              body=request({"text": text(TEXT_MAX)}, {"wait_for_merchant": BOOLEAN}), ok=REQUEST, errors=(409,)),
    operation("POST", "/v1/staff/support/requests/{request_id}/close", "Licensor staff close a resolved request",
              STAFF, body=request({}, {"text": text(TEXT_MAX)}), ok=REQUEST, errors=(409,)),
    operation("GET", "/v1/training/sessions", "The calling merchant's training sessions", AGENT,
              ok=obj(sessions=array(SESSION))),
]
