"""Bounces and auto-replies on DynamoDB Local: never a ticket, never a customer's message, never an answer; a
delivery report about one of our replies is recorded on that reply and on its recipient."""

from __future__ import annotations

from pathlib import Path

from chalicelib.bootstrap import Services
from chalicelib.mail.loops import MailKind, classify
from chalicelib.mail.model import TicketStatus
from chalicelib.mail.parsing import parse
from tests.mail_helpers import deliver, mail_merchant, raw_mail
from tests.unit.mail.helpers import FIXTURES

AUTOMATIC = sorted(Path(FIXTURES / "automatic").glob("*.eml"))
OUR_MAIL = "0102018c1b2c3d4e-5f60718293a4b5c6-000000@ap-southeast-1.amazonses.com"


def tickets(services: Services, licensee_id: str) -> list[dict]:  # type: ignore[type-arg]
    return [t for status in ("open", "pending", "closed")
            for t in services.mail.list_tickets(licensee_id, status, 100, None)["items"]]


def sent(services: Services, licensee_id: str) -> list[dict]:  # type: ignore[type-arg]
    return list(services.mailer.entries(("licensee", licensee_id)))  # type: ignore[attr-defined]


def test_no_bounce_or_auto_reply_of_any_mta_or_client_opens_a_ticket_or_is_answered(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    outcomes = {path.stem: deliver(services, path.read_bytes(), [address])[0] for path in AUTOMATIC}
    kinds = {path.stem: classify(parse(path.read_bytes())).kind for path in AUTOMATIC}
    assert {name: (o["result"], o["reason"]) for name, o in outcomes.items()} == {
        name: ("quarantined", "delivery_report" if kinds[name] is MailKind.BOUNCE else "auto_reply")
        for name in outcomes}
    assert set(kinds.values()) == {MailKind.BOUNCE, MailKind.AUTOMATIC}  # both reasons are exercised
    assert tickets(services, merchant.licensee_id) == []
    assert sent(services, merchant.licensee_id) == []
    assert len(services.mail.held(merchant.licensee_id)) == len(AUTOMATIC)  # kept, raw and reason, not lost


def reply_to_customer(services: Services, factory, customer: str):  # type: ignore[no-untyped-def]
    merchant, address = mail_merchant(services, factory)
    services.mail.update_settings(merchant.licensee_id, "agent:key_1", acknowledge=False)
    deliver(services, raw_mail(customer, address, message_id="first@customer.example"), [address])
    ticket_id = tickets(services, merchant.licensee_id)[0]["id"]
    reply = services.mail.reply(merchant.licensee_id, ticket_id, "已为您补发。", "agent:key_1")
    stored = services.mail.store.message(merchant.licensee_id, ticket_id, reply["id"])
    assert stored is not None and stored.rfc_message_id
    return merchant, address, ticket_id, reply["id"], stored.rfc_message_id


def report_about(name: str, message_id: str, customer: str) -> bytes:
    raw = (FIXTURES / "automatic" / f"{name}.eml").read_bytes()
    return raw.replace(OUR_MAIL.encode(), message_id.encode()).replace(b"gone@customer.example", customer.encode())


def test_a_report_from_the_customers_server_marks_our_reply_not_delivered_and_the_address_undeliverable(
        services, factory) -> None:
    merchant, address, ticket_id, reply_id, message_id = reply_to_customer(services, factory, "gone@example.org")
    report = report_about("postfix", message_id, "gone@example.org")
    results = [deliver(services, report, [address], ses_id=f"sesreport{n}")[0]["result"] for n in range(2)]
    assert results == ["quarantined", "duplicate"]  # a redelivered report is held once and changes nothing more
    assert len(services.mail.held(merchant.licensee_id)) == 1
    ticket = services.mail.show_ticket(merchant.licensee_id, ticket_id)
    assert [m["direction"] for m in ticket["messages"]] == ["inbound", "outbound"]  # the report is no message
    reply = next(m for m in ticket["messages"] if m["id"] == reply_id)
    assert reply["delivery"]["status"] == "not_delivered"
    assert "User unknown" in reply["delivery"]["detail"]
    assert ticket["contact_undeliverable"] is not None


def test_a_qmail_report_in_free_text_is_read_the_same_way(services, factory) -> None:
    merchant, address, ticket_id, reply_id, message_id = reply_to_customer(services, factory, "gone2@example.org")
    deliver(services, report_about("qmail", message_id, "gone2@example.org"), [address])
    reply = next(m for m in services.mail.show_ticket(merchant.licensee_id, ticket_id)["messages"]
                 if m["id"] == reply_id)
    assert reply["delivery"] == {"status": "not_delivered",
                                 "detail": "Remote host said: 550 5.1.1 Sorry, no mailbox here by that name."}


def test_a_delay_report_marks_the_reply_delayed_and_leaves_the_address_deliverable(services, factory) -> None:
    merchant, address, ticket_id, reply_id, message_id = reply_to_customer(services, factory, "slow@example.org")
    deliver(services, report_about("tencent_exmail", message_id, "slow@example.org"), [address])
    ticket = services.mail.show_ticket(merchant.licensee_id, ticket_id)
    assert next(m for m in ticket["messages"] if m["id"] == reply_id)["delivery"]["status"] == "delayed"
    assert ticket["contact_undeliverable"] is None


def test_a_report_naming_a_customers_own_mail_marks_nothing(services, factory) -> None:
    merchant, address, ticket_id, _, _ = reply_to_customer(services, factory, "anna@example.org")
    deliver(services, report_about("postfix", "first@customer.example", "anna@example.org"), [address])
    ticket = services.mail.show_ticket(merchant.licensee_id, ticket_id)
    assert [m["delivery"]["status"] if m["delivery"] else None for m in ticket["messages"]] == [None, "sent"]
    assert ticket["contact_undeliverable"] is None


def test_an_auto_reply_to_our_reply_neither_joins_nor_reopens_the_ticket(services, factory) -> None:
    merchant, address, ticket_id, _, message_id = reply_to_customer(services, factory, "away@example.org")
    services.mail.set_status(merchant.licensee_id, ticket_id, TicketStatus.CLOSED, "agent:key_1")
    away = raw_mail("away@example.org", address, subject="自动回复: Re: 补发", body="我正在休假。",
                    extra=f"In-Reply-To: <{message_id}>\r\n")
    assert deliver(services, away, [address])[0]["result"] == "quarantined"
    ticket = services.mail.show_ticket(merchant.licensee_id, ticket_id)
    assert ticket["status"] == "closed" and len(ticket["messages"]) == 2
