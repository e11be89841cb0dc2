"""Payments, late payment, suspension through license validation, renewals and the final settlement."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from chalicelib.billing.fees import FeeItem, FeeKind, Timing
from chalicelib.billing.model import InvoiceKind, InvoiceStatus, NoticeKind, PaymentMethod
from chalicelib.billing.periods import Cadence
from chalicelib.core.errors import Conflict
from chalicelib.licensing.model import Channel
from tests.integration.billing.conftest import shanghai

USAGE = FeeItem("usage", FeeKind.USAGE, "System usage fee", Decimal("1000.00"), Cadence.MONTHLY, Timing.ADVANCE,
                date(2026, 1, 1))


def first_invoices(services, billed):  # type: ignore[no-untyped-def]
    """A merchant billed for January only (one invoice of 1000.00, due 31 January)."""
    merchant = billed([FeeItem("usage", FeeKind.USAGE, "System usage fee", Decimal("1000.00"), Cadence.MONTHLY,
                               Timing.ADVANCE, date(2026, 1, 1), end=date(2026, 1, 31))])
    services.clock.current = shanghai(date(2026, 1, 10), time(12))
    services.billing.run_billing(shanghai(date(2026, 1, 1)))
    return merchant


def pay(services, licensee_id: str, amount: str, reference: str, on: date = date(2026, 1, 10)):  # type: ignore[no-untyped-def]
    # references are the licensor's, per method: each test's own (tests share one database)
    return services.billing.record_payment(licensee_id, PaymentMethod.BANK_TRANSFER, f"{reference}/{licensee_id}",
                                           Decimal(amount), on, "staff:test")


def test_payments_go_to_the_oldest_invoice_first_and_overpayment_is_kept_as_credit(services, billed) -> None:
    merchant = billed([USAGE])
    services.billing.run_billing(shanghai(date(2026, 1, 1)))
    services.billing.run_billing(shanghai(date(2026, 2, 1)))
    services.clock.current = shanghai(date(2026, 2, 10), time(12))
    january, february = services.billing.invoices(merchant.licensee_id)
    partial = pay(services, merchant.licensee_id, "600.00", "TX-1", date(2026, 2, 5))
    assert partial.applied == ((january.number, Decimal("600.00")),) and partial.credit == 0
    over = pay(services, merchant.licensee_id, "1500.01", "TX-2", date(2026, 2, 6))
    assert over.applied == ((january.number, Decimal("400.00")), (february.number, Decimal("1000.00")))
    assert over.credit == Decimal("100.01")
    statement = services.billing.statement(merchant.licensee_id)
    assert statement["owed"] == "0.00" and statement["credit"] == "100.01" and statement["paid"] == "2100.01"
    # The credit pays the next invoice as it is issued.
    services.billing.run_billing(shanghai(date(2026, 3, 1)))
    march = services.billing.invoices(merchant.licensee_id)[-1]
    assert march.balance == Decimal("899.99") and services.billing.account(merchant.licensee_id).credit == 0


def test_the_same_payment_reference_is_refused_the_second_time_and_nothing_is_written(services, billed) -> None:
    merchant = first_invoices(services, billed)
    pay(services, merchant.licensee_id, "100.00", "CHQ-42")
    with pytest.raises(Conflict) as refused:
        pay(services, merchant.licensee_id, "100.00", "chq-42")
    assert refused.value.code == "DUPLICATE_PAYMENT_REFERENCE"
    assert services.billing.invoices(merchant.licensee_id)[0].balance == Decimal("900.00")


def test_a_payment_reference_is_unique_per_licensor_and_method_not_per_licensee(services, billed) -> None:
    first, second = first_invoices(services, billed), first_invoices(services, billed)
    reference = f"CNAPS-{first.licensee_id}"
    services.billing.record_payment(first.licensee_id, PaymentMethod.BANK_TRANSFER, reference, Decimal("100.00"),
                                    date(2026, 1, 10), "staff:test")
    with pytest.raises(Conflict) as refused:  # the same bank transfer booked to another licensee as well
        services.billing.record_payment(second.licensee_id, PaymentMethod.BANK_TRANSFER, reference.lower(),
                                        Decimal("100.00"), date(2026, 1, 10), "staff:test")
    assert refused.value.code == "DUPLICATE_PAYMENT_REFERENCE"
    assert services.billing.invoices(second.licensee_id)[0].balance == Decimal("1000.00")
    # a cheque may carry the same number as a transfer's reference: another method, another payment
    cheque = services.billing.record_payment(second.licensee_id, PaymentMethod.CHEQUE, reference, Decimal("100.00"),
                                             date(2026, 1, 10), "staff:test")
    assert cheque.reference == reference


def test_late_payment_suspends_after_the_grace_days_and_full_payment_reinstates_at_once(services, billed,
                                                                                       mail) -> None:
    merchant = first_invoices(services, billed)
    [invoice] = services.billing.invoices(merchant.licensee_id)
    assert invoice.due_date == date(2026, 1, 31)
    services.clock.current = shanghai(date(2026, 1, 24), time(12))
    services.billing.run_overdue(shanghai(date(2026, 1, 24)))
    # Day 15 after the due date: reminders, still in grace.
    services.clock.current = shanghai(date(2026, 2, 15), time(12))
    report = services.billing.run_overdue(shanghai(date(2026, 2, 15)))
    assert merchant.licensee_id not in report.suspended
    kinds = [n.key for n in services.billing.notices(merchant.licensee_id) if n.kind is NoticeKind.REMINDER]
    assert sorted(kinds) == sorted(f"reminder#{invoice.number}#{w}" for w in ("before_due#7", "after_due#1",
                                                                               "after_due#7"))
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).code.value == "VALID"
    # Day 16: suspended, and validation says so.
    services.clock.current = shanghai(date(2026, 2, 16), time(12))
    report = services.billing.run_overdue(shanghai(date(2026, 2, 16)))
    assert merchant.licensee_id in report.suspended
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).code.value == "SUSPENDED"
    again = services.billing.run_overdue(shanghai(date(2026, 2, 16), time(8)))
    assert merchant.licensee_id not in again.suspended
    # A partial payment does not lift it; paying the rest does, at once.
    pay(services, merchant.licensee_id, "500.00", "TX-A", date(2026, 2, 16))
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).code.value == "SUSPENDED"
    pay(services, merchant.licensee_id, "500.00", "TX-B", date(2026, 2, 16))
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).code.value == "VALID"
    kinds = [n.kind for n in services.billing.notices(merchant.licensee_id)]
    assert NoticeKind.SUSPENSION in kinds and NoticeKind.REINSTATEMENT in kinds
    # The late fee is billed as its own invoice once the debt is settled; the original is unchanged.
    services.billing.run_overdue(shanghai(date(2026, 2, 17)))
    invoices = services.billing.invoices(merchant.licensee_id)
    late = [i for i in invoices if i.kind is InvoiceKind.LATE_FEE]
    # 1000.00 × 0.0005 × 15 days (1–15 Feb) + 500.00 × 0.0005 × 1 day (16 Feb, after the partial payment)... the
    # balance at the end of 16 Feb is 0, so 16 Feb accrues nothing: 7.50.
    assert len(late) == 1 and late[0].total == Decimal("7.50")
    # A late fee is a notice of its own kind (clause 13.1), sent once.
    assert [n.kind for n in services.billing.notices(merchant.licensee_id)
            if n.key == f"invoice#{late[0].number}"] == [NoticeKind.LATE_FEE]
    assert invoices[0].total == Decimal("1000.00") and invoices[0].status is InvoiceStatus.PAID
    services.billing.run_overdue(shanghai(date(2026, 2, 18)))
    assert len([i for i in services.billing.invoices(merchant.licensee_id) if i.kind is InvoiceKind.LATE_FEE]) == 1


def test_force_majeure_days_accrue_no_late_fee(services, billed) -> None:
    merchant = first_invoices(services, billed)
    services.billing.add_force_majeure(date(2026, 2, 1), date(2026, 2, 10), "typhoon", "staff:test",
                                       licensee_id=merchant.licensee_id)
    services.clock.current = shanghai(date(2026, 2, 12), time(12))
    pay(services, merchant.licensee_id, "1000.00", "TX-FM", date(2026, 2, 12))
    services.billing.run_overdue(shanghai(date(2026, 2, 13)))
    [late] = [i for i in services.billing.invoices(merchant.licensee_id) if i.kind is InvoiceKind.LATE_FEE]
    assert late.total == Decimal("0.50")  # only 11 Feb: 1000.00 × 0.0005


def test_an_unpaid_invoice_is_charged_its_late_fee_when_the_month_closes(services, billed) -> None:
    merchant = first_invoices(services, billed)
    services.clock.current = shanghai(date(2026, 3, 1), time(12))
    services.billing.run_overdue(shanghai(date(2026, 3, 1)))
    [late] = [i for i in services.billing.invoices(merchant.licensee_id) if i.kind is InvoiceKind.LATE_FEE]
    assert late.total == Decimal("14.00")  # 1–28 February: 1000.00 × 0.0005 × 28
    services.billing.run_overdue(shanghai(date(2026, 3, 2)))
    assert len([i for i in services.billing.invoices(merchant.licensee_id) if i.kind is InvoiceKind.LATE_FEE]) == 1


def test_renewal_reminders_go_60_30_and_7_days_before_expiry_each_once(services, billed) -> None:
    merchant = billed([USAGE])  # the agreement ends on 2026-12-31
    for day in (date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 15), date(2026, 12, 1), date(2026, 12, 24),
                date(2026, 12, 25)):
        services.clock.current = shanghai(day, time(12))
        services.billing.run_renewals(shanghai(day))
    renewals = [n for n in services.billing.notices(merchant.licensee_id) if n.kind is NoticeKind.RENEWAL]
    assert sorted(n.key for n in renewals) == ["renewal#2026-12-31#30", "renewal#2026-12-31#60",
                                               "renewal#2026-12-31#7"]
    assert all(n.recipient == "notices@shop.example" and n.delivery.value == "sent" for n in renewals)


def test_termination_settles_prorated_charges_credits_and_unpaid_balances(services, billed) -> None:
    merchant = billed([FeeItem("usage", FeeKind.USAGE, "System usage fee", Decimal("3000.00"), Cadence.MONTHLY,
                               Timing.ADVANCE, date(2026, 1, 1))])
    services.clock.current = shanghai(date(2026, 6, 1), time(12))
    services.billing.run_billing(shanghai(date(2026, 6, 1)))  # January to June, 18000.00
    pay(services, merchant.licensee_id, "15000.00", "TX-S", date(2026, 6, 1))
    services.licensing.terminate(merchant.licensee_id, date(2026, 6, 16), "by notice", "staff:test")
    services.clock.current = shanghai(date(2026, 6, 16), time(12))
    # Staff may settle by hand on the effective date; the daily run of that date would otherwise do it.
    report = services.billing.bill_now(merchant.licensee_id, shanghai(date(2026, 6, 16)))
    [settled] = report.invoices
    invoice = services.billing.invoice(settled["number"])
    assert invoice.kind is InvoiceKind.SETTLEMENT
    # Credit for 15 unused June days (-1500.00) plus the 3000.00 left unpaid.
    assert invoice.total == Decimal("1500.00") and invoice.status is InvoiceStatus.OPEN
    earlier = [i for i in services.billing.invoices(merchant.licensee_id) if i.number != invoice.number]
    assert all(i.status is InvoiceStatus.SETTLED and i.balance == 0 for i in earlier)
    assert services.billing.bill_now(merchant.licensee_id, shanghai(date(2026, 6, 16), time(13))).invoices == []
    assert services.billing.account(merchant.licensee_id).next_due is None


def test_a_run_that_missed_the_termination_date_settles_it_when_it_catches_up(services, billed) -> None:
    merchant = billed([USAGE])
    services.clock.current = shanghai(date(2026, 6, 1), time(12))
    services.billing.run_billing(shanghai(date(2026, 6, 1)))
    services.licensing.terminate(merchant.licensee_id, date(2026, 6, 16), "by notice", "staff:test")
    report = services.billing.run_billing(shanghai(date(2026, 7, 1)))
    [settled] = [i for i in report.invoices if i["licensee"] == merchant.licensee_id]
    assert settled["kind"] == "settlement" and settled["total"] == "5500.00"  # 6000.00 owed, 500.00 June credit
