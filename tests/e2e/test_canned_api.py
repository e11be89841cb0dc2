"""Canned responses through HTTP: every agent reads the shop's, only its admins write them, placeholders are
checked, another shop sees none."""

from __future__ import annotations

from chalicelib.audit import store as audit_store
from chalicelib.canned.model import fill
from tests.e2e.conftest import Api
from tests.factories import Factory


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_admins_write_canned_responses_that_every_agent_of_the_shop_reads(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    admin = factory.admin_key(merchant.licensee_id)
    body = {"shortcut": "/Ship", "title": "发货", "text": "{customer_name}您好，订单 {order_number} 已发货。"}
    status, saved, _ = api.call("POST", "/v1/agent/canned-responses", body, bearer(admin))
    assert status == 201 and saved["shortcut"] == "ship"
    status, again, _ = api.call("POST", "/v1/agent/canned-responses", {**body, "text": "已发货。"}, bearer(admin))
    assert status == 201 and again["id"] == saved["id"]
    status, refused, _ = api.call("POST", "/v1/agent/canned-responses", body, bearer(merchant.agent_key))
    assert status == 403 and refused["error"]["code"] == "ADMIN_ONLY"

    _, listed, _ = api.call("GET", "/v1/agent/canned-responses", headers=bearer(merchant.agent_key))
    assert [(r["shortcut"], r["text"]) for r in listed["items"]] == [("ship", "已发货。")]
    assert "order_number" in listed["placeholders"]
    other = factory.merchant()
    assert api.call("GET", "/v1/agent/canned-responses", headers=bearer(other.agent_key))[1]["items"] == []
    status, _, _ = api.call("DELETE", "/v1/agent/canned-responses/ship", headers=bearer(factory.admin_key(
        other.licensee_id)))
    assert status == 404

    assert api.call("DELETE", "/v1/agent/canned-responses/ship", headers=bearer(admin))[0] == 200
    assert api.call("GET", "/v1/agent/canned-responses", headers=bearer(admin))[1]["items"] == []
    actions = [r.action for r in audit_store.history(f"chat:{merchant.licensee_id}")]
    assert actions.count("canned.saved") == 2 and "canned.deleted" in actions


def test_a_bad_shortcut_or_an_unknown_placeholder_is_refused(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    admin = factory.admin_key(merchant.licensee_id)
    for body, code in (({"shortcut": "发货", "text": "x"}, "INVALID_SHORTCUT"),
                       ({"shortcut": "ship", "text": "{tracking}"}, "UNKNOWN_PLACEHOLDER")):
        status, answer, _ = api.call("POST", "/v1/agent/canned-responses", body, bearer(admin))
        assert status == 400 and answer["error"]["code"] == code


def test_placeholders_fill_and_an_unknown_value_stays_visible() -> None:
    filled = fill("{customer_name}您好，订单 {order_number}", {"customer_name": "李雷"})
    assert filled == "李雷您好，订单 {order_number}"
