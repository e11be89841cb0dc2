import itertools
from datetime import date

import pytest

from chalicelib.billing.periods import Cadence, DateRange, billing_periods, period_containing
from chalicelib.core.dates import add_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 1, 31), 2, date(2028, 3, 31)),
        (date(2028, 1, 31), 3, date(2028, 4, 30)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2028, 11, 30), 3, date(2029, 2, 28)),
        (date(2028, 12, 15), 1, date(2029, 1, 15)),
        (date(2028, 3, 31), -1, date(2028, 2, 29)),
    ],
)
def test_add_months_clamps_to_the_end_of_a_shorter_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_monthly_periods_from_31_january_return_to_the_31st_and_never_drift_to_the_29th() -> None:
    periods = billing_periods(
        date(2028, 1, 31), Cadence.MONTHLY, DateRange(date(2028, 1, 31), date(2028, 5, 31))
    )
    assert periods == [
        DateRange(date(2028, 1, 31), date(2028, 2, 28)),
        DateRange(date(2028, 2, 29), date(2028, 3, 30)),
        DateRange(date(2028, 3, 31), date(2028, 4, 29)),
        DateRange(date(2028, 4, 30), date(2028, 5, 30)),
        DateRange(date(2028, 5, 31), date(2028, 6, 29)),
    ]


def test_monthly_periods_from_31_january_in_a_common_year_start_on_28_february() -> None:
    assert period_containing(date(2027, 1, 31), Cadence.MONTHLY, date(2027, 3, 1)) == DateRange(
        date(2027, 2, 28), date(2027, 3, 30)
    )


@pytest.mark.parametrize(
    ("anchor", "cadence", "day", "expected"),
    [
        (date(2028, 1, 1), Cadence.MONTHLY, date(2028, 2, 29), (date(2028, 2, 1), date(2028, 2, 29))),
        (date(2028, 1, 1), Cadence.MONTHLY, date(2028, 1, 1), (date(2028, 1, 1), date(2028, 1, 31))),
        (date(2028, 1, 15), Cadence.MONTHLY, date(2028, 2, 14), (date(2028, 1, 15), date(2028, 2, 14))),
        (date(2028, 1, 15), Cadence.MONTHLY, date(2028, 2, 15), (date(2028, 2, 15), date(2028, 3, 14))),
        (date(2027, 11, 30), Cadence.QUARTERLY, date(2028, 3, 1), (date(2028, 2, 29), date(2028, 5, 29))),
        (date(2028, 2, 29), Cadence.YEARLY, date(2029, 3, 1), (date(2029, 2, 28), date(2030, 2, 27))),
        (date(2028, 2, 29), Cadence.YEARLY, date(2032, 2, 29), (date(2032, 2, 29), date(2033, 2, 27))),
        (date(2028, 1, 1), Cadence.YEARLY, date(2028, 12, 31), (date(2028, 1, 1), date(2028, 12, 31))),
    ],
)
def test_period_containing_a_day(
    anchor: date, cadence: Cadence, day: date, expected: tuple[date, date]
) -> None:
    assert period_containing(anchor, cadence, day) == DateRange(*expected)


def test_a_leap_year_period_has_366_days_and_february_2028_has_29() -> None:
    assert period_containing(date(2028, 1, 1), Cadence.YEARLY, date(2028, 6, 1)).days == 366
    assert period_containing(date(2028, 2, 1), Cadence.MONTHLY, date(2028, 2, 10)).days == 29


def test_consecutive_periods_leave_no_gap_and_no_overlap() -> None:
    periods = billing_periods(
        date(2028, 1, 31), Cadence.MONTHLY, DateRange(date(2028, 1, 31), date(2032, 12, 31))
    )
    for earlier, later in itertools.pairwise(periods):
        assert (later.start - earlier.end).days == 1


def test_no_period_before_the_anchor() -> None:
    with pytest.raises(ValueError, match="before the first period"):
        period_containing(date(2028, 1, 31), Cadence.MONTHLY, date(2028, 1, 30))


def test_one_off_and_per_session_fees_have_no_calendar_periods() -> None:
    with pytest.raises(ValueError, match="no calendar periods"):
        period_containing(date(2028, 1, 1), Cadence.ONE_OFF, date(2028, 1, 1))
