"""Dates and periods of billing: inclusive date ranges, the calendar periods of a recurring fee anchored on a
day, and the days an agreement is in force. Pure: nothing here reads a clock or a table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from chalicelib.core.dates import add_months

ONE_DAY = timedelta(days=1)


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ONE_OFF = "one_off"
    PER_SESSION = "per_session"


_MONTHS_PER_PERIOD = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.YEARLY: 12}


@dataclass(frozen=True, order=True)
class DateRange:
    """Calendar days from ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a date range cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def intersection(self, other: DateRange) -> DateRange | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return DateRange(start, end) if start <= end else None

    def __str__(self) -> str:
        return f"{self.start.isoformat()}–{self.end.isoformat()}"


def _months_per_period(cadence: Cadence) -> int:
    try:
        return _MONTHS_PER_PERIOD[cadence]
    except KeyError:
        raise ValueError(f"{cadence} fees have no calendar periods") from None


def period_containing(anchor: date, cadence: Cadence, day: date) -> DateRange:
    """The billing period of a recurring fee anchored on ``anchor`` that contains ``day``.

    The n-th period starts on ``add_months(anchor, n * k)`` (k = 1, 3 or 12), always computed from the
    anchor, so a 31 January anchor gives 31 Jan, 29 Feb 2028, 31 Mar: the day never drifts. A period ends
    the day before the next one starts.
    """
    step = _months_per_period(cadence)
    if day < anchor:
        raise ValueError(f"{day} is before the first period, which starts on {anchor}")
    n = ((day.year - anchor.year) * 12 + day.month - anchor.month) // step
    while add_months(anchor, n * step) > day:
        n -= 1
    while add_months(anchor, (n + 1) * step) <= day:
        n += 1
    return DateRange(add_months(anchor, n * step), add_months(anchor, (n + 1) * step) - ONE_DAY)


def billing_periods(anchor: date, cadence: Cadence, within: DateRange) -> list[DateRange]:
    """Every full period anchored on ``anchor`` that overlaps ``within`` (periods are not cut here)."""
    first_day = max(anchor, within.start)
    if first_day > within.end:
        return []
    periods = [period_containing(anchor, cadence, first_day)]
    while periods[-1].end < within.end:
        next_start = periods[-1].end + ONE_DAY
        periods.append(period_containing(anchor, cadence, next_start))
    return periods


@dataclass(frozen=True)
class AgreementWindow:
    """The days an agreement is in force: ``start`` to ``end`` inclusive (clause 4.1; 4.2 extends ``end``)."""

    agreement_id: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"agreement {self.agreement_id} ends {self.end}, before it starts {self.start}")
