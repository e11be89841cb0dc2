"""Which days the licensor's support desk works (clause 3.2): Monday to Friday, statutory holidays off, make-up
working days (调休) on. Pure: the sources are read by functions here, the staff's overrides are passed in.

Where a year's schedule comes from, in order of precedence:
1. a schedule staff imported for the year (the State Council's notice, `./kefu calendar import`);
2. `chinesecalendar`, which carries the published schedules up to the year it was released for;
3. for later years, the public holidays `holidays` computes, without make-up days: marked *provisional*,
   because the real schedule moves days around and is published only each November or December.
Single days staff add or remove sit on top of whichever schedule applies. Nothing is guessed silently: every
answer says its source, and a provisional one says so.

(The module is not called `calendar`: a file of that name shadows the standard library's.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache


class Source(StrEnum):
    OFFICIAL = "official"        # chinesecalendar: the State Council's published schedule
    IMPORTED = "imported"        # imported by licensor staff
    PROVISIONAL = "provisional"  # computed public holidays only; make-up days unknown


@dataclass(frozen=True)
class YearSchedule:
    """One year's departures from Monday-to-Friday: weekdays off and weekend days worked."""

    year: int
    source: Source
    off: frozenset[date] = frozenset()
    on: frozenset[date] = frozenset()  # make-up working days (调休)
    names: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        stray = sorted(d for d in self.off | self.on if d.year != self.year)
        if stray:
            raise ValueError(f"{stray[0].isoformat()} is not in {self.year}")
        both = sorted(self.off & self.on)
        if both:
            raise ValueError(f"{both[0].isoformat()} is listed both as a day off and as a working day")


@dataclass(frozen=True)
class DayOverride:
    """A single day staff set by hand: `working` True adds a working day, False takes one away."""

    day: date
    working: bool
    note: str = ""


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    source: Source | str  # a Source, or "override" for a single day staff set
    name: str = ""

    @property
    def provisional(self) -> bool:
        return self.source == Source.PROVISIONAL


class WorkCalendar:
    """Answers `is_working(day)` from the imported schedules, the official ones, the provisional fallback and the
    single-day overrides. Schedules are resolved once per year and kept (the sources never change in a process;
    staff changes build a new calendar)."""

    def __init__(self, imported: Mapping[int, YearSchedule] | None = None,
                 overrides: Mapping[date, DayOverride] | None = None) -> None:
        self._imported = dict(imported or {})
        self._overrides = dict(overrides or {})
        self._years: dict[int, YearSchedule] = {}

    def schedule(self, year: int) -> YearSchedule:
        if year not in self._years:
            self._years[year] = self._imported.get(year) or official_schedule(year) or provisional_schedule(year)
        return self._years[year]

    def day(self, day: date) -> DayInfo:
        override = self._overrides.get(day)
        if override is not None:
            return DayInfo(day, override.working, "override", override.note)
        schedule = self.schedule(day.year)
        name = schedule.names.get(day, "")
        if day in schedule.on:
            return DayInfo(day, True, schedule.source, name)
        if day in schedule.off:
            return DayInfo(day, False, schedule.source, name)
        return DayInfo(day, day.weekday() < 5, schedule.source, name)

    def is_working(self, day: date) -> bool:
        return self.day(day).working

    def provisional(self, day: date) -> bool:
        """Whether the answer for this day rests on the computed fallback rather than a published schedule."""
        return self._overrides.get(day) is None and self.schedule(day.year).source is Source.PROVISIONAL

    def year_days(self, year: int) -> list[DayInfo]:
        """Every day of the year that is not an ordinary weekday or weekend: holidays, make-up days, overrides."""
        schedule = self.schedule(year)
        special = set(schedule.off | schedule.on) | {d for d in self._overrides if d.year == year}
        return [self.day(d) for d in sorted(special)]


def official_schedule(year: int) -> YearSchedule | None:
    """The State Council's schedule for a year as chinesecalendar carries it; None for a year it does not know."""
    first, last = _official_years()
    if not first <= year <= last:
        return None
    from chinese_calendar import constants

    off = {d: _holiday_name(n) for d, n in constants.holidays.items() if d.year == year and d.weekday() < 5}
    on = {d: _holiday_name(n) for d, n in constants.workdays.items() if d.year == year and d.weekday() >= 5}
    return YearSchedule(year, Source.OFFICIAL, frozenset(off), frozenset(on), {**off, **on})


def provisional_schedule(year: int) -> YearSchedule:
    """Public holidays as `holidays` computes them (weekdays only), no make-up days: provisional by nature."""
    import holidays

    off = {d: str(name) for d, name in holidays.China(years=year).items() if d.weekday() < 5}
    return YearSchedule(year, Source.PROVISIONAL, frozenset(off), frozenset(), off)


@cache
def _official_years() -> tuple[int, int]:
    """The years chinesecalendar knows in full: from its first holiday to the year of its last one."""
    from chinese_calendar import constants

    return min(constants.holidays).year, max(constants.holidays).year


def _holiday_name(value: object) -> str:
    # chinesecalendar's values are Holiday enum members whose value is (english, chinese, days)
    english = getattr(value, "value", (value,))[0]
    return str(english)


def parse_schedule(year: int, text: str) -> YearSchedule:
    """A schedule staff import: one day a line, `YYYY-MM-DD off|on [name]`; `#` starts a comment.

    `off` is a weekday without work (a holiday), `on` a weekend day with work (调休). Listing a day that needs
    no mention (an ordinary Saturday as off) is accepted; a day of another year or an unknown word is not."""
    off: dict[date, str] = {}
    on: dict[date, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1].lower() not in ("off", "on"):
            raise ValueError(f"line {number}: write 'YYYY-MM-DD off|on [name]', not {raw.strip()!r}")
        try:
            day = date.fromisoformat(parts[0])
        except ValueError as exc:
            raise ValueError(f"line {number}: {parts[0]!r} is not a date (YYYY-MM-DD)") from exc
        if day.year != year:
            raise ValueError(f"line {number}: {day.isoformat()} is not in {year}")
        (off if parts[1].lower() == "off" else on)[day] = parts[2].strip() if len(parts) > 2 else ""
    if not off:
        raise ValueError(f"The schedule for {year} lists no day off; is this the right file?")
    return YearSchedule(year, Source.IMPORTED, frozenset(off), frozenset(on), {**off, **on})


def schedule_missing(calendar: WorkCalendar, today: date) -> int | None:
    """From 1 December, the next year when its schedule is still only provisional (staff should import it)."""
    if today.month != 12:
        return None
    year = today.year + 1
    return year if calendar.schedule(year).source is Source.PROVISIONAL else None

