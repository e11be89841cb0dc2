"""The billing run on DynamoDB Local: invoices as they come due, each exactly once, numbered without gaps."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, time
from decimal import Decimal

import pytest

from chalicelib import bootstrap
from chalicelib.billing.fees import FeeChange, FeeItem, FeeKind, Timing
from chalicelib.billing.items import INVOICE_PREFIX
from chalicelib.billing.model import InvoiceStatus, NoticeKind
from chalicelib.billing.periods import Cadence
from chalicelib.core.clock import FixedClock
from chalicelib.metrics import MemorySink
from chalicelib.settings import Settings
from tests.integration.billing.conftest import KeptMail, schedule, shanghai


def numbers(report: dict | object) -> list[int]:  # type: ignore[type-arg]
    invoices = report["invoices"] if isinstance(report, dict) else report.invoices  # type: ignore[attr-defined]
    return [int(i["number"].removeprefix(INVOICE_PREFIX)) for i in invoices]


def test_a_run_catches_up_every_charge_due_and_a_second_run_the_same_day_issues_nothing(services, billed,
                                                                                            mail) -> None:
    merchant = billed()
    first = services.billing.run_billing(shanghai(date(2026, 6, 15)))
    mine = [i for i in first.invoices if i["licensee"] == merchant.licensee_id]
    assert len(mine) == 1
    invoice = services.billing.invoice(mine[0]["number"])
    # Six months of usage in advance (Jan-Jun), the year's maintenance, five months of support in arrears.
    assert invoice.total == Decimal("6") * 1200 + 6000 + 5 * 300
    assert invoice.status is InvoiceStatus.OPEN and invoice.due_date == date(2026, 7, 15)
    assert any(m.to == ("notices@shop.example",) and mine[0]["number"] in m.subject for m in mail.sent)
    again = services.billing.run_billing(shanghai(date(2026, 6, 15), time(9)))
    assert [i for i in again.invoices if i["licensee"] == merchant.licensee_id] == []
    assert len(services.billing.invoices(merchant.licensee_id)) == 1


def test_the_day_is_the_shanghai_day_not_the_utc_day(services, billed) -> None:
    merchant = billed()
    services.billing.run_billing(shanghai(date(2026, 6, 15)))
    before_midnight = services.billing.run_billing(shanghai(date(2026, 6, 30), time(23, 59)))
    assert [i for i in before_midnight.invoices if i["licensee"] == merchant.licensee_id] == []
    # 00:05 on 1 July in Shanghai is still 30 June in UTC: July's usage and June's support fall due.
    after_midnight = services.billing.run_billing(shanghai(date(2026, 7, 1), time(0, 5)))
    mine = [i for i in after_midnight.invoices if i["licensee"] == merchant.licensee_id]
    assert len(mine) == 1 and mine[0]["total"] == "1500.00" and mine[0]["period"] == "2026-06-01–2026-07-31"


def test_a_retried_scheduled_event_issues_nothing_twice(services, billed) -> None:
    from app import billing_run

    merchant = billed()
    event = {"time": shanghai(date(2026, 6, 15)).isoformat()}
    first = billing_run(event, None)
    second = billing_run(event, None)
    assert [i for i in first["invoices"] if i["licensee"] == merchant.licensee_id]
    assert [i for i in second["invoices"] if i["licensee"] == merchant.licensee_id] == []


def test_a_dry_run_shows_what_would_be_issued_and_writes_nothing(services, billed) -> None:
    merchant = billed()
    dry = services.billing.run_billing(shanghai(date(2026, 6, 15)), dry_run=True)
    mine = [i for i in dry.invoices if i["licensee"] == merchant.licensee_id]
    assert mine and mine[0]["number"] is None and mine[0]["total"] == "14700.00"
    assert services.billing.invoices(merchant.licensee_id) == []


def test_two_runs_at_once_issue_each_invoice_once_with_numbers_that_neither_repeat_nor_skip(
        settings: Settings, services, billed) -> None:
    merchants = [billed() for _ in range(6)]
    day = shanghai(date(2026, 6, 15))
    reports: list = []  # type: ignore[type-arg]
    start = threading.Barrier(2)

    def run() -> None:
        separate = bootstrap.build(settings, FixedClock(day), MemorySink(), mailer=KeptMail())
        start.wait()
        reports.append(separate.billing.run_billing(day))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    issued = numbers(reports[0]) + numbers(reports[1])
    assert len(issued) == len(set(issued))
    assert sorted(issued) == list(range(min(issued), min(issued) + len(issued)))
    assert services.billing.store.last_number() == max(issued)
    for merchant in merchants:
        assert len(services.billing.invoices(merchant.licensee_id)) == 1


class Crash(BaseException):
    """The process dies: nothing after this point runs."""


def test_a_run_that_dies_half_way_is_completed_by_the_next_without_doubling_anything(
        settings: Settings, services, billed, monkeypatch: pytest.MonkeyPatch) -> None:
    merchants = [billed() for _ in range(4)]
    mine = {m.licensee_id for m in merchants}
    services.billing.run_billing(shanghai(date(2026, 6, 15)))
    day = shanghai(date(2026, 7, 1))
    dying = bootstrap.build(settings, FixedClock(day), MemorySink(), mailer=KeptMail())
    real_issue = dying.billing.issuer.issue
    calls = {"n": 0}

    def issue_then_die(account, *args, **kwargs):  # type: ignore[no-untyped-def]
        if account.licensee_id in mine:
            calls["n"] += 1
            if calls["n"] == 3:
                raise Crash()
        return real_issue(account, *args, **kwargs)

    monkeypatch.setattr(dying.billing.issuer, "issue", issue_then_die)
    with pytest.raises(Crash):
        dying.billing.run_billing(day)
    assert sum(len(services.billing.invoices(m)) for m in mine) == 4 + 2
    services.billing.run_billing(day)
    services.billing.run_billing(day)
    july = []
    for licensee_id in mine:
        invoices = services.billing.invoices(licensee_id)
        assert len(invoices) == 2 and invoices[1].total == Decimal("1500.00")
        july.append(invoices[1].number)
    assert len(set(july)) == 4


def test_a_mail_outage_leaves_the_notice_recorded_and_the_next_run_delivers_it(services, billed, mail) -> None:
    merchant = billed()
    mail.failing = True
    services.billing.run_billing(shanghai(date(2026, 6, 15)))
    [notice] = [n for n in services.billing.notices(merchant.licensee_id) if n.kind is NoticeKind.INVOICE]
    assert notice.delivery.value == "failed" and notice.attempts == 1 and notice.recipient == "notices@shop.example"
    mail.failing = False
    services.billing.run_billing(shanghai(date(2026, 6, 16)))
    [notice] = [n for n in services.billing.notices(merchant.licensee_id) if n.kind is NoticeKind.INVOICE]
    assert notice.delivery.value == "sent" and notice.sent_at is not None and notice.message_id
    assert sum(1 for m in mail.sent if notice.subject == m.subject) == 1


def test_the_invoice_notice_and_page_are_in_chinese_with_english_and_name_every_payment_method(
        services, billed, mail) -> None:
    merchant = billed()
    services.billing.run_billing(shanghai(date(2026, 6, 15)))
    services.billing.run_billing(shanghai(date(2026, 6, 15)))  # a retried run sends nothing more
    [notice] = [n for n in services.billing.notices(merchant.licensee_id) if n.kind is NoticeKind.INVOICE]
    assert notice.subject.startswith("发票 / Invoice ") and "到期日" in notice.text and "Total:" in notice.text
    [sent] = [m for m in mail.sent if m.subject == notice.subject]
    assert sent.html is not None and '<html lang="zh-CN">' in sent.html
    for name in ("支付宝", "微信支付", "银联", "银行转账", "Alipay", "WeChat Pay", "UnionPay", "bank transfer"):
        assert name in sent.html and name in notice.text


def test_a_fee_amended_mid_month_is_prorated_on_both_sides(services, billed) -> None:
    usage = FeeItem("usage", FeeKind.USAGE, "System usage fee", Decimal("3000.00"), Cadence.MONTHLY, Timing.ADVANCE,
                    date(2026, 1, 1))
    merchant = billed([usage])
    services.billing.run_billing(shanghai(date(2026, 6, 1)))
    # From 16 June (15 of June's 30 days left) the price doubles: credit 1500 at the old price, charge 3000.
    services.billing.amend_fee(merchant.licensee_id, "usage", FeeChange(date(2026, 6, 16), amount=Decimal("6000.00")),
                               "test:billing")
    report = services.billing.run_billing(shanghai(date(2026, 6, 16)))
    [mine] = [i for i in report.invoices if i["licensee"] == merchant.licensee_id]
    invoice = services.billing.invoice(mine["number"])
    assert sorted(Decimal(line["amount"]) for line in invoice.lines) == [Decimal("-1500.00"), Decimal("3000.00")]
    assert invoice.total == Decimal("1500.00")


def test_month_end_anchors_bill_on_the_last_day_of_shorter_months_in_a_leap_year(services, billed) -> None:
    usage = FeeItem("usage", FeeKind.USAGE, "System usage fee", Decimal("100.00"), Cadence.MONTHLY, Timing.ADVANCE,
                    date(2028, 1, 31))
    merchant = billed([usage], effective=date(2028, 1, 31))
    services.billing.clock.current = shanghai(date(2028, 1, 31))  # type: ignore[attr-defined]
    services.billing.run_billing(shanghai(date(2028, 1, 31)))
    assert services.billing.account(merchant.licensee_id).next_due == date(2028, 2, 29)
    report = services.billing.run_billing(shanghai(date(2028, 2, 29)))
    [mine] = [i for i in report.invoices if i["licensee"] == merchant.licensee_id]
    assert mine["period"] == "2028-02-29–2028-03-30"


def test_a_voided_invoice_keeps_its_number_and_its_charges_are_billed_again(services, billed) -> None:
    merchant = billed()
    report = services.billing.run_billing(shanghai(date(2026, 6, 15)))
    [mine] = [i for i in report.invoices if i["licensee"] == merchant.licensee_id]
    voided = services.billing.void_invoice(mine["number"], "wrong schedule", "test:billing")
    assert voided.number == mine["number"] and voided.status is InvoiceStatus.VOID
    account = services.billing.account(merchant.licensee_id)
    services.billing.set_schedule(merchant.licensee_id,
                                  [replace(i, amount=i.amount / 2) for i in account.fee_items], None, "test:billing")
    again = services.billing.run_billing(shanghai(date(2026, 6, 15), time(10)))
    [reissued] = [i for i in again.invoices if i["licensee"] == merchant.licensee_id]
    assert reissued["number"] != mine["number"] and reissued["total"] == "7350.00"
    assert services.billing.invoice(mine["number"]).status is InvoiceStatus.VOID


def test_schedule_used_by_the_tests_is_the_demo_shape() -> None:
    assert {i.kind for i in schedule()} == {FeeKind.USAGE, FeeKind.MAINTENANCE, FeeKind.SUPPORT}
