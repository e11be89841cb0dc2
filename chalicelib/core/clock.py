"""Time is injected: services ask a clock, never `datetime.now()` deep inside."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for cache ages."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass
class FixedClock:
    """A clock that stands still until moved: for tests and for time travel on demand."""

    current: datetime
    ticks: float = field(default=0.0)

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.ticks

    def advance(self, delta: timedelta) -> None:
        self.current += delta
        self.ticks += delta.total_seconds()


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date an instant falls on in the licensor's time zone."""
    return instant.astimezone(tz).date()
