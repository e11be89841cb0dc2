"""The privacy part of the published API (see chalicelib/core/openapi.py): shop administrators' requests about one
customer's data, retention periods, the access log and the export window after termination."""

from __future__ import annotations

from chalicelib.core.openapi import (
    ADMIN,
    ANY_OBJECT,
    DAY,
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

BYTES = {"type": "string", "format": "binary"}
COUNTS = {"type": "object", "additionalProperties": INTEGER}
REQUEST = obj(id=STRING, kind=enum("export", "erase", "merchant_export", "merchant_erase"),
              status=enum("running", "done"), created_at=INSTANT, actor=STRING, finished_at=nullable(INSTANT),
              counts=COUNTS, archive=nullable(obj(url=STRING, expires_at=INSTANT)))
CONTACT = request({}, {"email": text(254), "phone": text(30), "customer_id": text(200)})
PERIODS = {"type": "object", "additionalProperties": INTEGER}
RETENTION = obj(periods=PERIODS, defaults=PERIODS, own=array(STRING))
WINDOW = obj(licensee_id=STRING, state=enum("none", "pending", "open", "closed", "erased"),
             termination_date=nullable(DAY), ends_on=nullable(DAY), extended={"type": "boolean"},
             erased_at=nullable(INSTANT), certificate=nullable(ANY_OBJECT))
ACCESS = obj(at=INSTANT, actor=STRING, what=STRING, ref=STRING)

OPERATIONS = [
    operation("POST", "/v1/admin/privacy/exports", "Export one customer's data as an archive", ADMIN, status=201,
              body=CONTACT, ok=REQUEST),
    operation("POST", "/v1/admin/privacy/erasures", "Erase one customer's data", ADMIN, status=201, body=CONTACT,
              ok=REQUEST),
    operation("GET", "/v1/admin/privacy/requests", "The shop's privacy requests, newest first", ADMIN,
              ok=obj(items=array(REQUEST))),
    operation("GET", "/v1/admin/privacy/requests/{request_id}", "One privacy request, with its archive's link",
              ADMIN, ok=REQUEST),
    operation("GET", "/v1/admin/privacy/exports/{request_id}/archive", "An export's archive", LINK,
              query={"m": STRING, "exp": STRING, "sig": STRING}, ok=BYTES, media="application/zip"),
    operation("POST", "/v1/admin/privacy/merchant-export", "All of the shop's data as an archive", ADMIN,
              status=201, ok=REQUEST),
    operation("GET", "/v1/admin/privacy/window", "The export window after termination", ADMIN, ok=WINDOW),
    operation("GET", "/v1/admin/privacy/retention", "The shop's retention periods", ADMIN, ok=RETENTION),
    operation("PUT", "/v1/admin/privacy/retention", "Change some of the shop's retention periods", ADMIN,
              body=request({"periods": PERIODS}), ok=RETENTION),
    operation("GET", "/v1/admin/privacy/accesses", "Who of the licensor's staff read the shop's content", ADMIN,
              ok=obj(items=array(ACCESS))),
]
