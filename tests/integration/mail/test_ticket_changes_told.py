"""Every change an agent makes to a ticket reaches the shop's other consoles at once, as new mail does: one
inbox event per change, after the change is stored, to the merchant's "agents" audience only, saying what
changed and which agent key changed it. A push that fails never fails the change (consoles poll as well)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

import pytest

from chalicelib import bootstrap
from chalicelib.adapters import apigateway
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import Unavailable
from chalicelib.mail.model import TicketStatus
from chalicelib.metrics import MemorySink
from chalicelib.settings import Settings
from tests.mail_helpers import deliver, mail_merchant, raw_mail

ENDPOINT = "https://abc123.execute-api.ap-southeast-1.amazonaws.com/v1"


@dataclass
class Shop:
    services: bootstrap.Services  # built as on AWS: pushes go through API Gateway's Management API
    licensee_id: str
    ticket_id: str
    agent: str  # agent key ids
    colleague: str
    posts: mock.MagicMock

    def told(self) -> list[tuple[str, dict[str, Any]]]:
        """What was posted since the last look: (connection, event)."""
        found = [(c.kwargs["ConnectionId"], json.loads(c.kwargs["Data"])) for c in self.posts.call_args_list]
        self.posts.reset_mock()
        return found


@pytest.fixture
def shop(services: bootstrap.Services, factory: Any, settings: Settings, clock: FixedClock) -> Iterator[Shop]:
    merchant, address = mail_merchant(services, factory)
    licensing = services.licensing
    agent = licensing.issue_agent_key(merchant.licensee_id, "王芳", "wang@shop.example", "test:factory").key.key_id
    colleague = licensing.issue_agent_key(merchant.licensee_id, "张三", "zhang@shop.example", "test:factory").key.key_id
    on_aws = bootstrap.build(replace(settings, realtime_endpoint=ENDPOINT), clock, MemorySink())
    other, _ = mail_merchant(services, factory)
    on_aws.realtime.connected("colleague-console=", merchant.licensee_id, "agents")
    on_aws.realtime.connected("other-shop-console=", other.licensee_id, "agents")
    with mock.patch.object(apigateway.client(ENDPOINT, settings.region), "post_to_connection") as post:
        deliver(on_aws, raw_mail("buyer@example.org", address, subject="退货"), [address])
        [ticket] = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
        post.reset_mock()
        yield Shop(on_aws, merchant.licensee_id, ticket["id"], agent, colleague, post)


def test_a_reply_is_told_once_to_the_shops_consoles_after_it_is_stored(shop: Shop) -> None:
    seen_when_told: list[list[str]] = []
    shop.posts.side_effect = lambda **_: seen_when_told.append(
        [m["text"] for m in shop.services.mail.show_ticket(shop.licensee_id, shop.ticket_id)["messages"]])
    shop.services.mail.reply(shop.licensee_id, shop.ticket_id, "已为您办理退货。", f"agent:{shop.agent}", "王芳")
    assert shop.told() == [("colleague-console=", {"type": "inbox", "kind": "ticket", "id": shop.ticket_id,
                                                   "change": "reply", "by": shop.agent})]
    assert "已为您办理退货。" in seen_when_told[0]  # the colleague's console reads the reply when told


def test_a_note_is_told(shop: Shop) -> None:
    shop.services.mail.note(shop.licensee_id, shop.ticket_id, shop.agent, "王芳", "客户是老顾客")
    assert shop.told() == [("colleague-console=", {"type": "inbox", "kind": "ticket", "id": shop.ticket_id,
                                                   "change": "note", "by": shop.agent})]


@pytest.mark.parametrize("status", [TicketStatus.PENDING, TicketStatus.CLOSED])
def test_setting_pending_closing_and_reopening_are_each_told(shop: Shop, status: TicketStatus) -> None:
    mail = shop.services.mail
    mail.set_status(shop.licensee_id, shop.ticket_id, status, f"agent:{shop.agent}")
    mail.set_status(shop.licensee_id, shop.ticket_id, TicketStatus.OPEN, f"agent:{shop.colleague}")
    assert shop.told() == [
        ("colleague-console=", {"type": "inbox", "kind": "ticket", "id": shop.ticket_id, "change": "status",
                                "by": shop.agent}),
        ("colleague-console=", {"type": "inbox", "kind": "ticket", "id": shop.ticket_id, "change": "status",
                                "by": shop.colleague})]


def test_assigning_is_told_and_assigning_to_the_same_agent_again_is_not(shop: Shop) -> None:
    mail = shop.services.mail
    mail.assign(shop.licensee_id, shop.ticket_id, shop.colleague, f"agent:{shop.agent}")
    mail.assign(shop.licensee_id, shop.ticket_id, shop.colleague, f"agent:{shop.agent}")  # nothing changes
    mail.assign(shop.licensee_id, shop.ticket_id, None, f"agent:{shop.colleague}")
    assert [event for _, event in shop.told()] == [
        {"type": "inbox", "kind": "ticket", "id": shop.ticket_id, "change": "assigned", "by": shop.agent},
        {"type": "inbox", "kind": "ticket", "id": shop.ticket_id, "change": "assigned", "by": shop.colleague}]


def test_a_ticket_an_agent_starts_is_told_as_new_once_however_often_it_is_asked(shop: Shop) -> None:
    mail = shop.services.mail
    started = mail.start_ticket(shop.licensee_id, "buyer2@example.org", "您的订单", "您好", f"agent:{shop.agent}",
                                "王芳", client_id="c-1")
    mail.start_ticket(shop.licensee_id, "buyer2@example.org", "您的订单", "您好", f"agent:{shop.agent}", "王芳",
                      client_id="c-1")
    assert shop.told() == [("colleague-console=", {"type": "inbox", "kind": "ticket", "id": started["id"],
                                                   "change": "new", "by": shop.agent})]


def test_a_chat_handed_over_to_email_is_told_as_a_new_ticket_and_its_replies_as_replies(shop: Shop) -> None:
    mail = shop.services.mail
    ticket_id, opened = mail.open_ticket_from_chat(shop.licensee_id, "conv-1", "shopper@example.org", "李雷",
                                                   "访客：在吗？", "在吗？", "zh-CN")
    assert opened
    assert mail.open_ticket_from_chat(shop.licensee_id, "conv-1", "shopper@example.org", "李雷", "访客：在吗？",
                                      "在吗？", "zh-CN") == (ticket_id, False)
    assert mail.reply_from_chat(shop.licensee_id, ticket_id, "conv-1", 2, "在的", f"agent:{shop.agent}")
    assert not mail.reply_from_chat(shop.licensee_id, ticket_id, "conv-1", 2, "在的", f"agent:{shop.agent}")
    assert [event for _, event in shop.told()] == [
        {"type": "inbox", "kind": "ticket", "id": ticket_id, "change": "new"},
        {"type": "inbox", "kind": "ticket", "id": ticket_id, "change": "reply", "by": shop.agent}]


def test_a_reply_whose_mail_fails_is_told_too_for_it_stands_in_the_thread_as_failed(shop: Shop) -> None:
    mail = shop.services.mail
    with mock.patch.object(mail.mailer, "send", side_effect=OSError("smtp down")), pytest.raises(Unavailable):
        mail.reply(shop.licensee_id, shop.ticket_id, "稍后再试", f"agent:{shop.agent}", "王芳")
    assert [event["change"] for _, event in shop.told()] == ["reply"]
    assert mail.show_ticket(shop.licensee_id, shop.ticket_id)["messages"][-1]["delivery"]["status"] == "failed"


def test_a_failed_push_does_not_fail_the_change(shop: Shop) -> None:
    shop.posts.side_effect = RuntimeError("API Gateway is down")
    mail = shop.services.mail
    mail.reply(shop.licensee_id, shop.ticket_id, "已发货", f"agent:{shop.agent}", "王芳")
    mail.note(shop.licensee_id, shop.ticket_id, shop.agent, "王芳", "记一下")
    assert mail.set_status(shop.licensee_id, shop.ticket_id, TicketStatus.CLOSED, f"agent:{shop.agent}")["status"] \
        == "closed"
    assert mail.assign(shop.licensee_id, shop.ticket_id, shop.colleague, f"agent:{shop.agent}")["assignee"]["id"] \
        == shop.colleague
    assert len(shop.told()) == 4  # each was tried once


def test_a_change_refused_tells_nobody(shop: Shop) -> None:
    mail = shop.services.mail
    with pytest.raises(Exception, match="No such ticket"):
        mail.note(shop.licensee_id, "tkt-nope", shop.agent, "王芳", "?")
    with pytest.raises(Exception, match="no such agent"):
        mail.assign(shop.licensee_id, shop.ticket_id, "key_nope", f"agent:{shop.agent}")
    assert shop.told() == []

