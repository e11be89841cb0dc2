"""The published API, fuzzed (clauses 6.2 and 7.1): schemathesis generates requests for every operation of the
OpenAPI document, valid and invalid, and sends them with the real keys of the seeded demo merchant to a local
instance on DynamoDB Local. No answer may be a 5xx, and every answer must be what the document says: a status
it lists, its media type, and a body of its schema (errors in the one error shape).

Bounded: a fixed number of examples per operation, the same ones on every run (derandomized)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.contract import openapi
from tests.e2e.conftest import Instance

pytestmark = pytest.mark.e2e

SCHEMA = schemathesis.openapi.from_dict(openapi())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12  # per operation; with ~36 operations this stays well within a few minutes on 2 cores


class Callers:
    """The demo merchant's real credentials, and a visitor with a conversation of its own."""

    def __init__(self, instance: Instance) -> None:
        demo = instance.demo
        self.api, self.origin = instance.api, demo["allowed_origin"]
        self.widget_key, self.agent_key = demo["widget_key"], demo["agent_key"]
        started = _post(f"{self.api}/v1/widget/conversations", {"text": "你好, fuzzing starts here"},
                        {"x-widget-key": self.widget_key, "origin": self.origin})
        self.visitor_token = started["visitor_token"]
        self.session = requests.Session()

    def headers(self, security: list[dict[str, list[str]]]) -> dict[str, str]:
        schemes = set(security[0]) if security else set()
        out: dict[str, str] = {}
        if "widgetKey" in schemes:
            out.update({"X-Widget-Key": self.widget_key, "Origin": self.origin})
        if "visitorToken" in schemes or (schemes == {"widgetKey"} and len(security) > 1):
            out["Authorization"] = f"Bearer {self.visitor_token}"
        if "agentKey" in schemes:
            out["Authorization"] = f"Bearer {self.agent_key}"
        return out


def _post(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",  # noqa: S310 - loopback
                                     headers={"content-type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return dict(json.loads(response.read()))


@pytest.fixture(scope="module")
def callers(local_instance: Instance) -> Callers:
    return Callers(local_instance)


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_documented_and_never_with_a_5xx(case: Any, callers: Callers) -> None:
    security = case.operation.definition.raw.get("security") or []
    headers = {**(case.headers or {}), **callers.headers(security)}
    case.headers = headers
    case.call_and_validate(base_url=callers.api, session=callers.session, checks=CHECKS, timeout=30)
