"""Where the support desk's working days come from: the published schedule, staff imports, the provisional
fallback, single days."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.support.workdays import (
    DayOverride,
    Source,
    WorkCalendar,
    parse_schedule,
    schedule_missing,
)


def test_2026_comes_from_the_published_schedule_with_its_make_up_days() -> None:
    calendar = WorkCalendar()
    assert calendar.schedule(2026).source is Source.OFFICIAL
    assert not calendar.is_working(date(2026, 10, 1))
    assert not calendar.is_working(date(2026, 9, 25))        # Mid-Autumn, a Friday
    assert calendar.is_working(date(2026, 10, 10))           # make-up Saturday
    assert calendar.is_working(date(2026, 9, 20))            # make-up Sunday
    assert not calendar.is_working(date(2026, 10, 11))       # an ordinary Sunday
    assert not calendar.provisional(date(2026, 10, 10))


def test_a_year_past_the_published_schedules_is_provisional_and_says_so() -> None:
    calendar = WorkCalendar()
    info = calendar.day(date(2027, 10, 1))
    assert info.provisional and not info.working and info.name == "National Day"
    assert calendar.provisional(date(2027, 3, 3))
    assert calendar.schedule(2027).on == frozenset()  # make-up days cannot be computed


def test_an_imported_schedule_replaces_the_fallback() -> None:
    schedule = parse_schedule(2027, "# State Council notice\n2027-02-05 off Spring Festival\n"
                                    "2027-02-20 on Spring Festival make-up\n2027-10-01 off\n")
    calendar = WorkCalendar({2027: schedule})
    assert calendar.schedule(2027).source is Source.IMPORTED
    assert calendar.is_working(date(2027, 2, 20)) and not calendar.is_working(date(2027, 2, 5))
    assert calendar.is_working(date(2027, 9, 15))  # the fallback's Mid-Autumn no longer applies
    assert not calendar.provisional(date(2027, 9, 15))


@pytest.mark.parametrize(("text", "message"), [
    ("2027-02-05 holiday", "off|on"),
    ("2027-13-01 off", "not a date"),
    ("2028-01-01 off", "not in 2027"),
    ("2027-02-20 on", "no day off"),
    ("2027-02-05 off\n2027-02-05 on", "both"),
])
def test_a_malformed_schedule_is_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(2027, text)


def test_single_days_sit_on_top_of_any_schedule() -> None:
    calendar = WorkCalendar(overrides={date(2026, 10, 10): DayOverride(date(2026, 10, 10), False, "office closed")})
    info = calendar.day(date(2026, 10, 10))
    assert (info.working, info.source, info.name) == (False, "override", "office closed")
    assert date(2026, 10, 10) in [d.day for d in calendar.year_days(2026)]


def test_from_december_the_missing_schedule_of_next_year_is_reported() -> None:
    calendar = WorkCalendar()
    assert schedule_missing(calendar, date(2026, 11, 30)) is None
    assert schedule_missing(calendar, date(2026, 12, 1)) == 2027
    imported = WorkCalendar({2027: parse_schedule(2027, "2027-01-01 off")})
    assert schedule_missing(imported, date(2026, 12, 1)) is None
    assert schedule_missing(calendar, date(2025, 12, 1)) is None  # 2026 is published
