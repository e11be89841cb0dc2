"""Clause 7: content is kept for the merchant's retention periods (or the defaults) and no longer. The job applies
them with the instant it is run for, so the tests move the injected clock instead of waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.core.errors import InvalidInput
from chalicelib.mail import privacy_store as mail
from chalicelib.privacy.model import DEFAULT_RETENTION_DAYS, Retained
from tests.privacy_helpers import Shop, traces_of

PERIODS = {"chats": 30, "tickets": 60, "attachments": 10, "raw_mail": 5, "calls": 20, "held_mail": 3}


def _run(services: bootstrap.Services, shop: Shop, days: int) -> dict[str, int]:
    later = services.clock.now() + timedelta(days=days)
    return services.privacy.apply_retention(later, licensee_ids=[shop.licensee_id])[0]


def test_defaults_hold_until_a_merchant_sets_its_own_periods(services: bootstrap.Services, shop: Shop) -> None:
    shown = services.privacy.retention(shop.licensee_id)
    assert shown["periods"] == {k.value: v for k, v in DEFAULT_RETENTION_DAYS.items()} and shown["own"] == []
    changed = services.privacy.set_retention(shop.licensee_id, {"chats": 30}, "staff:test")
    assert changed["periods"]["chats"] == 30
    assert services.chat.retention(shop.licensee_id).days == 30  # chat's TTL on new items follows
    assert changed["periods"]["tickets"] == DEFAULT_RETENTION_DAYS[Retained.TICKETS]
    with pytest.raises(InvalidInput) as refused:
        services.privacy.set_retention(shop.licensee_id, {"chats": 0}, "staff:test")
    assert refused.value.code == "INVALID_RETENTION"
    with pytest.raises(InvalidInput) as unknown:
        services.privacy.set_retention(shop.licensee_id, {"invoices": 5}, "staff:test")
    assert unknown.value.code == "UNKNOWN_RETENTION_KIND"
    # nothing is erased within the default periods
    assert _run(services, shop, 25) == {}


def test_each_kind_goes_when_its_own_period_has_passed(services: bootstrap.Services, shop: Shop) -> None:
    services.privacy.set_retention(shop.licensee_id, PERIODS, "staff:test")
    tickets = list(mail.merchant_tickets(shop.licensee_id))
    assert _run(services, shop, 2) == {}
    # raw mail after 5 days, held mail after 3: the tickets and their text stay
    after_raw = _run(services, shop, 6)
    assert after_raw == {"held_mail": 2, "raw_mail": 2}
    assert all(m.raw_key is None for t in tickets for m in mail.ticket_content(shop.licensee_id, t.ticket_id)[0])
    # attachments after 10 days: still listed, no longer kept (as a too-large one), chat files likewise
    after_files = _run(services, shop, 11)
    assert after_files == {"attachments": 2, "chat_files": 2}
    kept = [a for t in tickets for m in mail.ticket_content(shop.licensee_id, t.ticket_id)[0] for a in m.attachments]
    assert kept and all(a.blob_key is None for a in kept)
    assert list(services.blobs.keys(f"attachments/{shop.licensee_id}/")) == []
    # calls after 20 days with their recordings, chats after 30, tickets after 60
    assert _run(services, shop, 21) == {"calls": 2, "recordings": 2}
    assert _run(services, shop, 31) == {"chats": 2}
    gone = _run(services, shop, 61)
    assert gone["tickets"] == 4 and gone["messages"] >= 4 and gone["contacts"] == 2
    assert traces_of(shop.lina, services) == [] and traces_of(shop.other, services) == []
    # the trail records each application with its counts
    applied = [e for e in services.licensing.history(shop.licensee_id) if e.action == "privacy.retention_applied"]
    assert [e.details["counts"].get("tickets") for e in applied][-1] == 4 and len(applied) == 5
