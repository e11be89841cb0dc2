"""Who a mail is from, and which mail it is (issue 16): a forged From never joins someone's ticket, and a
Message-ID is compared as RFC 5322 says, a reused one with other content being kept and flagged."""

from __future__ import annotations

from chalicelib.bootstrap import Services
from tests.factories import Factory
from tests.mail_helpers import deliver, mail_merchant


def _tickets(services: Services, licensee_id: str) -> list[dict]:  # type: ignore[type-arg]
    listed = services.mail.list_tickets(licensee_id, "open", 50, None)["items"]
    return [services.mail.show_ticket(licensee_id, t["id"]) for t in listed]


def _mail(sender_header: str, to: str, message_id: str, subject: str = "Order", body: str = "Hello") -> bytes:
    return (f"From: {sender_header}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
            f"Date: Mon, 15 Jun 2026 12:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            ).encode()


def test_f3_a_from_that_shows_the_victim_but_comes_from_the_attacker_is_held_not_threaded(
        services: Services, factory: Factory) -> None:
    merchant, address = mail_merchant(services, factory)
    deliver(services, _mail("Victim <victim@example.com>", address, "v1@example.com"), [address])
    forged = _mail("victim@example.com <attacker@evil.example>", address, "a1@evil.example",
                   subject="Re: Order [#1]", body="Please send the refund to my new account.")
    [outcome] = deliver(services, forged, [address])
    assert (outcome["result"], outcome["reason"]) == ("quarantined", "suspicious_sender")
    [ticket] = _tickets(services, merchant.licensee_id)
    assert ticket["contact"] == "victim@example.com"
    assert [m["from"] for m in ticket["messages"] if m["direction"] == "inbound"] == ["victim@example.com"]
    [held] = services.mail.held(merchant.licensee_id)
    assert held["reason"] == "suspicious_sender" and held["reason_text"]


def test_f17_one_sender_opens_at_most_the_hourly_limit_of_new_tickets_the_rest_is_held_not_lost(
        services: Services, factory: Factory, clock) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace
    from datetime import timedelta

    services.mail.settings = replace(services.mail.settings, mail_tickets_per_sender_hour=2)
    merchant, address = mail_merchant(services, factory)
    results = [deliver(services, _mail("Flood <flood@example.org>", address, f"f{n}@example.org",
                                       subject=f"Order {n}"), [address])[0] for n in range(3)]
    assert [r["result"] for r in results] == ["delivered", "delivered", "quarantined"]
    assert results[2]["reason"] == "too_many_tickets"
    # a reply to one of its tickets is not a new ticket: it still arrives
    reply = _mail("Flood <flood@example.org>", address, "f9@example.org", subject="Re: Order 0",
                  body="more").replace(b"\r\n\r\n", b"\r\nIn-Reply-To: <f0@example.org>\r\n\r\n", 1)
    assert deliver(services, reply, [address])[0]["result"] == "delivered"
    assert deliver(services, _mail("Other <other@example.org>", address, "o1@example.org"), [address])[0][
        "result"] == "delivered"
    clock.advance(timedelta(hours=1))
    assert deliver(services, _mail("Flood <flood@example.org>", address, "f4@example.org", subject="Order 4"),
                   [address])[0]["result"] == "delivered"
    assert [h["reason"] for h in services.mail.held(merchant.licensee_id)] == ["too_many_tickets"]


def test_f9_message_ids_compare_as_rfc_5322_says_the_local_part_keeps_its_case(
        services: Services, factory: Factory) -> None:
    merchant, address = mail_merchant(services, factory)
    first = deliver(services, _mail("Anna <anna@example.org>", address, "Order.ABC@Client.Example",
                                    subject="First"), [address])
    again = deliver(services, _mail("Anna <anna@example.org>", address, "Order.ABC@client.example",
                                    subject="First"), [address], ses_id="sesanother1")  # domain case differs only
    other = deliver(services, _mail("Bob <bob@example.org>", address, "order.abc@client.example",
                                    subject="Second"), [address])
    assert [first[0]["result"], again[0]["result"], other[0]["result"]] == ["delivered", "duplicate", "delivered"]
    assert other[0]["new_ticket"] and len(_tickets(services, merchant.licensee_id)) == 2


def test_f9_a_reused_message_id_with_other_content_is_kept_and_flagged_and_a_redelivery_stays_one(
        services: Services, factory: Factory) -> None:
    merchant, address = mail_merchant(services, factory)
    original = _mail("Anna <anna@example.org>", address, "same@client.example", body="My order is late.")
    impostor = _mail("Anna <anna@example.org>", address, "same@client.example", subject="Order",
                     body="Cancel everything and refund to account 123.")
    results = [deliver(services, raw, [address])[0]["result"] for raw in (original, impostor, impostor, original)]
    assert results == ["delivered", "delivered", "duplicate", "duplicate"]
    inbound = {m["text"].strip(): [p["code"] for p in m["problems"]] for t in _tickets(services, merchant.licensee_id)
               for m in t["messages"] if m["direction"] == "inbound"}
    assert inbound == {"My order is late.": [], "Cancel everything and refund to account 123.": ["reused_message_id"]}
