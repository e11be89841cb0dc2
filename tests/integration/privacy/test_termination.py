"""Clause 11.2: after termination the merchant may export all its data for a window (30 days by default, which
staff may extend before it ends); then the scheduled run erases its content, keeps what law and billing need,
and records and sends an erasure certificate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.billing.model import NoticeKind
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import InvalidInput
from chalicelib.privacy import archive
from tests.privacy_helpers import PieceBudget as Budget
from tests.privacy_helpers import Shop, every_item, traces_of


def _kept(services: bootstrap.Services, licensee_id: str) -> dict[str, int]:
    tables = (services.settings.billing_table, services.settings.licensing_table, services.settings.support_table)
    return {table: sum(1 for t, text in every_item(services) if t == table and licensee_id in text)
            for table in tables}


def test_the_window_opens_with_a_notice_can_be_extended_and_ends_in_a_certified_erasure(
        services: bootstrap.Services, shop: Shop, clock: FixedClock) -> None:
    privacy, licensee_id = services.privacy, shop.licensee_id
    mine = [licensee_id]  # the job walks every licensee; other tests' terminated ones share the table
    today = privacy.today()
    assert privacy.window_view(licensee_id)["state"] == "none"
    services.licensing.terminate(licensee_id, today + timedelta(days=5), "the merchant gave notice", "staff:test")
    assert privacy.window_view(licensee_id)["state"] == "pending"
    assert privacy.run_windows(clock.now(), licensee_ids=mine) == {"windows_opened": 0, "merchants_erased": 0}

    clock.advance(timedelta(days=5))
    window = privacy.window_view(licensee_id)
    assert window["state"] == "open" and window["ends_on"] == (today + timedelta(days=35)).isoformat()
    assert privacy.run_windows(clock.now(), licensee_ids=mine)["windows_opened"] == 1
    assert privacy.run_windows(clock.now(), licensee_ids=mine)["windows_opened"] == 0  # once per window
    notices = [n for n in services.billing.notices(licensee_id) if n.kind is NoticeKind.EXPORT_WINDOW]
    assert len(notices) == 1 and window["ends_on"] in notices[0].text
    assert "数据导出" in notices[0].subject and "Export window" in notices[0].subject  # Chinese with English
    assert privacy.may_export_after_termination(licensee_id)

    # the merchant's whole export, in the same archive format
    exported = privacy.export_merchant(licensee_id, "admin:test")
    data, files = archive.read(privacy.archive_bytes(licensee_id, exported["id"]))
    assert data["subject"] == "merchant" and data["counts"]["chats"] == 2 and data["counts"]["tickets"] == 4
    assert data["counts"]["calls"] == 2 and data["counts"]["held_mail"] == 2 and len(files) >= 8

    # staff extend it before it ends; an extension that does not move it forward is refused
    with pytest.raises(InvalidInput):
        privacy.extend_window(licensee_id, today + timedelta(days=30), "staff:test")
    extended = privacy.extend_window(licensee_id, today + timedelta(days=45), "staff:test")
    assert extended["ends_on"] == (today + timedelta(days=45)).isoformat() and extended["extended"]
    assert len([n for n in services.billing.notices(licensee_id) if n.kind is NoticeKind.EXPORT_WINDOW]) == 2

    kept_before = _kept(services, licensee_id)
    clock.advance(timedelta(days=31))  # past the first end, inside the extension
    assert privacy.run_windows(clock.now(), licensee_ids=mine)["merchants_erased"] == 0
    assert traces_of(shop.lina, services)
    clock.advance(timedelta(days=10))
    assert privacy.run_windows(clock.now(), licensee_ids=mine)["merchants_erased"] == 1
    assert traces_of(shop.lina, services) == [] and traces_of(shop.other, services) == []
    assert list(services.blobs.keys(f"exports/{licensee_id}/")) == []
    window = privacy.window_view(licensee_id)
    certificate = window["certificate"]
    assert window["state"] == "erased" and certificate["job"] == "privacy-run"
    assert certificate["counts"]["tickets"] == 4 and certificate["counts"]["chats"] == 2
    assert "invoices_and_payments" in certificate["kept"]
    # billing, the agreement and support are kept; the certificate is sent once, and nothing runs twice
    after = _kept(services, licensee_id)
    assert after[services.settings.billing_table] >= kept_before[services.settings.billing_table]
    assert after[services.settings.licensing_table] >= kept_before[services.settings.licensing_table]
    assert privacy.run_windows(clock.now(), licensee_ids=mine)["merchants_erased"] == 0
    sent = [n for n in services.billing.notices(licensee_id) if n.kind is NoticeKind.ERASURE_CERTIFICATE]
    assert len(sent) == 1 and "数据删除证明" in sent[0].subject and "Erasure certificate" in sent[0].subject
    assert "邮件工单: 4" in sent[0].text and "email tickets: 4" in sent[0].text
    with pytest.raises(InvalidInput):
        privacy.extend_window(licensee_id, today + timedelta(days=90), "staff:test")
    certified = [e for e in services.licensing.history(licensee_id) if e.action == "privacy.erasure_certified"]
    assert len(certified) == 1 and certified[0].actor == "system:privacy-run"


def test_a_merchant_erasure_short_of_time_is_continued_and_certified_whole(
        services: bootstrap.Services, shop: Shop, clock: FixedClock) -> None:
    privacy, licensee_id = services.privacy, shop.licensee_id
    services.licensing.terminate(licensee_id, privacy.today() + timedelta(days=1), "notice", "staff:test")
    clock.advance(timedelta(days=32))
    assert privacy.run_windows(clock.now(), Budget(4), [licensee_id])["merchants_erased"] == 0
    assert privacy.window_view(licensee_id)["state"] == "closed" and traces_of(shop.lina, services)
    left = [r for r in privacy.store.running() if r.licensee_id == licensee_id]
    assert len(left) == 1 and left[0].cursor not in (None, "chats") and left[0].counts  # part done, part left
    assert privacy.continue_running()["requests_finished"] == 0  # the window's run finishes and certifies it
    assert privacy.run_windows(clock.now(), None, [licensee_id])["merchants_erased"] == 1
    certificate = privacy.window_view(licensee_id)["certificate"]
    assert certificate["counts"]["tickets"] == 4 and certificate["counts"]["chats"] == 2
    assert traces_of(shop.lina, services) == [] and traces_of(shop.other, services) == []
