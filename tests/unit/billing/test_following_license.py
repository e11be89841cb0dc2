"""Fee items as the license makes them: quantities that follow seats or channels, and days not licensed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.billing.charges import ChargeReason, charges_between
from chalicelib.billing.fees import FeeChange, LicensedUnits, Per, Timing, as_billed
from chalicelib.billing.periods import Cadence, DateRange
from tests.unit.billing.helpers import fee, window

SEATS = [LicensedUnits(date(2028, 1, 1), seats=3, channels=2)]


def per_seat(**kwargs: object) -> object:
    from dataclasses import replace

    return replace(fee("100.00", **kwargs), per=Per.SEAT)  # type: ignore[arg-type]


def test_an_item_that_neither_follows_the_license_nor_crosses_a_gap_is_billed_as_it_is() -> None:
    item = fee("100.00", quantity=2)
    assert as_billed(item, SEATS) is item


def test_a_per_seat_item_takes_its_quantity_from_the_seats_in_force_on_its_start() -> None:
    billed = as_billed(per_seat(), [*SEATS, LicensedUnits(date(2027, 6, 1), seats=7, channels=1)])
    assert (billed.quantity, billed.changes, billed.per) == (3, (), None)


def test_a_per_channel_item_counts_the_channels() -> None:
    from dataclasses import replace

    item = replace(fee("40.00"), per=Per.CHANNEL)
    assert as_billed(item, SEATS).quantity == 2


def test_each_version_that_changes_the_count_becomes_a_dated_change_in_effective_date_order() -> None:
    licensed = [LicensedUnits(date(2028, 4, 1), 6, 2), *SEATS, LicensedUnits(date(2028, 3, 16), 5, 2),
                LicensedUnits(date(2028, 5, 1), 6, 3)]  # the last changes channels only
    billed = as_billed(per_seat(), licensed)
    assert [(c.effective, c.quantity) for c in billed.changes] == [(date(2028, 3, 16), 5), (date(2028, 4, 1), 6)]


def test_seats_amended_mid_period_are_prorated_on_both_sides() -> None:
    billed = as_billed(per_seat(), [*SEATS, LicensedUnits(date(2028, 3, 17), 5, 2)])
    march = charges_between([billed], window(), date(2028, 3, 1), date(2028, 3, 31))
    # March has 31 days; from the 17th, 15 are left: credit 3 seats (-145.16), charge 5 seats (241.94).
    assert {c.key.reason: c.amount for c in march} == {
        ChargeReason.PERIOD: Decimal("300.00"),
        ChargeReason.AMENDMENT_CREDIT: Decimal("-145.16"),
        ChargeReason.AMENDMENT_CHARGE: Decimal("241.94"),
    }


def test_the_amount_amended_in_billing_and_the_seats_amended_in_licensing_combine() -> None:
    item = per_seat(changes=(FeeChange(date(2028, 2, 1), amount=Decimal("120.00"), reason="new price"),))
    billed = as_billed(item, [*SEATS, LicensedUnits(date(2028, 3, 1), 4, 2)])
    assert [(c.effective, c.amount, c.quantity, c.reason) for c in billed.changes] == [
        (date(2028, 2, 1), Decimal("120.00"), 3, "new price"), (date(2028, 3, 1), Decimal("120.00"), 4,
                                                                  "license terms")]


def test_a_per_seat_item_refuses_a_quantity_amended_by_hand() -> None:
    with pytest.raises(ValueError, match="follows the license"):
        per_seat(changes=(FeeChange(date(2028, 3, 1), quantity=4),))


def test_days_between_a_lapsed_period_and_its_extension_are_not_billed() -> None:
    gap = DateRange(date(2028, 1, 1), date(2028, 1, 9))  # the extension starts on 10 January
    billed = as_billed(fee("3100.00", start=date(2027, 1, 1)), (), [gap])
    january = charges_between([billed], window(date(2027, 1, 1)), date(2028, 1, 1), date(2028, 1, 31))
    assert [(c.due_on, c.amount) for c in january] == [(date(2028, 1, 10), Decimal("2200.00"))]


def test_zero_seats_cost_nothing_and_leave_no_zero_lines() -> None:
    billed = as_billed(per_seat(cadence=Cadence.MONTHLY, timing=Timing.ARREARS),
                       [*SEATS, LicensedUnits(date(2028, 2, 1), 0, 2)])
    charges = charges_between([billed], window(), date(2028, 1, 1), date(2028, 3, 31))
    assert [(c.due_on, c.amount) for c in charges] == [(date(2028, 2, 1), Decimal("300.00"))]
