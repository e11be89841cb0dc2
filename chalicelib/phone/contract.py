"""The phone channel's part of the published API (docs/phone.md; chalicelib/core/openapi.py for the helpers)."""

from __future__ import annotations

from chalicelib.core.openapi import (
           AGENT,
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
)
from chalicelib.core.openapi import text as text_of
from chalicelib.phone.model import MAX_DISPOSITION, MAX_NOTES, Direction, EventType, Outcome, TaskStatus

OUTCOME = enum(*(o.value for o in Outcome))
DIRECTION = enum(*(d.value for d in Direction))
TASK = obj(call_id=STRING, status=enum(*(s.value for s in TaskStatus)), reason=STRING, caller=nullable(STRING),
           call_started_at=INSTANT, created_at=INSTANT, assignee=nullable(STRING), updated_at=nullable(INSTANT))
CALL = obj(id=STRING, source=enum("connect", "webhook"), contact_id=STRING, direction=DIRECTION,
           caller=nullable(STRING), callee=nullable(STRING), started_at=INSTANT, queued_at=nullable(INSTANT),
           answered_at=nullable(INSTANT), ended_at=nullable(INSTANT), waiting_seconds=nullable(INTEGER),
           talk_seconds=nullable(INTEGER), queue=nullable(STRING), agent=nullable(STRING),
           queue_name=nullable(STRING), agent_name=nullable(STRING),  # names as Connect knows them, else the ids
           outcome=nullable(OUTCOME), notes=STRING, disposition=STRING, has_recording={"type": "boolean"})
CALL_DETAIL = {**CALL, "properties": {**CALL["properties"],
                                      "recording": nullable(obj(url=STRING, kept_by=enum("kefu", "call_centre"),
                                                                expires_at=nullable(INSTANT))),
                                      "callback": nullable(TASK)},
               "required": sorted([*CALL["required"], "recording", "callback"])}
COUNTS = {"type": "object", "additionalProperties": INTEGER}
RATE = nullable({"type": "number"})
REPORT = obj(since=INSTANT, until=INSTANT, calls=INTEGER, by_outcome=COUNTS, answered_by_agent=COUNTS,
             answer_rate=RATE, average_wait_seconds=RATE, talk_seconds=INTEGER)
_CALL = "/v1/agent/calls/{call_id}"
SIGNED = {"X-Kefu-Merchant": STRING, "X-Kefu-Timestamp": STRING, "X-Kefu-Signature": STRING}

OPERATIONS = [
    operation("POST", "/v1/phone/events", "A call centre's signed call event (HMAC-SHA256 over timestamp.body)",
              status=202, errors=(401,), ok=obj(result=enum("stored", "duplicate", "held")),
              body=request({"contact_id": text_of(128), "event": enum(*(t.value for t in EventType)),
                            "at": INSTANT, "from": STRING, "to": STRING},
                           {"direction": DIRECTION, "queue": text_of(100), "agent": text_of(100),
                            "recording_url": text_of(2000)})),
    operation("GET", "/v1/agent/calls", "A page of the merchant's calls, newest first", AGENT, errors=(400,),
              query={"outcome": OUTCOME, "direction": DIRECTION, "agent": STRING, "customer": STRING,
                     "since": STRING, "until": STRING, "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                     "next": STRING},
              ok=obj(items=array(CALL), next=nullable(STRING))),
    operation("GET", _CALL, "A call with its recording link and callback task", AGENT, ok=CALL_DETAIL),
    operation("PUT", f"{_CALL}/notes", "Replace a call's notes and disposition", AGENT, ok=CALL_DETAIL,
              body=request({}, {"notes": text_of(MAX_NOTES, 0), "disposition": text_of(MAX_DISPOSITION, 0)})),
    operation("GET", f"{_CALL}/recording", "A recording kept by kefu", AGENT, LINK,
              query={"m": STRING, "exp": STRING}, ok={"type": "string", "format": "binary"}, media="audio/wav"),
    operation("GET", "/v1/agent/callbacks", "Callback tasks of calls nobody answered", AGENT,
              query={"status": enum(*(s.value for s in TaskStatus))}, ok=obj(items=array(TASK), next=nullable(STRING))),
    operation("PUT", "/v1/agent/callbacks/{call_id}", "Assign a callback task or set its status", AGENT, ok=TASK,
              body=request({}, {"assignee": text_of(100, 0), "status": enum("open", "done")}), errors=(409,)),
    operation("GET", "/v1/agent/reports/calls", "Calls of a period: outcomes, answered per agent, answer rate", AGENT,
              query={"since": STRING, "until": STRING}, ok=REPORT),
]
