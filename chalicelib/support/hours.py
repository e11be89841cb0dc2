"""Business-minute arithmetic (clause 3.2): support clocks run Monday to Friday 09:00-18:00 in the licensor's time
zone, on the working days of a `WorkCalendar`, and stand still during pauses (waiting on the merchant, force
majeure). Pure functions of instants, the calendar and the pauses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.support.workdays import WorkCalendar

OPENS = time(9, 0)
CLOSES = time(18, 0)
MINUTES_PER_DAY = 9 * 60  # one business day, 09:00 to 18:00
_HORIZON_DAYS = 3 * 366   # a clock that finds no working time in three years has a broken calendar


@dataclass(frozen=True)
class Pause:
    """An interval during which a clock stands still; `end` None while it lasts."""

    start: datetime
    end: datetime | None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or (self.end is not None and self.end.tzinfo is None):
            raise ValueError("pauses take timezone-aware instants")
        if self.end is not None and self.end < self.start:
            raise ValueError("a pause cannot end before it starts")


def working_time(start: datetime, calendar: WorkCalendar, tz: ZoneInfo,
                 pauses: Sequence[Pause] = ()) -> Iterator[tuple[datetime, datetime | None]]:
    """The stretches of business time from `start` on, in order, with the pauses cut out. The last one may be
    `(instant, None)`: a pause that has not ended begins there, and the clock stands still from then on."""
    if start.tzinfo is None:
        raise ValueError("business time starts from a timezone-aware instant")
    ordered = sorted(pauses, key=lambda p: p.start)
    day = start.astimezone(tz).date()
    for _ in range(_HORIZON_DAYS):
        if calendar.is_working(day):
            opens = max(datetime.combine(day, OPENS, tz), start)
            closes = datetime.combine(day, CLOSES, tz)
            for piece_start, piece_end in _subtract(opens, closes, ordered):
                yield piece_start, piece_end
                if piece_end is None:
                    return
        day += timedelta(days=1)
    raise ValueError(f"No working day within {_HORIZON_DAYS} days of {start.isoformat()}; check the calendar")


def add_business_minutes(start: datetime, minutes: int, calendar: WorkCalendar, tz: ZoneInfo,
                         pauses: Sequence[Pause] = ()) -> datetime | None:
    """The instant `minutes` business minutes after `start`; None while an open pause holds the clock before then.
    A target that runs out exactly at closing time is due at 18:00, not at 09:00 the next working day."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    remaining = timedelta(minutes=minutes)
    for piece_start, piece_end in working_time(start, calendar, tz, pauses):
        if piece_end is None:
            return None
        if piece_end - piece_start >= remaining:
            return (piece_start + remaining).astimezone(tz)
        remaining -= piece_end - piece_start
    return None  # unreachable: working_time raises past its horizon


def business_minutes_between(start: datetime, end: datetime, calendar: WorkCalendar, tz: ZoneInfo,
                             pauses: Sequence[Pause] = ()) -> int:
    """Whole business minutes from `start` to `end` (0 if end is not after start)."""
    if end <= start:
        return 0
    total = timedelta()
    for piece_start, piece_end in working_time(start, calendar, tz, pauses):
        if piece_start >= end or piece_end is None:
            break
        total += min(piece_end, end) - piece_start
        if piece_end >= end:
            break
    return int(total.total_seconds() // 60)


def _subtract(start: datetime, end: datetime,
              pauses: Sequence[Pause]) -> Iterator[tuple[datetime, datetime | None]]:
    """[start, end) without the pauses (sorted by start). Yields (s, None) when an open pause begins inside."""
    cursor = start
    for pause in pauses:
        if cursor >= end:
            return
        if pause.end is not None and pause.end <= cursor:
            continue
        if pause.start >= end:
            break
        if pause.start > cursor:
            yield cursor, pause.start
        if pause.end is None:
            yield max(cursor, pause.start), None
            return
        cursor = max(cursor, pause.end)
    if cursor < end:
        yield cursor, end
