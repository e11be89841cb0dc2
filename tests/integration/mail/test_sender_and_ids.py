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
