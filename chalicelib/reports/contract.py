"""Reports' part of the published API (see chalicelib/core/openapi.py)."""

from __future__ import annotations

from chalicelib.core.openapi import AGENT, ANY_OBJECT, DAY, STRING, array, obj, operation

OPERATIONS = [
    operation("GET", "/v1/agent/reports", "The shop's report for a period of days", AGENT,
              query={"from": DAY, "to": DAY},
              ok=obj(by_day=array(ANY_OBJECT), totals=ANY_OBJECT, first_response=ANY_OBJECT, resolution=ANY_OBJECT,
                     agents=array(ANY_OBJECT), ratings=ANY_OBJECT, timezone=STRING)),
]
