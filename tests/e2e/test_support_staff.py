"""The licensor's workspace: staff keys from `./kefu keys issue-staff` see and answer every licensee's support
requests through the API, while merchants' keys never reach another merchant's requests or the staff routes."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib import bootstrap
from chalicelib.core.clock import FixedClock
from chalicelib.core.ids import new_id
from tests.e2e.conftest import Api
from tests.factories import Factory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_staff_answer_requests_of_every_licensee_with_a_staff_key(api: Api, kefu, factory: Factory,  # type: ignore[no-untyped-def]
                                                                 clock: FixedClock,
                                                                 services: bootstrap.Services) -> None:
    clock.current = datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)
    first, second = factory.merchant(), factory.merchant()
    opened = [api.call("POST", "/v1/support/requests", {"subject": f"问题 {n}", "text": "白屏。"},
                       bearer(m.agent_key))[1] for n, m in enumerate((first, second))]
    email = f"wang-{first.licensee_id}@licensor.example"
    issued = json.loads(kefu("keys", "issue-staff", "--name", "王工", "--email", email, "--json"))
    assert issued["kind"] == "staff" and issued["key"].startswith("kf_staff")
    staff = bearer(issued["key"])

    status, me, _ = api.call("GET", "/v1/staff/me", headers=staff)
    assert status == 200 and me["name"] == "王工" and me["role"] == "staff"
    status, queue, _ = api.call("GET", "/v1/staff/support/requests", headers=staff)
    assert status == 200 and {r["id"] for r in opened} <= {r["id"] for r in queue["requests"]}
    shown = next(r for r in queue["requests"] if r["id"] == opened[1]["id"])
    assert shown["licensee"] == second.licensee_id
    assert shown["first_response_due"] == "2026-10-08T12:00:00+08:00"  # the business-hour clock, National Day off
    status, one, _ = api.call("GET", f"/v1/staff/support/requests?licensee={first.licensee_id}", headers=staff)
    assert status == 200 and [r["id"] for r in one["requests"]] == [opened[0]["id"]]

    clock.current = datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)
    status, answered, _ = api.call("POST", f"/v1/staff/support/requests/{opened[1]['id']}/messages",
                                   {"text": "请清除缓存。", "wait_for_merchant": True}, staff)
    assert status == 200 and answered["status"] == "waiting_on_merchant" and answered["first_response_met"] is True
    assert answered["messages"][-1] == {**answered["messages"][-1], "side": "licensor", "author": "王工"}
    status, seen, _ = api.call("GET", f"/v1/support/requests/{opened[1]['id']}", headers=bearer(second.agent_key))
    assert status == 200 and seen["messages"][-1]["text"] == "请清除缓存。"
    status, closed, _ = api.call("POST", f"/v1/staff/support/requests/{opened[1]['id']}/close", {}, staff)
    assert status == 200 and closed["status"] == "closed"
    status, again, _ = api.call("POST", f"/v1/staff/support/requests/{opened[1]['id']}/close", {}, staff)
    assert status == 409 and again["error"]["code"] == "REQUEST_CLOSED"
    actions = [r.action for r in services.licensing.staff.history()]
    assert "staff_key.issued" in actions


def test_merchants_keys_never_reach_the_workspace_nor_another_merchants_requests(api: Api, factory: Factory,
                                                                                 services: bootstrap.Services) -> None:
    merchant, other = factory.merchant(), factory.merchant()
    _, opened, _ = api.call("POST", "/v1/support/requests", {"subject": "安装", "text": "如何安装？"},
                            bearer(merchant.agent_key))
    for path in ("/v1/staff/me", "/v1/staff/support/requests", f"/v1/staff/support/requests/{opened['id']}"):
        status, body, _ = api.call("GET", path, headers=bearer(other.agent_key))
        assert status == 403 and body["error"]["code"] == "STAFF_ONLY", path
    status, body, _ = api.call("POST", f"/v1/staff/support/requests/{opened['id']}/messages", {"text": "hi"},
                               bearer(merchant.agent_key))
    assert status == 403 and body["error"]["code"] == "STAFF_ONLY"
    status, body, _ = api.call("POST", f"/v1/support/requests/{opened['id']}/messages", {"text": "看看"},
                               bearer(other.agent_key))
    assert status == 404 and body["error"]["code"] == "REQUEST_NOT_FOUND"
    status, body, _ = api.call("GET", "/v1/staff/support/requests", headers=bearer("kf_staff_not-a-key"))
    assert status == 401 and body["error"]["code"] == "UNKNOWN_KEY"

    staff = services.licensing.staff.issue("李工", f"li-{merchant.licensee_id}@licensor.example", "test")
    status, body, _ = api.call("GET", "/v1/support/requests", headers=bearer(staff.secret))
    assert status == 403 and body["error"]["code"] == "STAFF_KEY"  # a staff key is no merchant's key


def test_a_revoked_staff_key_stops_and_each_change_is_audited(api: Api, kefu,  # type: ignore[no-untyped-def]
                                                             services: bootstrap.Services) -> None:
    email = f"zhao-{new_id('t')}@licensor.example"
    issued = json.loads(kefu("keys", "issue-staff", "--name", "赵工", "--email", email.upper(), "--json"))
    assert email in kefu("keys", "staff")
    kefu("keys", "issue-staff", "--name", "赵工", "--email", email, expect=2)  # one key a person
    status, _, _ = api.call("GET", "/v1/staff/me", headers=bearer(issued["key"]))
    assert status == 200
    revoked = json.loads(kefu("keys", "revoke-staff", issued["key_id"], "--json"))
    assert revoked["active"] is False
    status, body, _ = api.call("GET", "/v1/staff/me", headers=bearer(issued["key"]))
    assert status == 401 and body["error"]["code"] == "UNKNOWN_KEY"
    records = [(r.action, r.details["key_id"]) for r in services.licensing.staff.history()]
    assert ("staff_key.issued", issued["key_id"]) in records and ("staff_key.revoked", issued["key_id"]) in records
    assert all("kf_staff" not in json.dumps(r.details) or r.details.get("prefix") for r in
               services.licensing.staff.history())  # only the prefix, never the secret
