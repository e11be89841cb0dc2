"""The phone channel as staff, call centres and agents meet it: `./kefu phone` gives a merchant a number and a
webhook secret, `./kefu phone simulate` sends Connect-shaped events through the handler, a call centre posts
signed events over HTTP, and agents read the calls, write notes and take callbacks over HTTP."""

from __future__ import annotations

import json

import pytest

from chalicelib import bootstrap
from chalicelib.licensing.model import Channel
from chalicelib.phone import model
from tests.e2e.conftest import Api
from tests.factories import Factory, Merchant

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def number_for(merchant: Merchant) -> str:
    return "+8621" + str(int(merchant.licensee_id[-8:], 36) % 10**8).zfill(8)


@pytest.fixture
def merchant(factory: Factory) -> Merchant:
    return factory.merchant(channels=(Channel.CHAT, Channel.EMAIL, Channel.PHONE))


def test_staff_numbers_and_a_simulated_missed_call_reach_the_agents(kefu, api: Api, merchant: Merchant,  # type: ignore[no-untyped-def]
                                                                    services: bootstrap.Services) -> None:
    number = number_for(merchant)
    assert kefu("phone", "numbers", "add", merchant.licensee_id, number[:5] + " " + number[5:]).strip() == number
    assert number in kefu("phone", "numbers", "list", merchant.licensee_id)
    assert "INVALID_PHONE_NUMBER" in kefu("phone", "numbers", "add", merchant.licensee_id, "021-1234", expect=2)

    out = kefu("phone", "simulate", merchant.licensee_id, "--from", "+8613800138000", "--answered-after", "12",
               "--duration", "95", "--json")
    answered = json.loads(out)
    assert answered["outcome"] == "answered"
    missed = json.loads(kefu("phone", "simulate", merchant.licensee_id, "--from", "+8613900139000", "--missed",
                             "--duration", "40", "--json"))
    assert missed["outcome"] == "abandoned"
    assert "--missed" in kefu("phone", "simulate", merchant.licensee_id, "--from", "+8613900139000", expect=2)

    status, body, _ = api.call("GET", "/v1/agent/calls", headers=bearer(merchant.agent_key))
    assert status == 200
    by_id = {c["id"]: c for c in body["items"]}
    assert by_id[answered["call_id"]]["waiting_seconds"] == 12 and by_id[answered["call_id"]]["talk_seconds"] == 95
    assert by_id[answered["call_id"]]["caller"] == "+8613800138000" and by_id[answered["call_id"]]["callee"] == number
    status, body, _ = api.call("GET", "/v1/agent/calls?outcome=abandoned", headers=bearer(merchant.agent_key))
    assert [c["id"] for c in body["items"]] == [missed["call_id"]]

    status, body, _ = api.call("GET", "/v1/agent/callbacks?status=open", headers=bearer(merchant.agent_key))
    assert [t["call_id"] for t in body["items"]] == [missed["call_id"]]
    me = api.call("PUT", "/v1/agent/presence", {"status": "online"}, headers=bearer(merchant.agent_key))[1]["id"]
    status, task, _ = api.call("PUT", f"/v1/agent/callbacks/{missed['call_id']}", {"assignee": me},
                               headers=bearer(merchant.agent_key))
    assert status == 200 and task["assignee"] == me
    status, body, _ = api.call("PUT", f"/v1/agent/callbacks/{missed['call_id']}", {"assignee": "nobody"},
                               headers=bearer(merchant.agent_key))
    assert status == 400 and body["error"]["code"] == "UNKNOWN_AGENT"

    status, call, _ = api.call("PUT", f"/v1/agent/calls/{answered['call_id']}/notes",
                               {"notes": "问订单物流", "disposition": "resolved"}, headers=bearer(merchant.agent_key))
    assert status == 200 and (call["notes"], call["disposition"]) == ("问订单物流", "resolved")
    status, call, _ = api.call("GET", f"/v1/agent/calls/{answered['call_id']}", headers=bearer(merchant.agent_key))
    assert call["disposition"] == "resolved" and call["recording"] is None

    status, body, _ = api.call("GET", "/v1/agent/calls?customer=%2B86%20138-0013-8000",
                               headers=bearer(merchant.agent_key))
    assert [c["id"] for c in body["items"]] == [answered["call_id"]]
    status, report, _ = api.call("GET", "/v1/agent/reports/calls", headers=bearer(merchant.agent_key))
    assert status == 200 and report["calls"] == 2 and report["answered_by_agent"] == {"simulated-agent": 1}
    day = services.clock.now().astimezone(services.settings.timezone).date().isoformat()
    printed = kefu("phone", "report", merchant.licensee_id, "--since", day, "--until", day)
    assert "2 calls" in printed and "simulated-agent: 1 answered" in printed
    status, body, _ = api.call("GET", "/v1/agent/calls?customer=12345", headers=bearer(merchant.agent_key))
    assert status == 400 and body["error"]["code"] == "INVALID_PHONE_NUMBER"


def test_another_merchants_agent_sees_none_of_the_calls(kefu, api: Api, merchant: Merchant, factory: Factory) -> None:  # type: ignore[no-untyped-def]
    kefu("phone", "numbers", "add", merchant.licensee_id, number_for(merchant))
    call_id = json.loads(kefu("phone", "simulate", merchant.licensee_id, "--from", "+8613800138000", "--missed",
                              "--json"))["call_id"]
    other = factory.merchant(channels=(Channel.PHONE,))
    status, body, _ = api.call("GET", "/v1/agent/calls", headers=bearer(other.agent_key))
    assert status == 200 and body["items"] == []
    status, body, _ = api.call("GET", f"/v1/agent/calls/{call_id}", headers=bearer(other.agent_key))
    assert status == 404 and body["error"]["code"] == "UNKNOWN_CALL"
    status, body, _ = api.call("GET", f"/v1/agent/calls/{call_id}/recording", headers=bearer(other.agent_key))
    assert status == 404
    without_phone = factory.merchant()
    status, body, _ = api.call("GET", "/v1/agent/calls", headers=bearer(without_phone.agent_key))
    assert status == 403 and body["error"]["code"] == "CHANNEL_NOT_LICENSED"


def test_a_call_centre_posts_signed_events_over_http(kefu, api: Api, merchant: Merchant,  # type: ignore[no-untyped-def]
                                                     services: bootstrap.Services) -> None:
    number = number_for(merchant)
    kefu("phone", "numbers", "add", merchant.licensee_id, number)
    secret = kefu("phone", "secret", "rotate", merchant.licensee_id, "--json")
    secret = json.loads(secret)["secret"]
    now = services.clock.now()

    def post(body: dict[str, object], timestamp: int, key: str) -> tuple[int, dict[str, object]]:
        raw = json.dumps(body).encode()
        signature = "sha256=" + model.webhook_signature(key, str(timestamp), raw)
        status, answer, _ = api.call("POST", "/v1/phone/events", raw=raw, headers={
            "x-kefu-merchant": merchant.licensee_id, "x-kefu-timestamp": str(timestamp),
            "x-kefu-signature": signature})
        return status, answer

    event = {"contact_id": "cc-77", "event": "initiated", "at": now.isoformat(), "from": "+8613700137000",
             "to": number}
    stamp = int(now.timestamp())
    assert post(event, stamp, secret) == (202, {"result": "stored", "call_id": "webhook-cc-77", "outcome": None})
    assert post(event, stamp, secret)[1]["result"] == "duplicate"
    status, answer = post(event, stamp, "not-the-secret")
    assert status == 401 and answer["error"]["code"] == "WEBHOOK_SIGNATURE_INVALID"  # type: ignore[index]
    assert secret not in json.dumps(answer)
    status, answer = post(event, stamp - 301, secret)
    assert status == 401 and answer["error"]["code"] == "WEBHOOK_TIMESTAMP_OUT_OF_WINDOW"  # type: ignore[index]
    status, answer = post({**event, "event": "ringing"}, stamp, secret)
    assert status == 400 and answer["error"]["code"] == "INVALID_CHOICE"  # type: ignore[index]
    status, answer = post({**event, "queue": "x" * 70_000}, stamp, secret)
    assert status == 413 and answer["error"]["code"] == "PAYLOAD_TOO_LARGE"  # type: ignore[index]
    status, answer, _ = api.call("POST", "/v1/phone/events", {"x": 1})
    assert status == 401 and answer["error"]["code"] == "WEBHOOK_SIGNATURE_MISSING"


def test_the_console_serves_the_calls_tab_script(api: Api) -> None:
    response = api.http.request("GET", "/console/phone.js")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/javascript")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"kefuConsole.register" in response.body
    page = api.http.request("GET", "/console").body.decode()
    assert '<script src="console/phone.js"></script>' in page


def test_staff_release_a_webhook_event_held_for_a_number_the_merchant_had_not_yet(  # type: ignore[no-untyped-def]
        kefu, api: Api, merchant: Merchant, services: bootstrap.Services) -> None:
    secret = json.loads(kefu("phone", "secret", "rotate", merchant.licensee_id, "--json"))["secret"]
    number = number_for(merchant)
    now = services.clock.now()
    raw = json.dumps({"contact_id": "cc-held", "event": "initiated", "at": now.isoformat(),
                      "from": "+8613700137001", "to": number}).encode()
    stamp = str(int(now.timestamp()))
    status, answer, _ = api.call("POST", "/v1/phone/events", raw=raw, headers={
        "x-kefu-merchant": merchant.licensee_id, "x-kefu-timestamp": stamp,
        "x-kefu-signature": "sha256=" + model.webhook_signature(secret, stamp, raw)})
    assert status == 202 and answer == {"result": "held", "reason": "unknown_number"}
    [held] = [h for h in json.loads(kefu("phone", "held", "--json")) if h["contact_id"] == "cc-held"]
    assert held["id"] in kefu("phone", "held")
    kefu("phone", "numbers", "add", merchant.licensee_id, number)
    released = json.loads(kefu("phone", "held", "release", held["id"], "--json"))
    assert released["result"] == "stored" and released["call_id"] == "webhook-cc-held"
    assert json.loads(kefu("phone", "held", "release", held["id"], "--json"))["result"] == "released_already"
    assert "cc-held" not in kefu("phone", "held")
    status, calls, _ = api.call("GET", "/v1/agent/calls", headers=bearer(merchant.agent_key))
    assert status == 200 and "webhook-cc-held" in [c["id"] for c in calls["items"]]
