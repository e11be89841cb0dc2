"""The contact view: one customer of a shop, asked for by email address or phone number, with their tickets,
chats and calls together, one hop further (a number the customer wrote in a ticket brings its calls); another
shop's agent gets an empty view of the same customer, never the first shop's records."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from chalicelib import bootstrap
from chalicelib.licensing.model import Channel
from tests.e2e.conftest import Api
from tests.e2e.test_phone import number_for
from tests.factories import ORIGIN, Factory
from tests.mail_helpers import deliver, mail_merchant, raw_mail

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_a_customers_tickets_chats_and_calls_come_together_by_email_or_phone(
        kefu: Any, api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory, channels=(Channel.CHAT, Channel.EMAIL, Channel.PHONE))
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    kefu("phone", "numbers", "add", owner.licensee_id, number_for(owner))
    deliver(services, raw_mail("anna@example.org", address, subject="物流查询 电话 138 0013 8000",
                               body="我的订单 8841 到哪了？"), [address])
    deliver(services, raw_mail("bob@example.org", address, subject="发票", body="请开发票。"), [address])
    api.call("POST", "/v1/widget/conversations",
             {"text": "有货吗", "visitor": {"name": "安娜", "email": "Anna@example.org"}},
             {"x-widget-key": owner.widget_key, "origin": ORIGIN})
    kefu("phone", "simulate", owner.licensee_id, "--from", "+8613800138000", "--missed", "--duration", "20")
    kefu("phone", "simulate", owner.licensee_id, "--from", "+8613900139000", "--missed", "--duration", "20")

    status, view, _ = api.call("GET", f"/v1/agent/contacts/{quote('anna@example.org')}",
                               headers=bearer(owner.agent_key))
    assert status == 200, view
    assert view["contact"]["emails"] == ["anna@example.org"] and view["contact"]["phones"] == ["+8613800138000"]
    # nobody was online: the chat left its message as a ticket too, of the same customer
    assert sorted(t["title"] for t in view["tickets"]) == ["在线客服留言：有货吗", "物流查询 电话 138 0013 8000"]
    assert [c["title"] for c in view["chats"]] == ["安娜"]
    assert [c["caller"] for c in view["calls"]] == ["+8613800138000"]

    status, by_phone, _ = api.call("GET", "/v1/agent/contacts/138%200013%208000", headers=bearer(owner.agent_key))
    assert status == 200
    assert by_phone["contact"]["phones"] == ["+8613800138000"] and "anna@example.org" in by_phone["contact"]["emails"]
    assert {t["id"] for t in by_phone["tickets"]} == {t["id"] for t in view["tickets"]}
    assert [c["title"] for c in by_phone["chats"]] == ["安娜"]
    assert [c["id"] for c in by_phone["calls"]] == [c["id"] for c in view["calls"]]

    other = factory.merchant(channels=(Channel.CHAT, Channel.EMAIL, Channel.PHONE))
    _, theirs, _ = api.call("GET", "/v1/agent/contacts/anna%40example.org", headers=bearer(other.agent_key))
    assert (theirs["tickets"], theirs["chats"], theirs["calls"]) == ([], [], [])
    status, body, _ = api.call("GET", "/v1/agent/contacts/nobody", headers=bearer(owner.agent_key))
    assert status == 400 and body["error"]["code"] == "INVALID_CONTACT"


def test_a_shop_without_phone_sees_no_calls_in_a_contact(api: Api, factory: Factory,
                                                        services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address, subject="电话 13800138000"), [address])
    _, view, _ = api.call("GET", "/v1/agent/contacts/anna%40example.org", headers=bearer(owner.agent_key))
    assert view["calls"] == [] and len(view["tickets"]) == 1
