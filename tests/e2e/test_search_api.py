"""Search across a shop's tickets, chats and customers: by ticket number, customer email, phone or name, order
number mentioned and words of the subject; another shop's data never comes back."""

from __future__ import annotations

from chalicelib import bootstrap
from tests.e2e.conftest import Api
from tests.factories import ORIGIN, Factory
from tests.mail_helpers import deliver, mail_merchant, raw_mail


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def search(api: Api, key: str, q: str) -> list[tuple[str, str]]:
    status, body, _ = api.call("GET", f"/v1/agent/search?q={q}", headers=bearer(key))
    assert status == 200, body
    return [(e["kind"], e["title"]) for e in body["items"]]


def test_an_agent_finds_tickets_chats_and_customers_of_their_own_shop_only(api: Api, factory: Factory,
                                                                          services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    deliver(services, raw_mail("anna@example.org", address, subject="物流查询",
                               body="我的订单号 8841 到哪了？电话 138 0013 8000"), [address])
    deliver(services, raw_mail("bob@example.org", address, subject="发票抬头", body="请开发票。"), [address])
    api.call("POST", "/v1/widget/conversations",
             {"text": "有货吗", "visitor": {"name": "李雷", "email": "lilei@example.org"}},
             {"x-widget-key": owner.widget_key, "origin": ORIGIN})

    assert search(api, owner.agent_key, "8841")[0] == ("ticket", "物流查询")          # order number mentioned
    assert search(api, owner.agent_key, "%231")[0] == ("ticket", "物流查询")          # "#1", the ticket number
    assert search(api, owner.agent_key, "2")[0] == ("ticket", "发票抬头")
    assert search(api, owner.agent_key, "anna@example.org")[0] == ("ticket", "物流查询")
    assert search(api, owner.agent_key, "13800138000")[0] == ("ticket", "物流查询")   # phone, without spaces
    assert search(api, owner.agent_key, "发票") == [("ticket", "发票抬头")]             # words of the subject
    assert ("chat", "李雷") in search(api, owner.agent_key, "李雷")                      # a chat by the name
    assert ("contact", "Customer") in search(api, owner.agent_key, "bob@")               # a customer by address

    other = factory.merchant()
    for q in ("8841", "%231", "anna@example.org", "李雷", "发票"):
        assert search(api, other.agent_key, q) == []
    status, body, _ = api.call("GET", "/v1/agent/search?q=", headers=bearer(owner.agent_key))
    assert status == 400 and body["error"]["code"] == "MISSING_FIELD"


def test_search_words_must_all_appear(api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address, subject="Refund for broken teapot"), [address])
    assert search(api, owner.agent_key, "broken%20teapot") == [("ticket", "Refund for broken teapot")]
    assert search(api, owner.agent_key, "broken%20kettle") == []

