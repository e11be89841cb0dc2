"""Training sessions (clauses 1.1.5, 3.3) as plain values and their rules as pure functions. Time, place and method
are agreed per session; a delivered session is billable as a training fee (clause 5.1), a cancelled one is not."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from chalicelib.core.errors import Conflict, InvalidInput

MAX_TOPICS = 10
MAX_TEXT = 200


class Method(StrEnum):
    ONSITE = "onsite"
    ONLINE = "online"


class Status(StrEnum):
    SCHEDULED = "scheduled"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# Clause 3.3's subjects; any other topic is free text.
STANDARD_TOPICS = {"system_operation": "系统操作 / System operation", "features": "功能 / Features",
                   "service_skills": "客服技能 / Customer-service skills"}


@dataclass(frozen=True)
class TrainingSession:
    session_id: str
    licensee_id: str
    starts_at: datetime
    duration_minutes: int
    method: Method
    topics: tuple[str, ...]
    place: str = ""
    link: str = ""
    trainer: str = ""
    attendees: tuple[str, ...] = ()
    status: Status = Status.SCHEDULED
    reason: str = ""                  # why it was cancelled
    created_at: datetime | None = None
    changed_at: datetime | None = None
    revision: int = 1

    def day(self, tz: ZoneInfo) -> date:
        return self.starts_at.astimezone(tz).date()

    def topic_label(self) -> str:
        return ", ".join(STANDARD_TOPICS.get(t, t) for t in self.topics)

    def as_dict(self, tz: ZoneInfo) -> dict[str, Any]:
        return {"id": self.session_id, "licensee": self.licensee_id,
                "starts_at": self.starts_at.astimezone(tz).isoformat(), "duration_minutes": self.duration_minutes,
                "method": self.method.value, "place": self.place, "link": self.link, "topics": list(self.topics),
                "trainer": self.trainer, "attendees": list(self.attendees), "status": self.status.value,
                "reason": self.reason}


def new_session(session_id: str, licensee_id: str, starts_at: datetime, method: str, topics: list[str], *,
                place: str = "", link: str = "", trainer: str = "", duration_minutes: int = 120,
                now: datetime) -> TrainingSession:
    """A session as staff schedule it: online sessions need an https link, onsite ones a place; at least one
    topic; a start in the future."""
    if starts_at.tzinfo is None:
        raise InvalidInput("Give the start with its offset, e.g. 2026-10-15T14:00+08:00.", code="INVALID_TIME")
    if starts_at <= now:
        raise InvalidInput("A session is scheduled for a time still to come.", code="INVALID_TIME")
    try:
        chosen = Method(method)
    except ValueError as exc:
        raise InvalidInput("The method is onsite or online.", code="INVALID_METHOD") from exc
    place, link, trainer = place.strip(), link.strip(), trainer.strip()
    if chosen is Method.ONLINE:
        parsed = urlparse(link)
        if parsed.scheme != "https" or not parsed.netloc:
            raise InvalidInput("An online session needs its https link.", code="LINK_REQUIRED")
    elif not place:
        raise InvalidInput("An onsite session needs its place.", code="PLACE_REQUIRED")
    cleaned = tuple(dict.fromkeys(t.strip() for t in topics if t.strip()))
    if not cleaned:
        raise InvalidInput(f"Name at least one topic ({', '.join(STANDARD_TOPICS)} or free text).",
                           code="TOPICS_REQUIRED")
    if len(cleaned) > MAX_TOPICS or any(len(t) > MAX_TEXT for t in cleaned) or \
            max(len(place), len(link), len(trainer)) > 2 * MAX_TEXT:
        raise InvalidInput("Too many topics or too long a text.", code="INVALID_INPUT")
    if not 15 <= duration_minutes <= 8 * 60:
        raise InvalidInput("A session lasts 15 minutes to 8 hours.", code="INVALID_DURATION")
    return TrainingSession(session_id, licensee_id, starts_at, duration_minutes, chosen, cleaned, place, link,
                           trainer, created_at=now, changed_at=now)


def deliver(session: TrainingSession, attendees: list[str], at: datetime) -> TrainingSession:
    """Delivered, with who attended: from now on billable."""
    if session.status is not Status.SCHEDULED:
        raise Conflict(f"This session is {session.status.value}; only a scheduled one can be delivered.",
                       code="SESSION_NOT_SCHEDULED")
    if at < session.starts_at:
        raise InvalidInput("A session cannot be delivered before it starts.", code="INVALID_TIME")
    names = tuple(dict.fromkeys(a.strip() for a in attendees if a.strip()))
    if not names:
        raise InvalidInput("Name who attended.", code="ATTENDEES_REQUIRED")
    return replace(session, status=Status.DELIVERED, attendees=names, changed_at=at)


def cancel(session: TrainingSession, reason: str, at: datetime) -> TrainingSession:
    """Cancelled, with the reason: never billed."""
    if session.status is not Status.SCHEDULED:
        raise Conflict(f"This session is {session.status.value}; only a scheduled one can be cancelled.",
                       code="SESSION_NOT_SCHEDULED")
    if not reason.strip():
        raise InvalidInput("Say why the session is cancelled.", code="REASON_REQUIRED")
    return replace(session, status=Status.CANCELLED, reason=reason.strip(), changed_at=at)
