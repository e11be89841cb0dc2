"""Technical-support requests (clauses 1.1.4, 3.2) as plain values, and their rules as pure functions: what a
request may become, when its targets fall due in business time, and whether they were met.

A request is opened by the merchant (or recorded for it by staff); the licensor's first answer meets the
first-response target, closing it meets the resolution target. While the licensor waits on the merchant the
resolution clock stands still; during force majeure (clause 13.5) both clocks do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.support.hours import MINUTES_PER_DAY, Pause, add_business_minutes, business_minutes_between
from chalicelib.support.workdays import WorkCalendar

SUBJECT_MAX = 200
TEXT_MAX = 20_000
# A target approaches its due time once 80 % of its business minutes are spent (clause 3.2: staff are warned
# while there is still a fifth of the time left to answer).
APPROACHING_SHARE = 0.8


class Category(StrEnum):
    """Clause 1.1.4: what technical support covers."""

    INSTALLATION = "installation"
    CONFIGURATION = "configuration"
    UPGRADE = "upgrade"
    FAULT = "fault"


class Status(StrEnum):
    OPEN = "open"                        # the licensor's turn
    WAITING = "waiting_on_merchant"      # the merchant's turn: the resolution clock stands still
    CLOSED = "closed"


class Side(StrEnum):
    MERCHANT = "merchant"
    LICENSOR = "licensor"


class Target(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class Targets:
    """Per agreement; the defaults are the issue's: 4 business hours to answer, 3 business days to resolve."""

    first_response_minutes: int = 4 * 60
    resolution_minutes: int = 3 * MINUTES_PER_DAY

    def __post_init__(self) -> None:
        if not 0 < self.first_response_minutes <= self.resolution_minutes:
            raise InvalidInput("The first-response target must be positive and no longer than the resolution "
                               "target.", code="INVALID_TARGETS")

    def as_dict(self) -> dict[str, int]:
        return {"first_response_minutes": self.first_response_minutes,
                "resolution_minutes": self.resolution_minutes}


@dataclass(frozen=True)
class Message:
    number: int
    side: Side
    author: str
    text: str
    at: datetime

    def as_dict(self, tz: ZoneInfo) -> dict[str, Any]:
        return {"number": self.number, "side": self.side.value, "author": self.author, "text": self.text,
                "at": _iso(self.at, tz)}


@dataclass(frozen=True)
class SupportRequest:
    request_id: str
    licensee_id: str
    subject: str
    category: Category
    opened_at: datetime
    opened_by: str
    via: str                       # api, console, cli, email
    targets: Targets
    status: Status = Status.OPEN
    messages: tuple[Message, ...] = ()
    waiting: tuple[Pause, ...] = ()  # times the licensor waited on the merchant
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    breaches: frozenset[Target] = frozenset()
    warned: frozenset[Target] = frozenset()  # targets whose approach was announced (once each)
    revision: int = 1


@dataclass(frozen=True)
class Clocks:
    """The due times of a request's targets and where each stands at `now`."""

    first_response_due: datetime | None   # None while a pause that has not ended holds the clock
    resolution_due: datetime | None
    first_response_met: bool | None       # None: not answered yet
    resolution_met: bool | None
    breached: frozenset[Target] = frozenset()
    approaching: frozenset[Target] = frozenset()
    paused: bool = False
    provisional: bool = False             # a due time rests on a year whose schedule is not published yet

    def as_dict(self) -> dict[str, Any]:
        return {"first_response_due": _iso(self.first_response_due), "resolution_due": _iso(self.resolution_due),
                "first_response_met": self.first_response_met, "resolution_met": self.resolution_met,
                "breached": sorted(t.value for t in self.breached),
                "approaching": sorted(t.value for t in self.approaching),
                "paused": self.paused, "provisional": self.provisional}


def new_request(request_id: str, licensee_id: str, subject: str, text: str, category: str | None,
                opened_at: datetime, opened_by: str, via: str, targets: Targets) -> SupportRequest:
    """A request as the merchant opens it, its first message the description. Validates everything."""
    subject = _text(subject, "subject", SUBJECT_MAX)
    body = _text(text, "text", TEXT_MAX)
    try:
        chosen = Category(category or Category.FAULT)
    except ValueError as exc:
        raise InvalidInput(f"Category must be one of {', '.join(c.value for c in Category)}.",
                           code="INVALID_CATEGORY") from exc
    first = Message(1, Side.MERCHANT, opened_by, body, opened_at)
    return SupportRequest(request_id, licensee_id, subject, chosen, opened_at, opened_by, via, targets,
                          messages=(first,))


def reply(request: SupportRequest, side: Side, author: str, text: str, at: datetime,
          wait_for_merchant: bool = False) -> SupportRequest:
    """Add a message. The licensor's first answer meets the first-response target; `wait_for_merchant` hands the
    turn to the merchant (the resolution clock stops); the merchant's answer hands it back."""
    if request.status is Status.CLOSED:
        raise Conflict("This request is closed; open a new one.", code="REQUEST_CLOSED")
    if wait_for_merchant and side is not Side.LICENSOR:
        raise InvalidInput("Only the licensor waits on the merchant.", code="INVALID_INPUT")
    message = Message(len(request.messages) + 1, side, author, _text(text, "text", TEXT_MAX), at)
    changed = replace(request, messages=(*request.messages, message))
    if side is Side.LICENSOR:
        if request.first_response_at is None:
            changed = replace(changed, first_response_at=at)
        if wait_for_merchant and request.status is not Status.WAITING:
            changed = replace(changed, status=Status.WAITING, waiting=(*request.waiting, Pause(at, None, "waiting")))
    elif request.status is Status.WAITING:
        changed = replace(changed, status=Status.OPEN, waiting=_end_wait(request.waiting, at))
    return changed


def close(request: SupportRequest, at: datetime) -> SupportRequest:
    """Resolved: the resolution clock stops for good. A first answer not yet given is the closing itself."""
    if request.status is Status.CLOSED:
        raise Conflict("This request is closed already.", code="REQUEST_CLOSED")
    return replace(request, status=Status.CLOSED, closed_at=at, waiting=_end_wait(request.waiting, at),
                   first_response_at=request.first_response_at or at)


def force_majeure_pauses(periods: Sequence[tuple[date, date]], tz: ZoneInfo) -> list[Pause]:
    """Force-majeure periods are recorded as whole days (clause 13.5): from 00:00 of the first to 24:00 of the last."""
    return [Pause(datetime.combine(start, time(0), tz), datetime.combine(end + timedelta(days=1), time(0), tz),
                  "force majeure") for start, end in periods]


def clocks(request: SupportRequest, now: datetime, calendar: WorkCalendar, tz: ZoneInfo,
           force_majeure: Sequence[Pause] = ()) -> Clocks:
    """Due times in business minutes from the opening: the first response pauses only for force majeure (the
    merchant cannot be waited on before the licensor answered), the resolution also while waiting on the merchant.
    A target is breached when it was met after its due time or is still unmet past it."""
    start = request.opened_at
    first_due = add_business_minutes(start, request.targets.first_response_minutes, calendar, tz, force_majeure)
    resolution_due = add_business_minutes(start, request.targets.resolution_minutes, calendar, tz,
                                          [*force_majeure, *request.waiting])
    breached, approaching = set(), set()
    for target, due, met_at in ((Target.FIRST_RESPONSE, first_due, request.first_response_at),
                                (Target.RESOLUTION, resolution_due, request.closed_at)):
        if due is None:
            continue
        if (met_at or now) > due:
            breached.add(target)
        elif met_at is None and business_minutes_between(now, due, calendar, tz, force_majeure) \
                <= round(_minutes(request.targets, target) * (1 - APPROACHING_SHARE)):
            approaching.add(target)
    provisional = any(calendar.provisional(d.astimezone(tz).date()) for d in (first_due, resolution_due) if d)
    return Clocks(first_due, resolution_due,
                  None if request.first_response_at is None else Target.FIRST_RESPONSE not in breached,
                  None if request.closed_at is None else Target.RESOLUTION not in breached,
                  frozenset(breached), frozenset(approaching),
                  paused=any(p.end is None for p in request.waiting) or any(p.start <= now < p.end for p in
                                                                              force_majeure if p.end),
                  provisional=provisional)


def _minutes(targets: Targets, target: Target) -> int:
    return targets.first_response_minutes if target is Target.FIRST_RESPONSE else targets.resolution_minutes


def new_warnings(request: SupportRequest, current: Clocks) -> frozenset[Target]:
    """Targets that passed 80 % of their time and were not announced yet: each announced once (its alarm)."""
    return current.approaching - request.warned


def new_breaches(request: SupportRequest, current: Clocks) -> frozenset[Target]:
    """Breaches not recorded yet: each target's breach is recorded once, as evidence for the licensee (clause 9)."""
    return current.breached - request.breaches


def as_dict(request: SupportRequest, current: Clocks, tz: ZoneInfo, *, with_messages: bool = True) -> dict[str, Any]:
    """The request as merchants and staff see it; every instant in the licensor's time zone, with its offset."""
    data: dict[str, Any] = {
        "id": request.request_id, "licensee": request.licensee_id, "subject": request.subject,
        "category": request.category.value, "status": request.status.value, "via": request.via,
        "opened_at": _iso(request.opened_at, tz), "opened_by": request.opened_by,
        "first_response_at": _iso(request.first_response_at, tz), "closed_at": _iso(request.closed_at, tz),
        "targets": request.targets.as_dict(), **current.as_dict(),
        "breaches_recorded": sorted(t.value for t in request.breaches),
    }
    if with_messages:
        data["messages"] = [m.as_dict(tz) for m in request.messages]
    return data


def _end_wait(waiting: tuple[Pause, ...], at: datetime) -> tuple[Pause, ...]:
    return tuple(Pause(p.start, at, p.reason) if p.end is None else p for p in waiting)


def _text(value: str, name: str, limit: int) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInput(f"The {name} must not be empty.", code="INVALID_INPUT")
    if len(cleaned) > limit:
        raise InvalidInput(f"The {name} is longer than {limit} characters.", code="INVALID_INPUT")
    return cleaned


def _iso(value: datetime | None, tz: ZoneInfo | None = None) -> str | None:
    if value is None:
        return None
    return (value.astimezone(tz) if tz else value).isoformat()
