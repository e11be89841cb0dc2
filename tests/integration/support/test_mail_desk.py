"""Mail to the licensor's support address, through the same inbound mail handler SES events reach: a licensee's
mail opens a technical-support request whose clocks start at receipt, its answers thread into it, a retried
mail changes nothing twice, and mail from strangers or spam is held with its raw mail."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from chalicelib import bootstrap
from chalicelib.core.clock import FixedClock
from chalicelib.mail.model import Verdicts
from tests.factories import Factory
from tests.mail_helpers import deliver

SHANGHAI = ZoneInfo("Asia/Shanghai")


def mail(sender: str, to: str, subject: str, text: str, message_id: str, in_reply_to: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(text)
    return message.as_bytes()


def licensee_with_address(services: bootstrap.Services, factory: Factory) -> tuple[str, str]:
    """A licensee whose agent writes from an address no other licensee has."""
    licensee_id = factory.merchant().licensee_id
    address = f"zhang-{licensee_id.replace('_', '-')}@shop.example"
    services.licensing.issue_agent_key(licensee_id, "Zhang", address, "test")
    return licensee_id, address


def test_a_licensees_mail_opens_a_request_with_clocks_from_receipt_and_answers_thread_into_it(
        services: bootstrap.Services, factory: Factory, clock: FixedClock) -> None:
    licensee_id, sender = licensee_with_address(services, factory)
    desk = services.settings.licensor_support_address
    clock.current = datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)
    first_id = f"<desk-{licensee_id}@shop.example>"
    [outcome] = deliver(services, mail(f"Zhang <{sender}>", desk, "工作台无法登录", "坐席登录后白屏。", first_id),
                        [desk])
    assert outcome["result"] == "delivered" and outcome["new_ticket"] is True
    request = services.support.show(outcome["ticket_id"])
    assert request["licensee"] == licensee_id and request["via"] == "email"
    assert request["opened_at"] == "2026-09-30T17:00:00+08:00"
    assert request["first_response_due"] == "2026-10-08T12:00:00+08:00"  # business minutes, National Day off
    assert request["messages"][0]["text"] == "坐席登录后白屏。"

    [again] = deliver(services, mail(f"Zhang <{sender}>", desk, "工作台无法登录", "坐席登录后白屏。", first_id), [desk])
    assert again["result"] == "duplicate" and again["ticket_id"] == request["id"]
    assert [r["id"] for r in services.support.of_licensee(licensee_id)] == [request["id"]]

    services.support.staff_reply(request["id"], "staff:li", "请清除缓存。", wait_for_merchant=True)
    [tagged] = deliver(services, mail(sender, desk, f"Re: [{request['id']}] 工作台无法登录", "还是白屏。",
                                      f"<desk-2-{licensee_id}@shop.example>"), [desk])
    assert tagged["result"] == "delivered" and tagged["ticket_id"] == request["id"]
    assert services.support.show(request["id"])["status"] == "open"  # the merchant answered: the licensor's turn
    [replied] = deliver(services, mail(sender, desk, "补充", "截图见附件。", f"<desk-3-{licensee_id}@shop.example>",
                                       in_reply_to=first_id), [desk])
    assert replied["ticket_id"] == request["id"]
    assert [m["text"] for m in services.support.show(request["id"])["messages"]][-2:] == ["还是白屏。", "截图见附件。"]

    services.support.close(request["id"], "staff:li")
    [reopened] = deliver(services, mail(sender, desk, f"Re: [{request['id']}] 又坏了", "又白屏了。",
                                        f"<desk-4-{licensee_id}@shop.example>"), [desk])
    assert reopened["new_ticket"] is True and reopened["ticket_id"] != request["id"]  # a closed one stays closed


def test_mail_from_strangers_and_spam_is_held_with_its_raw_mail(services: bootstrap.Services,
                                                                factory: Factory) -> None:
    licensee_id, sender = licensee_with_address(services, factory)
    desk = services.settings.licensor_support_address
    [stranger] = deliver(services, mail("someone@elsewhere.example", desk, "Hello", "Who are you?",
                                        f"<stranger-{licensee_id}@elsewhere.example>"), [desk])
    assert stranger["result"] == "held" and stranger["reason"] == "unknown_address"
    [spam] = deliver(services, mail(sender, desk, "Cheap", "Buy now", f"<spam-{licensee_id}@shop.example>"), [desk],
                     Verdicts(spam="FAIL", virus="PASS"))
    assert spam["result"] == "held" and spam["reason"] == "spam"
    assert services.support.of_licensee(licensee_id) == []
    held = {h["subject"] for h in services.mail.held(None)}
    assert {"Hello", "Cheap"} <= held


def test_mail_from_a_notice_address_opens_a_request_and_from_a_shared_address_is_held(
        services: bootstrap.Services, factory: Factory) -> None:
    from datetime import date

    licensee_id, _ = licensee_with_address(services, factory)
    desk = services.settings.licensor_support_address
    notice = f"Finance-{licensee_id.replace('_', '-')}@Shop.Example"
    services.licensing.amend(licensee_id, date(2026, 6, 1), "test", notice_address=notice)
    [opened] = deliver(services, mail(f"财务 <{notice.lower()}>", desk, "发票", "请开发票。",
                                      f"<notice-{licensee_id}@shop.example>"), [desk])
    assert opened["result"] == "delivered" and services.support.show(opened["ticket_id"])["licensee"] == licensee_id

    other = factory.merchant().licensee_id
    services.licensing.issue_agent_key(other, "Qian", notice.lower(), "test")  # now two licensees name it
    [shared] = deliver(services, mail(notice, desk, "发票", "还是我。", f"<shared-{licensee_id}@shop.example>"), [desk])
    assert shared["result"] == "held" and shared["reason"] == "unknown_address"
    assert services.support.of_licensee(other) == []
