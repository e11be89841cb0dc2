"""Tickets get what chats have, through HTTP on DynamoDB Local: new tickets go in turn to the agents online,
agents assign, note, set pending, close and reopen; their replies carry their names; an agent's new email
opens a ticket that the customer's answer threads onto; another merchant's agents see none of it."""

from __future__ import annotations

import email
from email import policy
from typing import Any

from chalicelib import bootstrap
from chalicelib.audit import store as audit_store
from tests.e2e.conftest import Api
from tests.factories import Factory
from tests.mail_helpers import deliver, mail_merchant, raw_mail


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def ticket_of(api: Api, key: str, subject: str, status: str = "open") -> dict[str, Any]:
    _, listed, _ = api.call("GET", f"/v1/agent/tickets?status={status}", headers=bearer(key))
    return next(t for t in listed["items"] if t["subject"] == subject)


def test_new_tickets_go_in_turn_to_the_agents_online_and_agents_assign_note_close_and_reopen(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    two = services.licensing.issue_agent_key(owner.licensee_id, "王芳", "wang@shop.example", "test")
    for key in (owner.agent_key, two.secret):
        assert api.call("PUT", "/v1/agent/presence", {"status": "online"}, bearer(key))[0] == 200
    for n in range(1, 5):
        deliver(services, raw_mail("anna@example.org", address, subject=f"订单 {n}"), [address])
    names = [ticket_of(api, owner.agent_key, f"订单 {n}")["assignee"]["name"] for n in range(1, 5)]
    assert sorted(names[:2]) == ["Agent One", "王芳"] and names[2:] == names[:2]  # in turn

    ticket = ticket_of(api, owner.agent_key, "订单 1")
    assert ticket["number"] == 1 and ticket["preview"] == "Hello, my tea has not arrived."
    path = f"/v1/agent/tickets/{ticket['id']}"
    _, nobody, _ = api.call("POST", f"{path}/assign", {"agent_id": None}, bearer(owner.agent_key))
    assert nobody["assignee"] is None
    _, assigned, _ = api.call("POST", f"{path}/assign", {"agent_id": two.key.key_id}, bearer(owner.agent_key))
    assert assigned["assignee"] == {"id": two.key.key_id, "name": "王芳"}
    _, mine, _ = api.call("POST", f"{path}/assign", {"agent_id": "me"}, bearer(owner.agent_key))
    assert mine["assignee"]["name"] == "Agent One"
    status, _, _ = api.call("POST", f"{path}/notes", {"text": "客户是老顾客，优先处理。"}, bearer(two.secret))
    assert status == 201

    assert api.call("POST", f"{path}/status", {"status": "pending"}, bearer(owner.agent_key))[1]["status"] \
        == "pending"
    assert ticket_of(api, owner.agent_key, "订单 1", "pending")["id"] == ticket["id"]
    assert api.call("POST", f"{path}/status", {"status": "closed"}, bearer(owner.agent_key))[1]["status"] == "closed"
    assert ticket["id"] not in {t["id"] for t in api.call("GET", "/v1/agent/tickets", headers=bearer(
        owner.agent_key))[1]["items"]}
    assert api.call("POST", f"{path}/status", {"status": "open"}, bearer(owner.agent_key))[1]["status"] == "open"

    _, shown, _ = api.call("GET", path, headers=bearer(owner.agent_key))
    assert [(n["agent_name"], n["text"]) for n in shown["notes"]] == [("王芳", "客户是老顾客，优先处理。")]
    actions = [r.action for r in audit_store.history(f"licensee:{owner.licensee_id}")]
    assert actions.count("ticket.assigned") == 3 and {"ticket.pending", "ticket.closed", "ticket.open"} <= set(actions)


def test_an_agents_reply_carries_their_name_to_the_customer_and_in_the_thread(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    deliver(services, raw_mail("anna@example.org", address, subject="发票"), [address])
    ticket = ticket_of(api, owner.agent_key, "发票")
    status, reply, _ = api.call("POST", f"/v1/agent/tickets/{ticket['id']}/replies", {"text": "已开具。"},
                                bearer(owner.agent_key))
    assert status == 201 and reply["agent_name"] == "Agent One" and reply["direction"] == "outbound"
    _, outbox, _ = api.call("GET", "/v1/agent/outbox", headers=bearer(owner.agent_key))
    sent = email.message_from_bytes(services.mailer.read(outbox["items"][0]["id"]),  # type: ignore[attr-defined]
                                    policy=policy.default)
    assert sent["From"].addresses[0].display_name == "Agent One (Test Shop)"


def test_an_agents_new_email_opens_a_ticket_once_and_the_customers_answer_threads_onto_it(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, _ = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    body = {"to": "Li.Lei@Customer.example", "subject": "您的订单 8841 已发货", "text": "预计两天送达。",
            "client_id": "new-ticket-0001"}
    status, started, _ = api.call("POST", "/v1/agent/tickets", body, bearer(owner.agent_key))
    assert status == 201, started
    assert started["contact"] == "li.lei@customer.example" and started["status"] == "pending"
    assert started["assignee"]["name"] == "Agent One" and started["number"] == 1
    assert [m["agent_name"] for m in started["messages"]] == ["Agent One"]
    again = api.call("POST", "/v1/agent/tickets", body, bearer(owner.agent_key))[1]
    assert again["id"] == started["id"]  # the same request twice opens one ticket and sends one mail
    _, outbox, _ = api.call("GET", "/v1/agent/outbox", headers=bearer(owner.agent_key))
    assert [m["subject"] for m in outbox["items"]] == ["Re: 您的订单 8841 已发货 [#1]"]

    sent = email.message_from_bytes(services.mailer.read(outbox["items"][0]["id"]),  # type: ignore[attr-defined]
                                    policy=policy.default)
    answer = raw_mail("li.lei@customer.example", str(sent["Reply-To"]), subject="Re: 您的订单 8841 已发货 [#1]",
                      body="谢谢！", extra=f"In-Reply-To: {sent['Message-ID']}\r\n")
    deliver(services, answer, [str(sent["Reply-To"])])
    _, shown, _ = api.call("GET", f"/v1/agent/tickets/{started['id']}", headers=bearer(owner.agent_key))
    assert shown["status"] == "open" and [m["direction"] for m in shown["messages"]] == ["outbound", "inbound"]


def test_bad_new_tickets_are_refused(api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, _ = mail_merchant(services, factory)
    for body, code in (({"to": "nobody", "subject": "s", "text": "t"}, "INVALID_EMAIL"),
                       ({"to": "a@b.example", "subject": "", "text": "t"}, "EMPTY_FIELD"),
                       ({"to": "a@b.example", "subject": "s"}, "MISSING_FIELD")):
        status, answer, _ = api.call("POST", "/v1/agent/tickets", body, bearer(owner.agent_key))
        assert status == 400 and answer["error"]["code"] == code
    bare = factory.merchant()  # no support address yet
    status, answer, _ = api.call("POST", "/v1/agent/tickets", {"to": "a@b.example", "subject": "s", "text": "t"},
                                 bearer(bare.agent_key))
    assert status == 409 and answer["error"]["code"] == "NO_SUPPORT_ADDRESS"


def test_another_merchants_agent_cannot_assign_note_or_see_a_ticket(api: Api, factory: Factory,
                                                                    services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address, subject="私密"), [address])
    ticket = ticket_of(api, owner.agent_key, "私密")
    other = factory.merchant()
    for method, suffix, body in (("POST", "/assign", {"agent_id": "me"}), ("POST", "/notes", {"text": "x"}),
                                 ("GET", "", None)):
        status, answer, _ = api.call(method, f"/v1/agent/tickets/{ticket['id']}{suffix}", body,
                                     bearer(other.agent_key))
        assert status == 404 and answer["error"]["code"] == "UNKNOWN_TICKET"
    other_agent = services.licensing.validate(other.agent_key, None).key
    assert other_agent is not None
    status, answer, _ = api.call("POST", f"/v1/agent/tickets/{ticket['id']}/assign", {"agent_id": other_agent.key_id},
                                 bearer(owner.agent_key))
    assert status == 404 and answer["error"]["code"] == "UNKNOWN_AGENT"
