"""Training's use cases: staff schedule, deliver and cancel sessions; merchants see theirs; billing reads the
delivered sessions of a period through `delivered_between` (the `BillableSessions` protocol billing declares)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chalicelib.i18n as i18n
from chalicelib.audit.model import AuditRecord
from chalicelib.core.clock import Clock
from chalicelib.core.errors import NotFound
from chalicelib.core.ids import new_id
from chalicelib.training import model
from chalicelib.training.model import Status, TrainingSession
from chalicelib.training.store import TrainingStore

# Sends a notice to the licensee's notice address under a business key (clause 13.1): billing's notices.
Notify = Callable[[str, str, str, str], bool]  # (licensee_id, key, subject, text) -> sent now (not before)
LicenseeKnown = Callable[[str], bool]


@dataclass(frozen=True)
class DeliveredSession:
    """What billing needs of a delivered session to bill it once: its id, day and topics."""

    session_id: str
    day: date
    topics: str


class TrainingService:
    def __init__(self, store: TrainingStore, clock: Clock, tz: ZoneInfo, notify: Notify,
                 licensee_known: LicenseeKnown, delivered: Callable[[str, date], None] | None = None) -> None:
        self.store, self.clock, self.tz = store, clock, tz
        self._notify, self._licensee_known = notify, licensee_known
        self._delivered = delivered  # billing: the account becomes due, so the next run bills the session

    def schedule(self, licensee_id: str, starts_at: datetime, method: str, topics: list[str], actor: str, *,
                 place: str = "", link: str = "", trainer: str = "", duration_minutes: int = 120) -> dict[str, Any]:
        """Schedule a session and send its notice to the licensee's notice address."""
        if not self._licensee_known(licensee_id):
            raise NotFound(f"No licensee {licensee_id} with an agreement.", code="LICENSEE_NOT_FOUND")
        session = model.new_session(new_id("trn"), licensee_id, starts_at, method, topics, place=place, link=link,
                                    trainer=trainer, duration_minutes=duration_minutes, now=self.clock.now())
        self.store.add(session, self._audit(session, "training.scheduled", actor))
        self._send(session, "scheduled")
        return session.as_dict(self.tz)

    def deliver(self, session_id: str, attendees: list[str], actor: str) -> dict[str, Any]:
        """Delivered, with who attended: billable from now on under the licensee's per_session training fee."""
        session = self._load(session_id)
        now = self.clock.now()
        done = self.store.save(session, model.deliver(session, attendees, now),
                               self._audit(session, "training.delivered", actor, {"attendees": attendees}))
        if self._delivered is not None:
            self._delivered(done.licensee_id, now.astimezone(self.tz).date())
        return done.as_dict(self.tz)

    def cancel(self, session_id: str, reason: str, actor: str) -> dict[str, Any]:
        session = self._load(session_id)
        done = self.store.save(session, model.cancel(session, reason, self.clock.now()),
                               self._audit(session, "training.cancelled", actor, {"reason": reason}))
        self._send(done, "cancelled")
        return done.as_dict(self.tz)

    def sessions(self, licensee_id: str | None = None) -> list[dict[str, Any]]:
        """One licensee's sessions in order of their start (what the merchant sees), or every licensee's,
        newest first (staff)."""
        found = self.store.of_licensee(licensee_id) if licensee_id else self.store.all()
        return [s.as_dict(self.tz) for s in found]

    def delivered_between(self, licensee_id: str, first: date, last: date) -> list[DeliveredSession]:
        """The delivered sessions of a licensee held from `first` to `last` (days in the licensor's zone)."""
        since = datetime.combine(first, time(0), self.tz)
        until = datetime.combine(last + timedelta(days=1), time(0), self.tz)
        return [DeliveredSession(s.session_id, s.day(self.tz), s.topic_label())
                for s in self.store.of_licensee(licensee_id, since, until) if s.status is Status.DELIVERED]

    def _send(self, session: TrainingSession, what: str) -> None:
        # Notices go in Chinese first with the English beneath: the licensee's language is not recorded.
        parts = [self._texts(session, what, locale) for locale in i18n.locales()]
        subject = " / ".join(p[0] for p in parts)
        self._notify(session.licensee_id, f"training-{what}#{session.session_id}", subject,
                     "\n\n----\n\n".join(p[1] for p in parts))

    def _texts(self, session: TrainingSession, what: str, locale: str) -> tuple[str, str]:
        method = session.method.value
        values = {"day": session.day(self.tz).isoformat(),
                  "starts_at": session.starts_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M"),
                  "duration": session.duration_minutes, "method": i18n.text("support", f"method.{method}", locale),
                  "where": i18n.text("support", f"where.{method}", locale, link=session.link, place=session.place),
                  "topics": session.topic_label(), "trainer": session.trainer or "-", "reason": session.reason}
        return (i18n.text("support", f"notice.{what}.subject", locale, **values),
                i18n.text("support", f"notice.{what}.text", locale, **values))

    def _load(self, session_id: str) -> TrainingSession:
        session = self.store.load(session_id)
        if session is None:
            raise NotFound(f"No training session {session_id}.", code="SESSION_NOT_FOUND")
        return session

    def _audit(self, session: TrainingSession, action: str, actor: str,
               details: dict[str, Any] | None = None) -> AuditRecord:
        return AuditRecord(f"licensee:{session.licensee_id}", action, actor, self.clock.now(),
                           {"session": session.session_id, **(details or {})})
