"""The v1 HTTP API through the real Chalice app and DynamoDB Local: validation, errors, isolation, logs."""

from __future__ import annotations

import json

import pytest

from chalicelib import bootstrap
from chalicelib.metrics import MemorySink
from tests.e2e.conftest import Api, LogLines
from tests.factories import ORIGIN, Factory


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_health_reports_the_api_and_the_database(api: Api) -> None:
    status, body, headers = api.call("GET", "/v1/health")
    assert status == 200
    assert body["api"]["status"] == "ok" and body["database"]["status"] == "ok"
    assert headers["X-Request-Id"]


def test_health_says_503_when_the_database_does_not_answer(api: Api, settings, clock) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from chalicelib.local.dynamodb import free_port

    dead = replace(settings, dynamodb_endpoint=f"http://127.0.0.1:{free_port()}")
    bootstrap.use(bootstrap.build(dead, clock, MemorySink()))
    try:
        status, body, _ = api.call("GET", "/v1/health")
    finally:
        bootstrap.build(settings, clock, MemorySink())  # point the models back at the test database
    assert status == 503 and body["database"]["status"] == "unavailable"


@pytest.mark.parametrize(("channel", "code"),
                         [("chat", "VALID"), ("email", "VALID"), ("phone", "CHANNEL_NOT_LICENSED")])
def test_validate_answers_200_with_a_code_for_every_well_formed_request(api: Api, factory: Factory, channel: str,
                                                                        code: str) -> None:
    merchant = factory.merchant()
    status, body, _ = api.call("POST", "/v1/licenses/validate", {"key": merchant.agent_key, "channel": channel})
    assert status == 200
    assert body == {"valid": code == "VALID", "code": code, "status": "ACTIVE", "ends_on": "2026-12-31",
                    "channels": ["chat", "email"]}


def test_validate_says_unknown_key_and_reveals_nothing_else(api: Api) -> None:
    status, body, _ = api.call("POST", "/v1/licenses/validate", {"key": "kf_agent_nope", "channel": "chat"})
    assert status == 200
    assert body == {"valid": False, "code": "UNKNOWN_KEY", "status": None, "ends_on": None, "channels": []}


def test_validate_reports_a_suspended_license(api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    services.licensing.suspend(merchant.licensee_id, "late payment", "staff:alice")
    _, body, _ = api.call("POST", "/v1/licenses/validate", {"key": merchant.widget_key, "channel": "chat"})
    assert (body["valid"], body["code"], body["status"]) == (False, "SUSPENDED", "SUSPENDED")


@pytest.mark.parametrize(("raw", "status", "code"), [
    (b"{not json", 400, "MALFORMED_JSON"),
    (b"", 400, "MISSING_BODY"),
    (b"[]", 400, "MALFORMED_JSON"),
    (b'{"channel": "chat"}', 400, "MISSING_FIELD"),
    (b'{"key": 42, "channel": "chat"}', 400, "WRONG_TYPE"),
    (b'{"key": "k", "channel": "fax"}', 400, "INVALID_CHOICE"),
    (b'{"key": "k", "channel": "chat", "seats": 9}', 400, "UNKNOWN_FIELD"),
    (json.dumps({"key": "k" * 201, "channel": "chat"}).encode(), 400, "FIELD_TOO_LONG"),
    (json.dumps({"key": "k" * 70_000, "channel": "chat"}).encode(), 413, "BODY_TOO_LARGE"),
])
def test_bad_input_gets_a_4xx_with_a_stable_code_never_a_500(api: Api, raw: bytes, status: int, code: str) -> None:
    got_status, body, _ = api.call("POST", "/v1/licenses/validate", raw=raw)
    assert (got_status, body["error"]["code"]) == (status, code)
    assert body["error"]["message"]


def test_a_body_that_is_not_json_is_refused_by_media_type(api: Api) -> None:
    status, body, _ = api.call("POST", "/v1/licenses/validate", raw=b"key=x",
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert status == 415 and body["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_merchant_sees_its_own_license_and_no_one_elses(api: Api, factory: Factory) -> None:
    first, second = factory.merchant(), factory.merchant(seats=5)
    for merchant in (first, second):
        status, body, _ = api.call("GET", "/v1/license", headers=bearer(merchant.agent_key))
        assert status == 200 and body["licensee_id"] == merchant.licensee_id
        assert body["key"]["kind"] == "agent" and merchant.agent_key not in json.dumps(body)


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({}, 401, "MISSING_KEY"),
    ({"authorization": "Basic abc"}, 401, "MISSING_KEY"),
    ({"authorization": "Bearer kf_agent_unknown"}, 401, "UNKNOWN_KEY"),
])
def test_the_license_route_refuses_callers_without_a_known_agent_key(api: Api, headers: dict[str, str],
                                                                     status: int, code: str) -> None:
    got, body, _ = api.call("GET", "/v1/license", headers=headers)
    assert (got, body["error"]["code"]) == (status, code)


def test_a_widget_key_is_not_an_agent_key(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    status, body, _ = api.call("GET", "/v1/license", headers=bearer(merchant.widget_key))
    assert (status, body["error"]["code"]) == (403, "WRONG_KEY_KIND")


def test_a_suspended_merchants_console_still_learns_why(api: Api, factory: Factory,
                                                        services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    services.licensing.suspend(merchant.licensee_id, "late payment", "staff:alice")
    status, body, _ = api.call("GET", "/v1/license", headers=bearer(merchant.agent_key))
    assert status == 200 and (body["valid"], body["code"]) == (False, "SUSPENDED")


def test_an_unexpected_failure_is_a_500_with_the_request_id_and_is_logged(api: Api, monkeypatch: pytest.MonkeyPatch,
                                                                          logs: LogLines) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("chalicelib.licensing.service.LicensingService.validate", boom)
    status, body, headers = api.call("POST", "/v1/licenses/validate", {"key": "k", "channel": "chat"})
    assert status == 500 and body["error"]["code"] == "INTERNAL_ERROR"
    assert headers["X-Request-Id"] in body["error"]["message"]
    assert any(entry.get("request_id") == headers["X-Request-Id"] and entry["level"] == "ERROR"
               for entry in logs.entries())


def test_logs_carry_the_request_and_merchant_ids_and_never_the_key(api: Api, factory: Factory,
                                                                  logs: LogLines) -> None:
    merchant = factory.merchant()
    api.call("GET", "/v1/license", headers=bearer(merchant.widget_key))  # refused: logged with the merchant
    out = logs.text
    refused = [e for e in logs.entries() if e.get("message") == "request refused"]
    assert refused and refused[0]["merchant_id"] == merchant.licensee_id and refused[0]["request_id"]
    assert merchant.widget_key not in out and merchant.agent_key not in out


def test_validations_are_counted_by_code(api: Api, factory: Factory, metrics: MemorySink) -> None:
    merchant = factory.merchant()
    api.call("POST", "/v1/licenses/validate", {"key": merchant.agent_key, "channel": "chat"})
    api.call("POST", "/v1/licenses/validate", {"key": "kf_agent_nobody", "channel": "chat"})
    api.call("POST", "/v1/licenses/validate", {"key": merchant.agent_key, "channel": "phone"})
    assert metrics.total("LicenseValidations", code="VALID") == 1
    assert metrics.total("LicenseValidations", code="UNKNOWN_KEY") == 1
    assert metrics.total("LicenseValidations", code="CHANNEL_NOT_LICENSED") == 1


def test_unknown_methods_get_our_error_shape(api: Api) -> None:
    status, body, _ = api.call("DELETE", "/v1/health")
    assert status == 405 and body["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_origin_is_part_of_the_widget_guard(factory: Factory, services: bootstrap.Services) -> None:
    """The guard used by the widget routes: right origin passes, another origin is refused."""
    from chalice.app import Request

    from chalicelib.core.errors import Forbidden
    from chalicelib.licensing.guard import require_widget

    merchant = factory.merchant()

    def request(origin: str) -> Request:
        return Request({"headers": {"x-widget-key": merchant.widget_key, "origin": origin},
                        "multiValueQueryStringParameters": None, "pathParameters": None,
                        "requestContext": {"httpMethod": "POST", "resourcePath": "/", "path": "/"},
                        "stageVariables": None, "body": None, "isBase64Encoded": False})

    assert require_widget(request(ORIGIN), services.licensing).licensee_id == merchant.licensee_id
    with pytest.raises(Forbidden) as refused:
        require_widget(request("https://elsewhere.example"), services.licensing)
    assert refused.value.code == "ORIGIN_NOT_ALLOWED"
