"""Business-minute arithmetic (clause 3.2): Monday to Friday 09:00-18:00 Asia/Shanghai, statutory holidays off,
make-up working days on, pauses cut out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.support.hours import Pause, add_business_minutes, business_minutes_between
from chalicelib.support.workdays import DayOverride, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar()
FOUR_HOURS = 4 * 60


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(("opened", "minutes", "due", "why"), [
    # the worked examples (first response: 4 business hours)
    ("2026-09-30 17:00", FOUR_HOURS, "2026-10-08 12:00", "National Day 1-7 October off"),
    ("2026-10-09 16:00", FOUR_HOURS, "2026-10-10 11:00", "Saturday 10 October is a make-up working day"),
    ("2026-09-24 17:00", FOUR_HOURS, "2026-09-28 12:00", "Mid-Autumn 25-27 September off"),
    # ordinary days
    ("2026-06-15 09:00", FOUR_HOURS, "2026-06-15 13:00", "inside one day"),
    ("2026-06-15 09:00", 9 * 60, "2026-06-15 18:00", "a target that runs out at closing is due at 18:00"),
    ("2026-06-15 18:00", FOUR_HOURS, "2026-06-16 13:00", "opened at closing: the clock starts next morning"),
    ("2026-06-15 07:30", FOUR_HOURS, "2026-06-15 13:00", "opened before opening time"),
    ("2026-06-15 23:59", 1, "2026-06-16 09:01", "opened at night"),
    ("2026-06-18 17:00", FOUR_HOURS, "2026-06-22 12:00", "Dragon Boat Festival Friday 19 June off"),
    ("2026-06-20 10:00", FOUR_HOURS, "2026-06-22 13:00", "opened on a Saturday"),
    ("2026-06-15 10:00", 3 * 9 * 60, "2026-06-18 10:00", "resolution: three business days"),
    ("2026-06-15 10:00", 0, "2026-06-15 10:00", "no time at all"),
    # month and year ends
    ("2026-06-30 16:00", FOUR_HOURS, "2026-07-01 11:00", "across a month end"),
    ("2026-12-31 17:00", FOUR_HOURS, "2027-01-04 12:00", "across the year end into a provisional year: "
                                                         "1 January 2027 is a holiday, 2-3 a weekend"),
    ("2025-12-31 17:00", FOUR_HOURS, "2026-01-04 12:00", "New Year 2026: 1-3 January off, Sunday 4 January is a "
                                                         "make-up working day"),
    ("2026-01-04 17:00", FOUR_HOURS, "2026-01-05 12:00", "a make-up Sunday counts in full"),
    ("2026-02-13 17:00", FOUR_HOURS, "2026-02-14 12:00", "Saturday 14 February 2026 is a make-up working day"),
    ("2026-02-14 17:00", FOUR_HOURS, "2026-02-24 12:00", "Spring Festival 15-23 February 2026 off"),
    # a provisional year (computed holidays only)
    ("2027-09-14 17:00", FOUR_HOURS, "2027-09-16 12:00", "Mid-Autumn 2027 (15 September) from the fallback"),
    ("2027-04-02 17:00", FOUR_HOURS, "2027-04-06 12:00", "Tomb-Sweeping Monday 5 April 2027 from the fallback"),
])
def test_due_time(opened: str, minutes: int, due: str, why: str) -> None:
    assert add_business_minutes(at(opened), minutes, CALENDAR, SHANGHAI) == at(due), why


def test_due_time_is_given_in_the_licensors_zone_from_a_utc_instant() -> None:
    opened = at("2026-09-30 17:00").astimezone(ZoneInfo("UTC"))
    due = add_business_minutes(opened, FOUR_HOURS, CALENDAR, SHANGHAI)
    assert due is not None and due.isoformat() == "2026-10-08T12:00:00+08:00"


def test_waiting_on_the_merchant_stops_the_clock() -> None:
    pause = Pause(at("2026-06-15 10:00"), at("2026-06-16 10:00"), "waiting")
    # one hour before the pause, three after it
    assert add_business_minutes(at("2026-06-15 09:00"), FOUR_HOURS, CALENDAR, SHANGHAI, [pause]) == \
        at("2026-06-16 13:00")


def test_a_pause_that_has_not_ended_leaves_no_due_time() -> None:
    pause = Pause(at("2026-06-15 10:00"), None)
    assert add_business_minutes(at("2026-06-15 09:00"), FOUR_HOURS, CALENDAR, SHANGHAI, [pause]) is None
    # a target reached before the open pause begins is still due
    assert add_business_minutes(at("2026-06-15 09:00"), 30, CALENDAR, SHANGHAI, [pause]) == at("2026-06-15 09:30")


def test_force_majeure_days_and_overlapping_pauses() -> None:
    typhoon = Pause(at("2026-06-16 00:00"), at("2026-06-18 00:00"), "force majeure")
    waiting = Pause(at("2026-06-15 17:00"), at("2026-06-16 12:00"), "waiting")
    assert add_business_minutes(at("2026-06-15 16:00"), FOUR_HOURS, CALENDAR, SHANGHAI, [typhoon, waiting]) == \
        at("2026-06-18 12:00")


def test_minutes_between_counts_only_business_time() -> None:
    assert business_minutes_between(at("2026-09-30 17:00"), at("2026-10-08 12:00"), CALENDAR, SHANGHAI) == FOUR_HOURS
    assert business_minutes_between(at("2026-06-15 12:00"), at("2026-06-15 11:00"), CALENDAR, SHANGHAI) == 0
    pause = Pause(at("2026-06-15 10:00"), None)
    assert business_minutes_between(at("2026-06-15 09:00"), at("2026-06-17 09:00"), CALENDAR, SHANGHAI,
                                    [pause]) == 60


def test_a_day_staff_add_or_remove_changes_the_clock() -> None:
    removed = WorkCalendar(overrides={date(2026, 6, 16): DayOverride(date(2026, 6, 16), False, "typhoon office")})
    assert add_business_minutes(at("2026-06-15 17:00"), FOUR_HOURS, removed, SHANGHAI) == at("2026-06-17 12:00")
    added = WorkCalendar(overrides={date(2026, 6, 27): DayOverride(date(2026, 6, 27), True)})
    assert add_business_minutes(at("2026-06-26 17:00"), FOUR_HOURS, added, SHANGHAI) == at("2026-06-27 12:00")


def test_a_calendar_without_working_days_is_an_error_not_a_hang() -> None:
    start = date(2026, 6, 1)
    closed = WorkCalendar(overrides={start + timedelta(n): DayOverride(start + timedelta(n), False)
                                     for n in range(4 * 366)})
    with pytest.raises(ValueError, match="No working day"):
        add_business_minutes(at("2026-06-01 09:00"), 1, closed, SHANGHAI)
