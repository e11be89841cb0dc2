"""Mail into tickets on DynamoDB Local: threading in the store, idempotency, quarantine, strangers, tenants."""

from __future__ import annotations

import email
import threading
from datetime import date, timedelta
from email import policy

import pytest

from chalicelib.bootstrap import Services
from chalicelib.core.blobs import BlobNotFound
from chalicelib.licensing.model import Channel
from chalicelib.mail.model import Verdicts
from chalicelib.metrics import MemorySink
from tests.factories import Factory
from tests.mail_helpers import deliver, mail_merchant, raw_mail
from tests.unit.mail.helpers import fixture_bytes


def only_ticket(services: Services, licensee_id: str) -> dict:  # type: ignore[type-arg]
    items = services.mail.list_tickets(licensee_id, "open", 100, None)["items"]
    assert len(items) == 1, items
    return services.mail.show_ticket(licensee_id, items[0]["id"])


def inbound(ticket: dict) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in ticket["messages"] if m["direction"] == "inbound"]


def outbox_mails(services: Services, licensee_id: str) -> list[email.message.EmailMessage]:
    mailer = services.mailer
    found = []
    for entry in mailer.entries(("licensee", licensee_id)):  # type: ignore[attr-defined]
        found.append(email.message_from_bytes(mailer.read(entry["id"]), policy=policy.default))  # type: ignore[attr-defined]
    return found


def test_a_new_mail_opens_a_ticket_for_its_sender_with_the_new_text_and_the_full_body(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    outcome = deliver(services, fixture_bytes("replies/qq_mail.eml").replace(b"\nTo: ", b"\nX-Old-To: "), [address])
    assert outcome[0]["result"] == "delivered" and outcome[0]["new_ticket"]
    ticket = only_ticket(services, merchant.licensee_id)
    message = ticket["messages"][0]
    assert ticket["contact"] == message["from"] and ticket["status"] == "open" and ticket["number"] == 1
    assert message["text"] and len(message["text"]) < len(message["body"])  # quoted history removed
    assert "原始邮件" in message["body"] and "原始邮件" not in message["text"]


def test_a_reply_by_in_reply_to_joins_the_ticket_and_the_agent_reply_threads_the_next_one(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address, message_id="first@client.example"), [address])
    ticket_id = only_ticket(services, merchant.licensee_id)["id"]

    reply = services.mail.reply(merchant.licensee_id, ticket_id, "Your tea ships today.", "agent:key_1")
    assert reply["delivery"]["status"] == "sent"
    sent = [m for m in outbox_mails(services, merchant.licensee_id) if m["Auto-Submitted"] is None][-1]
    assert sent["In-Reply-To"] == "<first@client.example>" and "<first@client.example>" in sent["References"]
    assert sent["Reply-To"].startswith("reply+") and sent["Subject"].endswith("[#1]")

    # The customer's client keeps only the Reply-To token: the mail still joins the ticket.
    deliver(services, raw_mail("anna@example.org", sent["Reply-To"], subject="thanks"), [sent["Reply-To"].lower()])
    # Another client keeps only In-Reply-To, pointing at our reply.
    deliver(services, raw_mail("anna@example.org", address, subject="again",
                               extra=f"In-Reply-To: {sent['Message-ID']}\r\n"), [address])
    ticket = only_ticket(services, merchant.licensee_id)
    assert [m["direction"] for m in ticket["messages"]][-2:] == ["inbound", "inbound"]
    assert ticket["message_count"] == len(ticket["messages"])


def test_the_same_mail_twice_is_one_message_whether_the_event_or_the_mail_is_repeated(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    raw = raw_mail("bob@example.org", address, message_id="once@client.example")
    results = [deliver(services, raw, [address], ses_id="sesfixed1")[0]["result"] for _ in range(2)]
    results.append(deliver(services, raw, [address], ses_id="sesother2")[0]["result"])
    assert results == ["delivered", "duplicate", "duplicate"]
    assert len(inbound(only_ticket(services, merchant.licensee_id))) == 1


def test_two_deliveries_of_one_mail_at_the_same_time_store_it_once(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    raw = raw_mail("carol@example.org", address, message_id="race@client.example")
    results: list[str] = []
    start = threading.Barrier(4)

    def run(n: int) -> None:
        start.wait()
        results.append(deliver(services, raw, [address], ses_id=f"sesrace{n}")[0]["result"])

    workers = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results) == ["delivered", "duplicate", "duplicate", "duplicate"]
    assert len(inbound(only_ticket(services, merchant.licensee_id))) == 1


def test_a_mail_without_message_id_retried_by_ses_is_still_one_message(services, factory) -> None:
    _merchant, address = mail_merchant(services, factory)
    raw = fixture_bytes("missing_from_and_id.eml").replace(b"\n\n", b"\nFrom: dave@example.org\n\n", 1)
    first = deliver(services, raw, [address], ses_id="sesnoid1")
    again = deliver(services, raw, [address], ses_id="sesnoid1")
    assert first[0]["result"] == "delivered" and again[0]["result"] == "duplicate"


def test_a_stranger_never_joins_someone_elses_ticket_by_token_message_id_or_subject_tag(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address, message_id="anna1@client.example"), [address])
    ticket_id = only_ticket(services, merchant.licensee_id)["id"]
    services.mail.reply(merchant.licensee_id, ticket_id, "Answer", "agent:key_1")
    sent = outbox_mails(services, merchant.licensee_id)[-1]
    token_address = sent["Reply-To"].lower()

    stranger = [
        deliver(services, raw_mail("mallory@evil.example", token_address), [token_address]),
        deliver(services, raw_mail("mallory@evil.example", address,
                                   extra="In-Reply-To: <anna1@client.example>\r\n"), [address]),
        deliver(services, raw_mail("mallory@evil.example", address, subject="Re: [#1] hello"), [address]),
    ]
    assert all(o[0]["ticket_id"] != ticket_id and o[0]["new_ticket"] for o in stranger)
    anna = services.mail.show_ticket(merchant.licensee_id, ticket_id)
    assert {m["from"] for m in anna["messages"] if m["direction"] == "inbound"} == {"anna@example.org"}


def test_a_colleague_cc_d_by_the_contact_may_join_the_thread(services, factory) -> None:
    _merchant, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address, message_id="cc1@client.example",
                               extra="Cc: Bob <bob@example.org>\r\n"), [address])
    outcome = deliver(services, raw_mail("bob@example.org", address, extra="In-Reply-To: <cc1@client.example>\r\n"),
                      [address])
    assert not outcome[0]["new_ticket"]


def test_another_merchants_message_ids_and_tokens_are_inert(services, factory) -> None:
    first, first_address = mail_merchant(services, factory)
    second, second_address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", first_address, message_id="a1@client.example"), [first_address])
    outcome = deliver(services, raw_mail("anna@example.org", second_address,
                                         extra="In-Reply-To: <a1@client.example>\r\n"), [second_address])
    assert outcome[0]["licensee_id"] == second.licensee_id and outcome[0]["new_ticket"]
    assert services.mail.list_tickets(second.licensee_id, "open", 10, None)["items"][0]["id"] == outcome[0]["ticket_id"]
    with pytest.raises(Exception, match="No such ticket"):
        services.mail.show_ticket(first.licensee_id, outcome[0]["ticket_id"])


@pytest.mark.parametrize(("verdicts", "raw_name", "reason"), [
    (Verdicts(spam="FAIL", virus="PASS"), None, "spam"),
    (Verdicts(spam="PASS", virus="FAIL"), None, "virus"),
    (Verdicts(spam="PASS", virus="PASS", dmarc="FAIL", dmarc_policy="reject"), None, "spoofed"),
    (Verdicts(spam="PASS", virus="PASS"), "bounce.eml", "delivery_report"),
    (Verdicts(spam="PASS", virus="PASS"), "garbage", "unreadable"),
])
def test_suspicious_or_unreadable_mail_is_quarantined_with_its_raw_message_kept_and_counted(
        services, factory, metrics: MemorySink, verdicts, raw_name, reason) -> None:
    merchant, address = mail_merchant(services, factory)
    raw = (b"\x00\x01 not a mail" if raw_name == "garbage" else
           fixture_bytes(raw_name) if raw_name else raw_mail("eve@example.org", address))
    outcome = deliver(services, raw, [address], verdicts)
    assert outcome[0]["result"] == "quarantined" and outcome[0]["reason"] == reason
    held = services.mail.held(merchant.licensee_id)
    assert held[0]["reason"] == reason and held[0]["reason_text"]
    assert services.blobs.get(held[0]["raw"]) == raw
    assert services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"] == []
    assert metrics.total("MailHeld", reason=reason) == 1


def test_mail_to_an_unknown_address_is_kept_with_the_reason_and_counted(services, metrics: MemorySink) -> None:
    address = f"nobody-{id(services)}@{services.settings.mail_domain}"
    outcome = deliver(services, raw_mail("x@example.org", address), [address])
    assert outcome[0] == {**outcome[0], "licensee_id": None, "result": "held", "reason": "unknown_address"}
    assert any(h["recipients"] == [address] for h in services.mail.held(None))
    assert metrics.total("MailHeld", reason="unknown_address") == 1


def test_mail_for_a_merchant_without_email_or_out_of_license_reaches_no_one(services, factory, clock) -> None:
    chat_only, chat_address = mail_merchant(services, factory, channels=(Channel.CHAT,))
    lapsed, lapsed_address = mail_merchant(services, factory, effective=date(2025, 1, 1))
    outcomes = [deliver(services, raw_mail("x@example.org", chat_address), [chat_address])[0],
                deliver(services, raw_mail("x@example.org", lapsed_address), [lapsed_address])[0]]
    assert [(o["result"], o["reason"]) for o in outcomes] == [("held", "channel_not_licensed"),
                                                              ("held", "license_not_in_force")]
    assert services.mail.held(chat_only.licensee_id)[0]["reason"] == "channel_not_licensed"
    assert services.mail.held(lapsed.licensee_id)[0]["reason"] == "license_not_in_force"


def test_a_new_ticket_is_acknowledged_once_marked_auto_replied_and_a_reply_is_not(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address, message_id="ack1@client.example"), [address])
    acks = outbox_mails(services, merchant.licensee_id)
    assert len(acks) == 1 and acks[0]["Auto-Submitted"] == "auto-replied"
    assert acks[0]["In-Reply-To"] == "<ack1@client.example>" and acks[0]["To"] == "anna@example.org"
    deliver(services, raw_mail("anna@example.org", address, extra="In-Reply-To: <ack1@client.example>\r\n"),
            [address])
    assert len(outbox_mails(services, merchant.licensee_id)) == 1


# Auto-replies and bounces never reach a ticket at all: tests/integration/mail/test_machine_mail.py
@pytest.mark.parametrize("header", ["List-Id: <news.shop>", "X-Loop: shop", "Precedence: list"])
def test_list_mail_opens_a_ticket_but_is_never_acknowledged(services, factory, header: str) -> None:
    merchant, address = mail_merchant(services, factory)
    outcome = deliver(services, raw_mail("robot@example.org", address, extra=f"{header}\r\n"), [address])
    assert outcome[0]["new_ticket"] and not outcome[0]["acknowledged"]
    assert outbox_mails(services, merchant.licensee_id) == []


def test_acknowledgements_are_limited_per_sender_per_hour_and_can_be_switched_off(services, factory, clock) -> None:
    merchant, address = mail_merchant(services, factory)
    acked = [deliver(services, raw_mail("busy@example.org", address), [address])[0]["acknowledged"]
             for _ in range(5)]
    assert acked == [True] * services.settings.acknowledgements_per_hour + [False] * (
        5 - services.settings.acknowledgements_per_hour)
    clock.advance(timedelta(hours=1))
    assert deliver(services, raw_mail("busy@example.org", address), [address])[0]["acknowledged"]
    services.mail.update_settings(merchant.licensee_id, "agent:key_1", acknowledge=False)
    assert not deliver(services, raw_mail("other@example.org", address), [address])[0]["acknowledged"]


def test_attachments_are_kept_in_the_blob_store_and_listed_on_the_message(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    deliver(services, fixture_bytes("attachments_rfc2231.eml"), [address])
    message = only_ticket(services, merchant.licensee_id)["messages"][0]
    assert message["attachments"] and all(a["url"] for a in message["attachments"] if a["size"])
    first = message["attachments"][0]
    part, data = services.mail.attachment(merchant.licensee_id, message_ticket(services, merchant), message["id"], 0)
    assert part.filename == first["filename"] and len(data) == first["size"]


def message_ticket(services: Services, merchant) -> str:  # type: ignore[no-untyped-def]
    return services.mail.list_tickets(merchant.licensee_id, "open", 1, None)["items"][0]["id"]


def test_a_permanent_bounce_marks_the_address_undeliverable_and_the_reply_not_delivered(services, factory) -> None:
    from chalicelib.mail.model import DeliveryEvent

    merchant, address = mail_merchant(services, factory)
    services.mail.update_settings(merchant.licensee_id, "agent:key_1", acknowledge=False)
    deliver(services, raw_mail("gone@example.org", address), [address])
    ticket_id = message_ticket(services, merchant)
    reply = services.mail.reply(merchant.licensee_id, ticket_id, "Hello", "agent:key_1")
    provider_id = next(e["id"] for e in services.mailer.entries(("licensee", merchant.licensee_id)))  # type: ignore[attr-defined]
    event = DeliveryEvent("bounce", provider_id, ("gone@example.org",), True, "Permanent/General",
                          {"licensee": merchant.licensee_id})
    assert services.mail.record_delivery_event(event)
    assert services.mail.record_delivery_event(event)  # again: nothing more changes
    ticket = services.mail.show_ticket(merchant.licensee_id, ticket_id)
    shown = next(m for m in ticket["messages"] if m["id"] == reply["id"])
    assert shown["delivery"] == {"status": "not_delivered", "detail": "Permanent/General"}
    assert ticket["contact_undeliverable"]["reason"] == "Permanent/General"
    with pytest.raises(Exception, match="does not arrive"):
        services.mail.reply(merchant.licensee_id, ticket_id, "Hello again", "agent:key_1")


def test_a_missing_raw_message_fails_the_event_so_it_is_retried(services) -> None:
    from chalicelib.mail.handler import on_inbound
    from chalicelib.mail.model import ses_event

    with pytest.raises(BlobNotFound):
        on_inbound(ses_event("sesmissing", ["x@" + services.settings.mail_domain], "x@example.org",
                             services.clock.now()), services)


def test_tickets_are_listed_newest_activity_first_page_by_page(services, factory: Factory, clock) -> None:
    merchant, address = mail_merchant(services, factory)
    services.mail.update_settings(merchant.licensee_id, "agent:key_1", acknowledge=False)
    ids = []
    for n in range(5):
        clock.advance(timedelta(minutes=1))
        ids.append(deliver(services, raw_mail(f"c{n}@example.org", address), [address])[0]["ticket_id"])
    clock.advance(timedelta(minutes=1))
    deliver(services, raw_mail("c0@example.org", address, subject="Re: [#1] more"), [address])  # bumps ticket 1
    first = services.mail.list_tickets(merchant.licensee_id, "open", 3, None)
    second = services.mail.list_tickets(merchant.licensee_id, "open", 3, first["next"])
    listed = [t["id"] for t in first["items"] + second["items"]]
    assert listed == [ids[0], ids[4], ids[3], ids[2], ids[1]]
