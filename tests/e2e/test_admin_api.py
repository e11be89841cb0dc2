"""A merchant's administrators manage their own team and settings through `/v1/admin/*`: every route refuses a
plain agent key and another merchant's ids, the seats of the license bound the team, and every change is in the
audit trail with the admin's key id."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.audit import store as audit_store
from chalicelib.mail.model import Verdicts
from tests.e2e.conftest import Api
from tests.factories import Factory, Merchant
from tests.mail_helpers import deliver, mail_merchant, raw_mail

ROUTES = [("GET", "/v1/admin/agents", None), ("POST", "/v1/admin/agents", {"name": "X", "email": "x@shop.example"}),
          ("DELETE", "/v1/admin/agents/{agent_id}", None), ("GET", "/v1/admin/settings", None),
          ("PUT", "/v1/admin/settings", {"chat_hours": "mon-fri 09:00-18:00"}), ("GET", "/v1/admin/held-mail", None),
          ("POST", "/v1/admin/held-mail/{ses_id}/release", None)]


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def agent_id(api: Api, admin: str, email: str) -> str:
    _, team, _ = api.call("GET", "/v1/admin/agents", headers=bearer(admin))
    return next(a["id"] for a in team["items"] if a["email"] == email)


@pytest.fixture
def shop(factory: Factory) -> tuple[Merchant, str]:
    merchant = factory.merchant(seats=3)
    return merchant, factory.admin_key(merchant.licensee_id)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_admin_route_refuses_a_plain_agent_key(api: Api, shop: tuple[Merchant, str], method: str, path: str,
                                                     body: Any) -> None:
    merchant, admin = shop
    target = agent_id(api, admin, "admin@shop.example")
    url = path.format(agent_id=target, ses_id="ses-1")
    status, answer, _ = api.call(method, url, body, bearer(merchant.agent_key))
    assert status == 403 and answer["error"]["code"] == "ADMIN_ONLY"
    status, answer, _ = api.call(method, url, body)
    assert status == 401 and answer["error"]["code"] == "MISSING_KEY"
    status, answer, _ = api.call(method, url, body, bearer(merchant.widget_key))
    assert status == 403 and answer["error"]["code"] == "WRONG_KEY_KIND"


def test_an_admin_sees_only_their_own_shop_and_cannot_touch_another_shops_agents(api: Api, factory: Factory,
                                                                                shop: tuple[Merchant, str]) -> None:
    _, admin = shop
    other = factory.merchant()
    other_admin = factory.admin_key(other.licensee_id, email="boss@other.example")
    theirs = agent_id(api, other_admin, "one@shop.example")

    _, team, _ = api.call("GET", "/v1/admin/agents", headers=bearer(admin))
    assert theirs not in {a["id"] for a in team["items"]}
    assert {a["email"] for a in team["items"]} == {"one@shop.example", "admin@shop.example"}

    status, answer, _ = api.call("DELETE", f"/v1/admin/agents/{theirs}", headers=bearer(admin))
    assert status == 404 and answer["error"]["code"] == "UNKNOWN_AGENT"
    status, _, _ = api.call("GET", "/v1/agent/agents", headers=bearer(other.agent_key))
    assert status == 200  # their agent's key still works

    api.call("PUT", "/v1/admin/settings", {"chat_hours": "mon-fri 10:00-16:00"}, bearer(other_admin))
    _, mine, _ = api.call("GET", "/v1/admin/settings", headers=bearer(admin))
    assert mine["chat_hours"] == "always"


def test_an_admin_adds_agents_until_the_seat_limit_refuses_the_next(api: Api, shop: tuple[Merchant, str],
                                                                    services: bootstrap.Services) -> None:
    merchant, admin = shop  # 3 seats: agent one and the admin hold two
    status, added, _ = api.call("POST", "/v1/admin/agents", {"name": "王芳", "email": "Wang@Shop.example"},
                                bearer(admin))
    assert status == 201 and added["key"].startswith("kf_agent") and added["role"] == "agent"
    assert added["email"] == "wang@shop.example" and added["active"] is True
    status, answer, _ = api.call("PUT", "/v1/agent/presence", {"status": "online"}, bearer(added["key"]))
    assert status == 200 and answer["name"] == "王芳"

    status, refused, _ = api.call("POST", "/v1/admin/agents", {"name": "Four", "email": "four@shop.example"},
                                  bearer(admin))
    assert status == 409 and refused["error"]["code"] == "SEAT_LIMIT"
    _, team, _ = api.call("GET", "/v1/admin/agents", headers=bearer(admin))
    assert (team["seats"], team["used"]) == (3, 3)
    assert all("key" not in a for a in team["items"])  # a key is shown once, on issue

    status, removed, _ = api.call("DELETE", f"/v1/admin/agents/{added['id']}", headers=bearer(admin))
    assert status == 200 and removed["active"] is False
    services.licensing._key_refs.clear()  # another instance would not have the key cached
    services.licensing._licenses.clear()
    status, answer, _ = api.call("PUT", "/v1/agent/presence", {"status": "online"}, bearer(added["key"]))
    assert status == 401 and answer["error"]["code"] == "UNKNOWN_KEY"
    status, again, _ = api.call("POST", "/v1/admin/agents", {"name": "Four", "email": "four@shop.example",
                                                             "role": "admin"}, bearer(admin))
    assert status == 201 and again["role"] == "admin"

    actions = [(r.action, r.actor) for r in audit_store.history(f"licensee:{merchant.licensee_id}")]
    me = agent_id(api, admin, "admin@shop.example")
    assert actions.count(("key.issued", f"admin:{me}")) == 2
    assert ("key.revoked", f"admin:{me}") in actions


def test_an_admin_cannot_remove_their_own_key_nor_a_revoked_one(api: Api, shop: tuple[Merchant, str]) -> None:
    _, admin = shop
    me = agent_id(api, admin, "admin@shop.example")
    status, answer, _ = api.call("DELETE", f"/v1/admin/agents/{me}", headers=bearer(admin))
    assert status == 409 and answer["error"]["code"] == "CANNOT_REMOVE_SELF"
    one = agent_id(api, admin, "one@shop.example")
    assert api.call("DELETE", f"/v1/admin/agents/{one}", headers=bearer(admin))[0] == 200
    status, answer, _ = api.call("DELETE", f"/v1/admin/agents/{one}", headers=bearer(admin))
    assert status == 409 and answer["error"]["code"] == "ALREADY_REVOKED"


def test_an_admin_sets_chat_hours_widget_texts_and_acknowledgements_per_language(
        api: Api, shop: tuple[Merchant, str], services: bootstrap.Services) -> None:
    merchant, admin = shop
    _, before, _ = api.call("GET", "/v1/admin/settings", headers=bearer(admin))
    assert before["timezone"] == "Asia/Shanghai" and before["chat_hours"] == "always"
    assert before["widget_texts"]["zh-CN"] == {"greeting": "", "offline": ""}
    status, after, _ = api.call("PUT", "/v1/admin/settings", {
        "chat_hours": "mon-fri 09:00-18:00", "widget_texts": {"zh-CN": {"greeting": "您好，欢迎光临！"},
                                                             "en": {"offline": "We are closed."}},
        "acknowledgement_texts": {"zh-CN": "已收到您的邮件，工单 #{number}。", "en": "Ticket #{number} received."}},
        bearer(admin))
    assert status == 200, after
    assert after["chat_hours"] == "mon 09:00-18:00, tue 09:00-18:00, wed 09:00-18:00, thu 09:00-18:00, " \
                                  "fri 09:00-18:00"
    assert after["widget_texts"] == {"zh-CN": {"greeting": "您好，欢迎光临！", "offline": ""},
                                     "en": {"greeting": "", "offline": "We are closed."}}
    assert after["acknowledgement_texts"]["en"] == "Ticket #{number} received."
    _, config, _ = api.call("GET", "/v1/widget/config", headers={"x-widget-key": merchant.widget_key,
                                                                 "origin": "https://shop.example"})
    assert config["hours"] == after["chat_hours"]

    # a second change of one language keeps the other's
    _, later, _ = api.call("PUT", "/v1/admin/settings", {"widget_texts": {"en": {"greeting": "Hi!"}}}, bearer(admin))
    assert later["widget_texts"]["zh-CN"]["greeting"] == "您好，欢迎光临！"
    assert later["widget_texts"]["en"] == {"greeting": "Hi!", "offline": "We are closed."}

    me = agent_id(api, admin, "admin@shop.example")
    chat_actions = {(r.action, r.actor) for r in audit_store.history(f"chat:{merchant.licensee_id}")}
    assert {("chat.hours_set", f"admin:{me}"), ("chat.texts_set", f"admin:{me}")} <= chat_actions
    mail_actions = {(r.action, r.actor) for r in audit_store.history(f"licensee:{merchant.licensee_id}")}
    assert ("mail.settings_changed", f"admin:{me}") in mail_actions


@pytest.mark.parametrize(("body", "code"), [
    ({"chat_hours": "someday 9-5"}, "INVALID_HOURS"), ({"timezone": "Mars/Olympus"}, "INVALID_TIMEZONE"),
    ({"widget_texts": {"fr": {"greeting": "Salut"}}}, "UNKNOWN_LOCALE"),
    ({"widget_texts": {"en": {"farewell": "Bye"}}}, "UNKNOWN_FIELD"), ({"colour": "red"}, "UNKNOWN_FIELD"),
    ({"acknowledgement_texts": {"en": 5}}, "WRONG_TYPE")])
def test_bad_settings_are_refused_and_change_nothing(api: Api, shop: tuple[Merchant, str], body: dict[str, Any],
                                                     code: str) -> None:
    _, admin = shop
    status, answer, _ = api.call("PUT", "/v1/admin/settings", {**body, "acknowledge": False}, bearer(admin))
    assert status == 400 and answer["error"]["code"] == code
    _, now, _ = api.call("GET", "/v1/admin/settings", headers=bearer(admin))
    assert now["acknowledge"] is True and now["chat_hours"] == "always"


def test_an_admin_sees_the_shops_held_mail_with_its_reason_and_releases_spam_but_not_a_spoofed_mail(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory)
    admin = factory.admin_key(owner.licensee_id)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    deliver(services, raw_mail("anna@example.org", address, subject="Not spam, my order"), [address],
            Verdicts(spam="FAIL", virus="PASS"))
    deliver(services, raw_mail("bank@example.org", address, subject="Verify your account"), [address],
            Verdicts(spam="PASS", virus="PASS", dmarc="FAIL", dmarc_policy="reject"))
    other, other_address = mail_merchant(services, factory)
    deliver(services, raw_mail("x@example.org", other_address, subject="Someone else's"), [other_address],
            Verdicts(spam="FAIL", virus="PASS"))

    _, held, _ = api.call("GET", "/v1/admin/held-mail", headers=bearer(admin))
    by_subject = {h["subject"]: h for h in held["items"]}
    assert set(by_subject) == {"Not spam, my order", "Verify your account"}
    spam, spoofed = by_subject["Not spam, my order"], by_subject["Verify your account"]
    assert (spam["reason"], spam["releasable"]) == ("spam", True) and spam["reason_text"]
    assert (spoofed["reason"], spoofed["releasable"]) == ("spoofed", False)

    status, answer, _ = api.call("POST", f"/v1/admin/held-mail/{spoofed['ses_id']}/release", headers=bearer(admin))
    assert status == 409 and answer["error"]["code"] == "NOT_RELEASABLE"
    _, theirs, _ = api.call("GET", "/v1/admin/held-mail", headers=bearer(factory.admin_key(other.licensee_id)))
    status, answer, _ = api.call("POST", f"/v1/admin/held-mail/{theirs['items'][0]['ses_id']}/release",
                                 headers=bearer(admin))
    assert status == 404 and answer["error"]["code"] == "UNKNOWN_HELD_MAIL"

    status, released, _ = api.call("POST", f"/v1/admin/held-mail/{spam['ses_id']}/release", headers=bearer(admin))
    assert status == 200 and released["result"] == "released"
    _, tickets, _ = api.call("GET", "/v1/agent/tickets", headers=bearer(owner.agent_key))
    assert [t["subject"] for t in tickets["items"]] == ["Not spam, my order"]
    me = agent_id(api, admin, "admin@shop.example")
    assert ("mail.released", f"admin:{me}") in {(r.action, r.actor)
                                                for r in audit_store.history(f"licensee:{owner.licensee_id}")}
