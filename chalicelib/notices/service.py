"""The one entry point every area sends notices through (clause 13.1), and what follows a notice's delivery.

A notice is composed from the `notices` catalogue in the licensee's language, recorded once under its business
key (a retry with the same key is a no-op) and sent to the agreement's notice address by the notice book, which
billing's store keeps (recording, delivery, the queue of notices still to deliver and their audit records)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib import i18n
from chalicelib.core.clock import Clock
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.core.mailer import Delivery
from chalicelib.core.observability import logger
from chalicelib.licensing import model as licensing_model
from chalicelib.licensing.events import (
    AgreementAmended,
    LicenseChanged,
    LicenseExtended,
    LicenseReinstated,
    LicenseSuspended,
    LicenseTerminated,
)
from chalicelib.licensing.model import License
from chalicelib.metrics import NOTICES_UNDELIVERED, MetricsSink
from chalicelib.notices.model import BILINGUAL, NoticeKind, compose

if TYPE_CHECKING:
    from chalicelib.billing.model import Notice

# Billing sends its own suspension and reinstatement notices, with the amount overdue (clause 8).
BILLING_ACTOR = "system:billing"


class NoticeBook(Protocol):
    """Where notices are recorded and from where they are delivered (billing's `Notices`)."""

    def notify(self, licensee_id: str, kind: NoticeKind, key: str, subject: str, text: str) -> bool: ...
    def record_delivery(self, licensee_id: str, provider_id: str, delivery: Delivery,
                        detail: str) -> Notice | None: ...


class Bounce(Protocol):
    """An SES bounce or complaint as the mail area parses it (`mail.model.DeliveryEvent`)."""

    @property
    def kind(self) -> str: ...
    @property
    def provider_id(self) -> str: ...
    @property
    def permanent(self) -> bool: ...
    @property
    def detail(self) -> str: ...
    @property
    def tags(self) -> Mapping[str, str]: ...


class Licenses(Protocol):
    def license(self, licensee_id: str) -> License | None: ...
    def licensees(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Announcement:
    """A maintenance window told to every licensee whose license it touches (clause 6.1)."""

    window: str
    notified: tuple[str, ...]
    already: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"window": self.window, "notified": list(self.notified), "already_notified": list(self.already)}


class NoticeService:
    def __init__(self, book: NoticeBook, licenses: Licenses, clock: Clock, tz: ZoneInfo, metrics: MetricsSink,
                 language: Callable[[str], str | None] = lambda licensee_id: None) -> None:
        self.book = book
        self.metrics = metrics
        self.licenses = licenses
        self.clock = clock
        self.tz = tz
        self.language = language

    def notify(self, licensee_id: str, kind: NoticeKind, key: str, params: Mapping[str, object] | None = None,
               *, variant: str = "") -> bool:
        """Send one notice of `kind` with texts from the catalogue (`<kind>[.<variant>].subject|text`, filled
        with `params`) to the licensee's notice address; False when one under `key` was recorded before."""
        subject, text = compose(kind, params or {}, self.language(licensee_id), variant)
        return self.book.notify(licensee_id, kind, key, subject, text)

    def send(self, licensee_id: str, kind: NoticeKind, key: str, subject: str, text: str) -> bool:
        """A notice whose area composed its own texts from its catalogue (training)."""
        return self.book.notify(licensee_id, kind, key, subject, text)

    def set_language(self, licensee_id: str, language: str, actor: str) -> str:
        """The language of the licensee's notices and invoices: `bilingual` (zh-CN with English, the default) or
        one language that has catalogues."""
        if language != BILINGUAL and language not in i18n.locales():
            raise InvalidInput(f"Notices are written in {', '.join((BILINGUAL, *i18n.locales()))}.",
                               code="UNKNOWN_LANGUAGE")
        if self.licenses.license(licensee_id) is None:
            raise NotFound(f"{licensee_id} has no agreement.", code="NO_AGREEMENT")
        from chalicelib.notices import store

        store.set_language(licensee_id, language, actor, self.clock.now())
        return language

    # -- what became of a notice (SES bounces and complaints) -------------------------------------------------
    @staticmethod
    def is_notice(event: Bounce) -> bool:
        """Whether an SES event is about a notice (notices carry the tag `area=notice`)."""
        return event.tags.get("area") == "notice"

    def record_delivery_event(self, event: Bounce) -> bool:
        """A bounce or complaint of a notice: it reads as not delivered (or delayed, for a transient bounce) and
        staff are alerted (NoticesUndelivered); an event SNS delivers twice changes nothing more."""
        licensee_id = event.tags.get("licensee", "")
        delivery = (Delivery.COMPLAINED if event.kind == "complaint"
                    else Delivery.NOT_DELIVERED if event.permanent else Delivery.DELAYED)
        marked = self.book.record_delivery(licensee_id, event.provider_id, delivery, event.detail) \
            if licensee_id else None
        if marked is None:
            return False
        self.metrics.count(NOTICES_UNDELIVERED, kind=marked.kind.value, event=delivery.value)
        logger.warning("notice not delivered", extra={"licensee_id": licensee_id, "kind": marked.kind.value,
                                                      "delivery": delivery.value, "detail": event.detail})
        return True

    # -- licensing's changes (clauses 4.2, 8, 10, 11.1) ------------------------------------------------------
    def license_changed(self, event: LicenseChanged) -> None:
        """Listener on licensing: extensions, amendments, suspensions and reinstatements by staff, and
        terminations are told to the licensee; the key names the change, so a repeated event sends nothing."""
        told = (LicenseExtended, AgreementAmended, LicenseSuspended, LicenseReinstated, LicenseTerminated)
        lic = self.licenses.license(event.licensee_id) if isinstance(event, told) else None
        if lic is None:
            return
        if isinstance(event, LicenseExtended):
            period = lic.periods[-1]
            self.notify(event.licensee_id, NoticeKind.EXTENSION, f"extension#{period.number}",
                        {"period": period.number, "start": period.start, "end": period.end})
        elif isinstance(event, AgreementAmended):
            terms = max(lic.terms, key=lambda t: t.version)
            self.notify(event.licensee_id, NoticeKind.AMENDMENT, f"amendment#{terms.version}", {
                "version": terms.version, "effective_date": terms.effective_date,
                "channels": ", ".join(sorted(c.value for c in terms.channels)), "seats": terms.seats,
                "payment_terms_days": terms.payment_terms_days, "notice_address": terms.notice_address,
                "note": terms.note})
        elif isinstance(event, (LicenseSuspended, LicenseReinstated, LicenseTerminated)) and lic.events:
            self._event_notice(lic, event)

    def _event_notice(self, lic: License, event: LicenseChanged) -> None:
        fact = lic.events[-1]
        if isinstance(event, LicenseTerminated):
            ended = licensing_model.termination(lic) or fact
            self.notify(lic.licensee_id, NoticeKind.TERMINATION, f"termination#{ended.number}",
                        {"effective_date": ended.effective_date, "reason": ended.reason or "-"})
            return
        if getattr(event, "actor", "") == BILLING_ACTOR:
            return
        kind = NoticeKind.SUSPENSION if isinstance(event, LicenseSuspended) else NoticeKind.REINSTATEMENT
        self.notify(lic.licensee_id, kind, f"{kind.value}#event{fact.number}",
                    {"reason": fact.reason or "-", "at": fact.at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")},
                    variant="staff")

    # -- maintenance (clause 6.1) ----------------------------------------------------------------------------
    def announce_maintenance(self, starts: datetime, ends: datetime, description: str,
                             licensee_ids: Iterable[str] | None = None) -> Announcement:
        """Tell every licensee whose license is in force during the window (or the ones named); announcing the
        same window again notifies only those not told yet."""
        if ends <= starts:
            raise InvalidInput("A maintenance window ends after it starts.", code="INVALID_WINDOW")
        if not description.strip():
            raise InvalidInput("Say what the maintenance is.", code="DESCRIPTION_REQUIRED")
        window = hashlib.sha256(f"{starts.isoformat()}|{ends.isoformat()}".encode()).hexdigest()[:16]
        params = {"starts": starts.astimezone(self.tz).strftime("%Y-%m-%d %H:%M"),
                  "ends": ends.astimezone(self.tz).strftime("%Y-%m-%d %H:%M"), "timezone": str(self.tz),
                  "description": description.strip()}
        chosen = list(licensee_ids) if licensee_ids is not None else [
            row["licensee_id"] for row in self.licenses.licensees()]
        notified: list[str] = []
        already: list[str] = []
        for licensee_id in chosen:
            lic = self.licenses.license(licensee_id)
            if lic is None or not _in_force_during(lic, starts, ends, self.tz):
                continue
            sent = self.notify(licensee_id, NoticeKind.MAINTENANCE, f"maintenance#{window}", params)
            (notified if sent else already).append(licensee_id)
        return Announcement(window, tuple(notified), tuple(already))


def _in_force_during(lic: License, starts: datetime, ends: datetime, tz: ZoneInfo) -> bool:
    first, last = starts.astimezone(tz).date(), ends.astimezone(tz).date()
    ended = licensing_model.termination(lic)
    if ended is not None and ended.effective_date is not None and ended.effective_date <= first:
        return False
    return licensing_model.starts_on(lic) <= last and licensing_model.ends_on(lic) >= first
