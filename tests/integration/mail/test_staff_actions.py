"""Staff acting on held mail and undeliverable addresses, on DynamoDB Local: a release delivers a quarantined
mail once through the inbound path, a cleared address may be mailed again, both audited."""

from __future__ import annotations

import json
import threading
from datetime import date

import pytest

from chalicelib.audit import store as audit_store
from chalicelib.bootstrap import Services
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.mail.model import DeliveryEvent, Verdicts
from chalicelib.privacy.model import Person
from tests.mail_helpers import deliver, mail_merchant, raw_mail

SPAM = Verdicts(spam="FAIL", virus="PASS")


def quarantine(services: Services, factory, verdicts: Verdicts = SPAM, **merchant):  # type: ignore[no-untyped-def]
    owner, address = mail_merchant(services, factory, **merchant)
    services.mail.update_settings(owner.licensee_id, "agent:key_1", acknowledge=False)
    deliver(services, raw_mail("anna@example.org", address, subject="Not spam, my order"), [address], verdicts)
    held = services.mail.held(owner.licensee_id)
    assert len(held) == 1 and held[0]["released"] is None
    return owner.licensee_id, held[0]


def actions(licensee_id: str) -> list[str]:
    return [r.action for r in audit_store.history(f"licensee:{licensee_id}")]


def test_releasing_a_quarantined_mail_opens_its_ticket_and_is_audited(services, factory) -> None:
    licensee_id, held = quarantine(services, factory)
    released = services.mail.release(licensee_id, held["ses_id"], "staff:alice")
    assert released["result"] == "released" and released["new_ticket"]
    tickets = services.mail.list_tickets(licensee_id, "open", 10, None)["items"]
    assert [t["id"] for t in tickets] == [released["ticket_id"]]
    ticket = services.mail.show_ticket(licensee_id, released["ticket_id"])
    assert ticket["contact"] == "anna@example.org" and ticket["subject"] == "Not spam, my order"
    assert ticket["messages"][0]["body"].startswith("Hello, my tea")
    after = services.mail.held(licensee_id)[0]
    assert after["released"]["by"] == "staff:alice" and after["released"]["ticket_id"] == released["ticket_id"]
    record = next(r for r in audit_store.history(f"licensee:{licensee_id}") if r.action == "mail.released")
    assert record.actor == "staff:alice"
    assert record.details == {"ses_id": held["ses_id"], "reason": "spam", "ticket_id": released["ticket_id"]}


def test_releasing_twice_delivers_once(services, factory) -> None:
    licensee_id, held = quarantine(services, factory)
    first = services.mail.release(licensee_id, held["ses_id"], "staff:alice")
    again = services.mail.release(licensee_id, held["ses_id"], "staff:bob")
    assert again["result"] == "already_released" and again["ticket_id"] == first["ticket_id"]
    ticket = services.mail.show_ticket(licensee_id, first["ticket_id"])
    assert len(ticket["messages"]) == 1
    assert actions(licensee_id).count("mail.released") == 1


def test_two_releases_at_once_deliver_once(services, factory) -> None:
    licensee_id, held = quarantine(services, factory)
    results: list[dict] = []  # type: ignore[type-arg]
    start = threading.Barrier(2)

    def release(actor: str) -> None:
        start.wait()
        results.append(services.mail.release(licensee_id, held["ses_id"], actor))

    workers = [threading.Thread(target=release, args=(f"staff:{n}",)) for n in ("a", "b")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(r["result"] for r in results) == ["already_released", "released"]
    tickets = services.mail.list_tickets(licensee_id, "open", 10, None)["items"]
    assert len(tickets) == 1 and tickets[0]["message_count"] == 1
    assert actions(licensee_id).count("mail.released") == 1


def test_a_released_mail_that_arrives_again_is_a_duplicate(services, factory) -> None:
    licensee_id, held = quarantine(services, factory)
    services.mail.release(licensee_id, held["ses_id"], "staff:alice")
    raw = services.blobs.get(held["raw"])
    outcome = deliver(services, raw, held["recipients"], Verdicts(spam="PASS", virus="PASS"))
    assert outcome[0]["result"] == "duplicate"


def test_a_virus_or_an_unknown_id_is_not_released_and_nothing_is_written(services, factory) -> None:
    licensee_id, held = quarantine(services, factory, Verdicts(spam="PASS", virus="FAIL"))
    with pytest.raises(Conflict) as refused:
        services.mail.release(licensee_id, held["ses_id"], "staff:alice")
    assert refused.value.code == "NOT_RELEASABLE"
    with pytest.raises(NotFound) as unknown:
        services.mail.release(licensee_id, "sesnosuchmail", "staff:alice")
    assert unknown.value.code == "UNKNOWN_HELD_MAIL"
    assert services.mail.list_tickets(licensee_id, "open", 10, None)["items"] == []
    assert "mail.released" not in actions(licensee_id)


def test_another_merchants_held_mail_cannot_be_released_into_this_one(services, factory) -> None:
    licensee_id, held = quarantine(services, factory)
    other, _ = mail_merchant(services, factory)
    with pytest.raises(NotFound):
        services.mail.release(other.licensee_id, held["ses_id"], "staff:alice")
    assert services.mail.held(licensee_id)[0]["released"] is None


def test_mail_kept_back_by_the_license_is_released_only_while_the_license_allows_mail(services, factory) -> None:
    owner, address = mail_merchant(services, factory, effective=date(2025, 1, 1))
    deliver(services, raw_mail("x@example.org", address), [address])
    held = services.mail.held(owner.licensee_id)[0]
    assert held["reason"] == "license_not_in_force"
    with pytest.raises(Conflict) as refused:
        services.mail.release(owner.licensee_id, held["ses_id"], "staff:alice")
    assert refused.value.code == "LICENSE_BLOCKS_MAIL"
    assert services.mail.held(owner.licensee_id)[0]["released"] is None


def test_clearing_an_undeliverable_address_lets_agents_mail_it_again_and_is_audited(services, factory) -> None:
    owner, address = mail_merchant(services, factory)
    licensee_id = owner.licensee_id
    services.mail.update_settings(licensee_id, "agent:key_1", acknowledge=False)
    deliver(services, raw_mail("gone@example.org", address), [address])
    ticket_id = services.mail.list_tickets(licensee_id, "open", 1, None)["items"][0]["id"]
    services.mail.record_delivery_event(DeliveryEvent("bounce", "p-1", ("gone@example.org",), True,
                                                      "Permanent/General", {"licensee": licensee_id}))
    with pytest.raises(Conflict):
        services.mail.reply(licensee_id, ticket_id, "Hello", "agent:key_1")

    cleared = services.mail.clear_undeliverable(licensee_id, "Gone@Example.org", "staff:alice")
    assert cleared == {"licensee_id": licensee_id, "address": "gone@example.org", "undeliverable": False}
    assert services.mail.show_ticket(licensee_id, ticket_id)["contact_undeliverable"] is None
    assert services.mail.reply(licensee_id, ticket_id, "Hello again", "agent:key_1")["delivery"]["status"] == "sent"
    record = next(r for r in audit_store.history(f"licensee:{licensee_id}")
                  if r.action == "mail.undeliverable_cleared")
    assert record.actor == "staff:alice"
    assert record.details == {"contact": Person(email="gone@example.org").digest(licensee_id),
                              "reason": "Permanent/General"}
    assert "gone@example.org" not in json.dumps(record.details)

    with pytest.raises(NotFound) as again:
        services.mail.clear_undeliverable(licensee_id, "gone@example.org", "staff:alice")
    assert again.value.code == "NOT_UNDELIVERABLE"
    assert actions(licensee_id).count("mail.undeliverable_cleared") == 1


def test_an_address_of_another_merchant_cannot_be_cleared_here(services, factory) -> None:
    owner, _ = mail_merchant(services, factory)
    other, _ = mail_merchant(services, factory)
    services.mail.record_delivery_event(DeliveryEvent("bounce", "p-2", ("gone@example.org",), True, "Permanent",
                                                      {"licensee": owner.licensee_id}))
    with pytest.raises(NotFound):
        services.mail.clear_undeliverable(other.licensee_id, "gone@example.org", "staff:alice")
    assert services.mail.store.contact(owner.licensee_id, "gone@example.org").undeliverable  # type: ignore[union-attr]
