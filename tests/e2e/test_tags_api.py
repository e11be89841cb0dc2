"""Tags on a shop's conversations and tickets: set and replaced by any agent, folded so that VIP and vip are
one tag, filtered on in the inbox, found by search, listed with their counts, audited with the agent's key id;
another shop's agent can neither read nor change them."""

from __future__ import annotations

from typing import Any

from chalicelib import bootstrap
from chalicelib.audit import store as audit_store
from tests.e2e.conftest import Api
from tests.factories import ORIGIN, Factory
from tests.mail_helpers import deliver, mail_merchant, raw_mail


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def _shop(api: Api, factory: Factory, services: bootstrap.Services) -> tuple[Any, str, str]:
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    deliver(services, raw_mail("anna@example.org", address, subject="退款申请", body="茶壶坏了。"), [address])
    _, tickets, _ = api.call("GET", "/v1/agent/tickets", headers=bearer(owner.agent_key))
    _, chat, _ = api.call("POST", "/v1/widget/conversations", {"text": "有货吗", "visitor": {"name": "李雷"}},
                          {"x-widget-key": owner.widget_key, "origin": ORIGIN})
    return owner, tickets["items"][0]["id"], chat["id"]


def test_agents_tag_tickets_and_chats_and_the_inbox_filters_and_search_finds_by_tag(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, ticket, chat = _shop(api, factory, services)
    agent = bearer(owner.agent_key)
    status, body, _ = api.call("PUT", f"/v1/agent/tickets/{ticket}/tags", {"tags": ["退款", " VIP ", "vip"]}, agent)
    assert status == 200 and body == {"kind": "ticket", "id": ticket, "tags": ["退款", "vip"]}
    status, body, _ = api.call("PUT", f"/v1/agent/conversations/{chat}/tags", {"tags": ["VIP"]}, agent)
    assert status == 200 and body["tags"] == ["vip"]
    assert api.call("GET", f"/v1/agent/tickets/{ticket}/tags", headers=agent)[1]["tags"] == ["退款", "vip"]

    _, listed, _ = api.call("GET", "/v1/agent/inbox?view=open", headers=agent)
    assert {(e["kind"], tuple(e["tags"])) for e in listed["items"]} == {("ticket", ("退款", "vip")), ("chat", ("vip",))}
    _, vip, _ = api.call("GET", "/v1/agent/inbox?view=open&tag=VIP", headers=agent)
    assert {e["id"] for e in vip["items"]} == {ticket, chat}
    _, refunds, _ = api.call("GET", "/v1/agent/inbox?view=open&tag=%E9%80%80%E6%AC%BE", headers=agent)
    assert [e["id"] for e in refunds["items"]] == [ticket]
    _, closed, _ = api.call("GET", "/v1/agent/inbox?view=closed&tag=vip", headers=agent)
    assert closed["items"] == []

    _, found, _ = api.call("GET", "/v1/agent/search?q=tag:vip", headers=agent)
    assert {e["id"] for e in found["items"]} == {ticket, chat}
    _, found, _ = api.call("GET", "/v1/agent/search?q=vip", headers=agent)
    assert {e["id"] for e in found["items"]} >= {ticket, chat}
    _, used, _ = api.call("GET", "/v1/agent/tags", headers=agent)
    assert used["items"] == [{"tag": "vip", "count": 2}, {"tag": "退款", "count": 1}]

    status, body, _ = api.call("PUT", f"/v1/agent/tickets/{ticket}/tags", {"tags": ["vip"]}, agent)
    assert body["tags"] == ["vip"]
    _, refunds, _ = api.call("GET", "/v1/agent/inbox?view=open&tag=%E9%80%80%E6%AC%BE", headers=agent)
    assert refunds["items"] == []
    changes = [r for r in audit_store.history(f"licensee:{owner.licensee_id}") if r.action.endswith(".tagged")]
    assert [(r.action, r.details["added"], r.details["removed"]) for r in changes] == [
        ("ticket.tagged", ["退款", "vip"], []), ("chat.tagged", ["vip"], []), ("ticket.tagged", [], ["退款"])]
    key = services.licensing.validate(owner.agent_key, None).key
    assert key is not None and {r.actor for r in changes} == {f"agent:{key.key_id}"}


def test_a_tag_is_refused_when_it_is_too_long_has_a_comma_or_there_are_too_many(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, ticket, _ = _shop(api, factory, services)
    path, agent = f"/v1/agent/tickets/{ticket}/tags", bearer(owner.agent_key)
    for tags, code in ((["a" * 33], "INVALID_TAG"), (["a,b"], "INVALID_TAG"),
                       ([f"t{n}" for n in range(11)], "TOO_MANY_TAGS"), ("vip", "WRONG_TYPE")):
        status, body, _ = api.call("PUT", path, {"tags": tags}, agent)
        assert status == 400 and body["error"]["code"] == code, (tags, body)
    assert api.call("GET", path, headers=agent)[1]["tags"] == []


def test_another_shops_agent_can_neither_read_nor_tag(api: Api, factory: Factory,
                                                      services: bootstrap.Services) -> None:
    owner, ticket, chat = _shop(api, factory, services)
    api.call("PUT", f"/v1/agent/tickets/{ticket}/tags", {"tags": ["vip"]}, bearer(owner.agent_key))
    other, _ = mail_merchant(services, factory)
    for path in (f"/v1/agent/tickets/{ticket}/tags", f"/v1/agent/conversations/{chat}/tags"):
        assert api.call("GET", path, headers=bearer(other.agent_key))[0] == 404
        assert api.call("PUT", path, {"tags": ["x"]}, bearer(other.agent_key))[0] == 404
    assert api.call("GET", "/v1/agent/inbox?tag=vip", headers=bearer(other.agent_key))[1]["items"] == []
    assert api.call("GET", "/v1/agent/tags", headers=bearer(other.agent_key))[1]["items"] == []
