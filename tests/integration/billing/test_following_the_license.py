"""Billing follows what staff change in licensing, with no billing command: a termination is settled by the
run of its effective date (clause 11.3), seats amended mid-period are prorated on both sides (clause 10) and an
extension carries billing past the old end (clause 4.2). Each exactly once, however often the runs repeat."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from chalicelib.audit import store as audit_store
from chalicelib.billing.fees import FeeChange, FeeItem, FeeKind, Per, Timing
from chalicelib.billing.model import InvoiceKind, InvoiceStatus
from chalicelib.billing.periods import Cadence
from chalicelib.core.errors import InvalidInput
from chalicelib.licensing.events import LicenseTerminated
from chalicelib.licensing.model import Channel
from tests.integration.billing.conftest import shanghai

USAGE = FeeItem("usage", FeeKind.USAGE, "System usage fee", Decimal("3000.00"), Cadence.MONTHLY, Timing.ADVANCE,
                date(2026, 1, 1))
PER_SEAT = FeeItem("seats", FeeKind.USAGE, "Agent seats", Decimal("100.00"), Cadence.MONTHLY, Timing.ADVANCE,
                   date(2026, 1, 1), per=Per.SEAT)
PER_CHANNEL = FeeItem("channels", FeeKind.USAGE, "Channels", Decimal("40.00"), Cadence.MONTHLY, Timing.ARREARS,
                      date(2026, 1, 1), per=Per.CHANNEL)


def at(services, day: date) -> None:  # type: ignore[no-untyped-def]
    services.clock.current = shanghai(day, time(12))


def run(services, licensee_id: str, day: date) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """The daily run for ``day``, as the schedule fires it; this licensee's invoices from it."""
    report = services.billing.run_billing(shanghai(day))
    assert report.errors == []
    return [i for i in report.invoices if i["licensee"] == licensee_id]


def due_on(services, licensee_id: str, day: date) -> bool:  # type: ignore[no-untyped-def]
    """Whether the billing run of ``day`` finds the account, by its Query on the due-date index."""
    return any(a.licensee_id == licensee_id for a in services.billing.store.due_accounts(day))


def lines(services, number: str) -> list[Decimal]:  # type: ignore[no-untyped-def]
    return sorted(Decimal(line["amount"]) for line in services.billing.invoice(number).lines)


# -- termination (clause 11.3) ------------------------------------------------------------------------------


def test_a_termination_in_licensing_is_settled_by_the_run_of_its_effective_date_exactly_once(services,
                                                                                             billed) -> None:
    merchant = billed([USAGE])
    at(services, date(2026, 6, 1))
    run(services, merchant.licensee_id, date(2026, 6, 1))  # January to June, 18000.00, due 1 July
    at(services, date(2026, 6, 10))
    services.licensing.terminate(merchant.licensee_id, date(2026, 6, 20), "by notice", "staff:test")

    assert not due_on(services, merchant.licensee_id, date(2026, 6, 19))
    assert due_on(services, merchant.licensee_id, date(2026, 6, 20))
    assert run(services, merchant.licensee_id, date(2026, 6, 19)) == []
    at(services, date(2026, 6, 20))
    [settled] = run(services, merchant.licensee_id, date(2026, 6, 20))
    assert settled["kind"] == "settlement" and settled["issue_date"] == "2026-06-20"
    # 11 prepaid June days are credited (-1100.00); the 18000.00 unpaid is carried in.
    assert lines(services, settled["number"]) == [Decimal("-1100.00"), Decimal("18000.00")]
    assert settled["total"] == "16900.00"

    from app import billing_run

    assert run(services, merchant.licensee_id, date(2026, 6, 20)) == []
    retried = billing_run({"time": shanghai(date(2026, 6, 20)).isoformat()}, None)
    assert [i for i in retried["invoices"] if i["licensee"] == merchant.licensee_id] == []
    assert run(services, merchant.licensee_id, date(2026, 7, 1)) == []
    settlements = [i for i in services.billing.invoices(merchant.licensee_id) if i.kind is InvoiceKind.SETTLEMENT]
    assert len(settlements) == 1
    assert services.billing.account(merchant.licensee_id).next_due is None
    followed = [r for r in audit_store.history(f"licensee:{merchant.licensee_id}")
                if r.action == "billing.license_followed"]
    assert [r.details["action"] for r in followed] == ["license.terminate"]


def test_a_termination_effective_today_is_settled_at_once_and_the_run_adds_nothing(services, billed) -> None:
    merchant = billed([USAGE])
    at(services, date(2026, 6, 1))
    run(services, merchant.licensee_id, date(2026, 6, 1))
    at(services, date(2026, 6, 16))  # after today's run has gone by
    services.licensing.terminate(merchant.licensee_id, date(2026, 6, 16), "by notice", "staff:test")
    [settlement] = [i for i in services.billing.invoices(merchant.licensee_id) if i.kind is InvoiceKind.SETTLEMENT]
    assert settlement.issue_date == date(2026, 6, 16) and settlement.total == Decimal("16500.00")
    assert run(services, merchant.licensee_id, date(2026, 6, 16)) == []
    assert run(services, merchant.licensee_id, date(2026, 6, 17)) == []


def test_telling_billing_of_the_same_termination_again_changes_nothing(services, billed) -> None:
    merchant = billed([USAGE])
    at(services, date(2026, 6, 1))
    run(services, merchant.licensee_id, date(2026, 6, 1))
    services.licensing.terminate(merchant.licensee_id, date(2026, 6, 20), "by notice", "staff:test")
    before = services.billing.account(merchant.licensee_id)
    services.billing.license_changed(LicenseTerminated(merchant.licensee_id, date(2026, 6, 20)))
    assert services.billing.account(merchant.licensee_id) == before


# -- amendments of seats and channels (clause 10) -----------------------------------------------------------


def test_seats_amended_mid_month_in_licensing_are_prorated_on_both_sides_by_the_next_run(services, billed) -> None:
    merchant = billed([PER_SEAT])  # the agreement grants 3 seats
    at(services, date(2026, 6, 1))
    [first] = run(services, merchant.licensee_id, date(2026, 6, 1))
    assert first["total"] == "1800.00"  # January to June, 3 seats at 100.00
    at(services, date(2026, 6, 10))
    services.licensing.amend(merchant.licensee_id, date(2026, 6, 16), "staff:test", seats=5, note="2 more agents")

    assert run(services, merchant.licensee_id, date(2026, 6, 15)) == []
    [amended] = run(services, merchant.licensee_id, date(2026, 6, 16))
    # 15 of June's 30 days are left: a credit of 150.00 for 3 seats, a charge of 250.00 for 5.
    assert lines(services, amended["number"]) == [Decimal("-150.00"), Decimal("250.00")]
    assert amended["total"] == "100.00"
    assert run(services, merchant.licensee_id, date(2026, 6, 16)) == []
    [july] = run(services, merchant.licensee_id, date(2026, 7, 1))
    assert july["total"] == "500.00"
    assert services.billing.account(merchant.licensee_id).fee_items[0].quantity == 1  # nothing copied by hand


def test_seats_amended_after_the_fact_are_billed_by_the_next_run_once(services, billed) -> None:
    merchant = billed([PER_SEAT])
    at(services, date(2026, 6, 1))
    run(services, merchant.licensee_id, date(2026, 6, 1))
    at(services, date(2026, 6, 20))
    services.licensing.amend(merchant.licensee_id, date(2026, 6, 16), "staff:test", seats=1)
    [amended] = run(services, merchant.licensee_id, date(2026, 6, 20))
    assert lines(services, amended["number"]) == [Decimal("-150.00"), Decimal("50.00")]
    assert run(services, merchant.licensee_id, date(2026, 6, 21)) == []
    [july] = run(services, merchant.licensee_id, date(2026, 7, 1))
    assert july["total"] == "100.00"


def test_an_amendment_billing_was_not_told_of_is_taken_in_when_the_account_next_falls_due(services,
                                                                                          billed) -> None:
    merchant = billed([PER_SEAT])
    at(services, date(2026, 6, 1))
    run(services, merchant.licensee_id, date(2026, 6, 1))
    at(services, date(2026, 6, 10))
    services.licensing._listeners.clear()  # as if the listener had failed after licensing stored the change
    services.licensing.amend(merchant.licensee_id, date(2026, 6, 16), "staff:test", seats=5)
    assert run(services, merchant.licensee_id, date(2026, 6, 16)) == []
    [july] = run(services, merchant.licensee_id, date(2026, 7, 1))
    assert lines(services, july["number"]) == [Decimal("-150.00"), Decimal("250.00"), Decimal("500.00")]
    assert run(services, merchant.licensee_id, date(2026, 7, 1)) == []


def test_channels_amended_mid_month_are_billed_for_the_days_of_each_in_arrears(services, billed) -> None:
    merchant = billed([PER_CHANNEL])  # chat and email
    at(services, date(2026, 6, 10))
    services.licensing.amend(merchant.licensee_id, date(2026, 6, 16), "staff:test",
                             channels=frozenset({Channel.CHAT, Channel.EMAIL, Channel.PHONE}))
    at(services, date(2026, 7, 1))
    [invoice] = run(services, merchant.licensee_id, date(2026, 7, 1))
    # Five full months at 2 channels, then June: 15 days at 2 (40.00) and 15 days at 3 (60.00).
    assert lines(services, invoice["number"]) == [Decimal("40.00")] + [Decimal("60.00")] + [Decimal("80.00")] * 5


def test_the_quantity_of_a_per_seat_fee_cannot_be_amended_in_billing(services, billed) -> None:
    merchant = billed([PER_SEAT])
    with pytest.raises(InvalidInput) as refused:
        services.billing.amend_fee(merchant.licensee_id, "seats", FeeChange(date(2026, 6, 16), quantity=4),
                                   "staff:test")
    assert refused.value.code == "INVALID_AMENDMENT"


# -- extensions (clause 4.2) --------------------------------------------------------------------------------


def test_an_extension_before_the_end_carries_billing_into_the_new_period(services, billed) -> None:
    merchant = billed([USAGE])  # ends 2026-12-31
    at(services, date(2026, 12, 1))
    run(services, merchant.licensee_id, date(2026, 12, 1))
    at(services, date(2026, 12, 10))
    services.licensing.extend(merchant.licensee_id, 1, "staff:test")
    [january] = run(services, merchant.licensee_id, date(2027, 1, 1))
    assert january["total"] == "3000.00" and january["period"] == "2027-01-01–2027-01-31"


def test_an_extension_after_the_license_lapsed_bills_from_the_new_start_and_never_the_gap(services,
                                                                                         billed) -> None:
    merchant = billed([USAGE])
    at(services, date(2026, 12, 1))
    run(services, merchant.licensee_id, date(2026, 12, 1))
    at(services, date(2027, 1, 1))
    assert run(services, merchant.licensee_id, date(2027, 1, 1)) == []
    assert services.billing.account(merchant.licensee_id).next_due is None  # out of the due-date index

    at(services, date(2027, 1, 10))
    services.licensing.extend(merchant.licensee_id, 1, "staff:test", start=date(2027, 1, 10))
    assert due_on(services, merchant.licensee_id, date(2027, 1, 10))
    [resumed] = run(services, merchant.licensee_id, date(2027, 1, 10))
    # 22 of January's 31 days: 1 to 9 January were not licensed and are not billed.
    assert lines(services, resumed["number"]) == [Decimal("2129.03")]
    assert run(services, merchant.licensee_id, date(2027, 1, 10)) == []
    [february] = run(services, merchant.licensee_id, date(2027, 2, 1))
    assert february["total"] == "3000.00"
    assert all(i.status is InvoiceStatus.OPEN for i in services.billing.invoices(merchant.licensee_id)[-2:])


def test_seats_amended_after_the_fact_from_the_first_day_of_a_billed_period_are_billed_as_a_correction_once(
        services, billed) -> None:
    merchant = billed([PER_SEAT])
    at(services, date(2026, 6, 1))
    run(services, merchant.licensee_id, date(2026, 6, 1))  # June billed for 3 seats: 300.00
    at(services, date(2026, 6, 10))
    services.licensing.amend(merchant.licensee_id, date(2026, 6, 1), "staff:test", seats=5)
    [corrected] = run(services, merchant.licensee_id, date(2026, 6, 10))
    assert lines(services, corrected["number"]) == [Decimal("200.00")]
    assert run(services, merchant.licensee_id, date(2026, 6, 10)) == []
    [july] = run(services, merchant.licensee_id, date(2026, 7, 1))
    assert july["total"] == "500.00"
    at(services, date(2026, 7, 5))
    services.licensing.amend(merchant.licensee_id, date(2026, 6, 1), "staff:test", seats=4)
    [again] = run(services, merchant.licensee_id, date(2026, 7, 5))
    # June was billed 300.00 + 200.00 and July 500.00; for 4 seats each is 100.00 less.
    assert lines(services, again["number"]) == [Decimal("-100.00"), Decimal("-100.00")]
    assert run(services, merchant.licensee_id, date(2026, 7, 6)) == []
