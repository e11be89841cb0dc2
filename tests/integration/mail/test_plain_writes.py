"""Mail that arrives is stored without a transaction: a crash between its writes leaves a retry that completes
the same items, never a second ticket or message, and nothing visible half done."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.mail.items import HeldItem, MessageIdItem, TicketItem
from tests.mail_helpers import deliver, mail_merchant, raw_mail


class Crash(Exception):
    pass


def crash_once(monkeypatch: pytest.MonkeyPatch, model: type, method: str = "save") -> None:
    """The first `method` call on `model` raises, as a function that dies between two writes."""
    original = getattr(model, method)
    state = {"crashed": False}

    def failing(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not state["crashed"] and type(self) is model:
            state["crashed"] = True
            raise Crash("the function died here")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(model, method, failing)


def quiet_merchant(services: Any, factory: Any) -> tuple[Any, str]:
    """A merchant whose tickets get no acknowledgement: every message is the customer's."""
    merchant, address = mail_merchant(services, factory)
    services.mail.update_settings(merchant.licensee_id, "test", acknowledge=False)
    return merchant, address


def tickets_of(services: Any, licensee_id: str) -> list[dict[str, Any]]:
    return services.mail.list_tickets(licensee_id, "open", 100, None)["items"]


def test_a_crash_before_a_new_ticket_is_claimed_leaves_nothing_visible_and_the_retry_stores_it_once(
        services, factory, monkeypatch) -> None:
    merchant, address = quiet_merchant(services, factory)
    raw = raw_mail("erin@example.org", address, message_id="crash-new@client.example", body="order no. A-1234")
    crash_once(monkeypatch, TicketItem)
    with pytest.raises(Crash):
        deliver(services, raw, [address], ses_id="sescrash1")
    assert tickets_of(services, merchant.licensee_id) == []  # the message and lookups written so far are unseen

    assert deliver(services, raw, [address], ses_id="sescrash1")[0]["result"] == "delivered"
    assert deliver(services, raw, [address], ses_id="sescrash1")[0]["result"] == "duplicate"
    [ticket] = tickets_of(services, merchant.licensee_id)
    shown = services.mail.show_ticket(merchant.licensee_id, ticket["id"])
    assert len(shown["messages"]) == 1 == shown["message_count"]
    store = services.mail.store
    assert store.find(merchant.licensee_id, "email:erin@example.org") == [ticket["id"]]
    assert store.find(merchant.licensee_id, "order:a-1234") == [ticket["id"]]
    assert store.ticket_by_number(merchant.licensee_id, ticket["number"]) == ticket["id"]


def test_a_crash_before_a_reply_is_claimed_leaves_a_retry_that_adds_it_once(services, factory, monkeypatch) -> None:
    merchant, address = quiet_merchant(services, factory)
    deliver(services, raw_mail("fay@example.org", address, message_id="root@client.example"), [address])
    reply = raw_mail("fay@example.org", address, subject="Re: Where is my order?", body="Any news?",
                     message_id="reply@client.example", extra="In-Reply-To: <root@client.example>\r\n")
    crash_once(monkeypatch, MessageIdItem)
    with pytest.raises(Crash):
        deliver(services, reply, [address], ses_id="sescrash2")
    assert deliver(services, reply, [address], ses_id="sescrash2")[0]["result"] == "delivered"
    assert deliver(services, reply, [address], ses_id="sescrash2")[0]["result"] == "duplicate"

    [ticket] = tickets_of(services, merchant.licensee_id)
    shown = services.mail.show_ticket(merchant.licensee_id, ticket["id"])
    assert [m["text"] for m in shown["messages"]] == ["Hello, my tea has not arrived.", "Any news?"]
    assert shown["message_count"] == 2  # the ticket was bumped once for the mail

    # a reply to the reply threads by the reply's Message-ID, written last
    again = raw_mail("fay@example.org", address, subject="hello?", extra="In-Reply-To: <reply@client.example>\r\n")
    assert deliver(services, again, [address])[0]["ticket_id"] == ticket["id"]


def test_a_crash_between_a_held_mails_two_writes_is_repaired_by_the_retry(services, factory, monkeypatch) -> None:
    merchant, address = quiet_merchant(services, factory)
    auto = raw_mail("gus@example.org", address, message_id="auto@client.example",
                    extra="Auto-Submitted: auto-replied\r\n")
    crash_once(monkeypatch, HeldItem)
    with pytest.raises(Crash):
        deliver(services, auto, [address], ses_id="sescrash3")
    assert deliver(services, auto, [address], ses_id="sescrash3")[0]["result"] == "duplicate"
    held = services.mail.held(merchant.licensee_id)
    assert [h["ses_id"] for h in held] == ["sescrash3"]
    deliver(services, auto, [address], ses_id="sescrash3")
    assert len(services.mail.held(merchant.licensee_id)) == 1


def test_a_new_tickets_reply_token_finds_its_merchant_once_we_have_mailed_it(services, factory) -> None:
    merchant, address = quiet_merchant(services, factory)
    outcome = deliver(services, raw_mail("hal@example.org", address), [address])[0]
    ticket_id = outcome["ticket_id"]
    assert services.mail.store.ticket_owner(ticket_id) is None  # no mail of ours names it yet
    services.mail.reply(merchant.licensee_id, ticket_id, "On its way.", "agent:key_1")
    assert services.mail.store.ticket_owner(ticket_id) == merchant.licensee_id
