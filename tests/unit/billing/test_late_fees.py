from datetime import date
from decimal import Decimal

import pytest

from chalicelib.billing.invoices import BalanceChange
from chalicelib.billing.overdue import accrued_late_fee, late_fee, suspension_day
from chalicelib.billing.periods import DateRange

RATE = Decimal("0.0005")  # 0.05% a day
DUE = date(2028, 1, 31)


def test_late_fee_is_amount_times_daily_rate_times_days_rounded_once() -> None:
    assert late_fee(Decimal("10000.00"), RATE, 30) == Decimal("150.00")
    assert late_fee(Decimal("333.33"), RATE, 7) == Decimal("1.17")  # 1.1666…
    assert late_fee(Decimal("10.00"), RATE, 1) == Decimal("0.01")  # 0.005 rounds half up
    assert late_fee(Decimal("10000.00"), RATE, 0) == Decimal("0.00")


@pytest.mark.parametrize(
    ("amount", "rate", "days"),
    [(Decimal("-1.00"), RATE, 1), (Decimal("1.00"), Decimal("-0.1"), 1), (Decimal("1.00"), RATE, -1)],
)
def test_late_fee_refuses_negative_inputs(amount: Decimal, rate: Decimal, days: int) -> None:
    with pytest.raises(ValueError, match="negative"):
        late_fee(amount, rate, days)


def test_late_fee_refuses_a_float_rate() -> None:
    with pytest.raises(ValueError, match="Decimal"):
        late_fee(Decimal("1.00"), 0.0005, 1)  # type: ignore[arg-type]


def test_no_late_fee_accrues_up_to_and_on_the_due_date() -> None:
    history = [BalanceChange(date(2028, 1, 1), Decimal("10000.00"))]
    assert accrued_late_fee(history, DUE, DUE, RATE) == Decimal("0.00")
    assert accrued_late_fee(history, DUE, date(2028, 2, 1), RATE) == Decimal("5.00")


def test_a_partial_payment_reduces_the_base_from_the_day_it_is_received() -> None:
    history = [
        BalanceChange(date(2028, 1, 1), Decimal("10000.00")),
        BalanceChange(date(2028, 2, 11), Decimal("-6000.00")),
        BalanceChange(date(2028, 2, 21), Decimal("-4000.00")),
    ]
    # 1–10 Feb on 10000 (10 days), 11–20 Feb on 4000 (10 days), paid in full on 21 Feb.
    expected = Decimal("10000") * RATE * 10 + Decimal("4000") * RATE * 10
    assert accrued_late_fee(history, DUE, date(2028, 3, 31), RATE) == expected == Decimal("70.00")


def test_force_majeure_days_accrue_no_late_fee() -> None:
    history = [BalanceChange(date(2028, 1, 1), Decimal("10000.00"))]
    paused = [DateRange(date(2028, 2, 5), date(2028, 2, 14))]
    # 29 overdue days in February, 10 of them paused.
    assert accrued_late_fee(history, DUE, date(2028, 2, 29), RATE, paused) == Decimal("95.00")


def test_a_pause_covering_the_whole_overdue_time_leaves_no_late_fee() -> None:
    history = [BalanceChange(date(2028, 1, 1), Decimal("500.00"))]
    paused = [DateRange(date(2028, 1, 20), date(2028, 3, 1))]
    assert accrued_late_fee(history, DUE, date(2028, 3, 1), RATE, paused) == Decimal("0.00")


def test_accrued_late_fee_is_rounded_once_on_the_sum_not_per_day() -> None:
    # 0.004 a day for 10 days: per day it would round to 0.00 ten times; once it is 0.04.
    history = [BalanceChange(date(2028, 1, 1), Decimal("8.00"))]
    assert accrued_late_fee(history, DUE, date(2028, 2, 10), RATE) == Decimal("0.04")


def test_an_overpaid_invoice_accrues_nothing() -> None:
    history = [BalanceChange(date(2028, 1, 1), Decimal("100.00")), BalanceChange(DUE, Decimal("-150.00"))]
    assert accrued_late_fee(history, DUE, date(2028, 3, 1), RATE) == Decimal("0.00")


def test_the_suspension_grace_skips_force_majeure_days() -> None:
    due = date(2026, 1, 31)
    assert suspension_day(due, 15) == date(2026, 2, 16)
    assert suspension_day(due, 15, [DateRange(date(2026, 2, 10), date(2026, 2, 14))]) == date(2026, 2, 21)
    # a pause over the would-be suspension day moves it past the pause
    assert suspension_day(due, 15, [DateRange(date(2026, 2, 16), date(2026, 2, 18))]) == date(2026, 2, 19)
    assert suspension_day(due, 0, [DateRange(date(2026, 2, 1), date(2026, 2, 3))]) == date(2026, 2, 4)
    # a pause before the due date changes nothing
    assert suspension_day(due, 15, [DateRange(date(2026, 1, 1), date(2026, 1, 31))]) == date(2026, 2, 16)
