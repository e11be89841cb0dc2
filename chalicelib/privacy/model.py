"""Privacy as pure rules (clauses 7.1–7.3, 11.2): who a request is about, how long each kind of content is kept,
when a terminated merchant's export window closes, and what an erasure certificate says. No storage here."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.core.errors import InvalidInput


class Kind(StrEnum):
    """The kinds of a merchant's content kefu holds about its customers, as an export and an erasure count them."""

    CHATS = "chats"              # conversations with their messages and notes
    CHAT_FILES = "chat_files"    # files shoppers sent in the chat
    TICKETS = "tickets"          # email tickets with their messages and notes
    ATTACHMENTS = "attachments"  # files kept from mail
    RAW_MAIL = "raw_mail"        # the mail as it arrived (S3)
    CALLS = "calls"              # call records, their events, notes and callback tasks
    RECORDINGS = "recordings"    # call recordings kept in kefu's bucket
    HELD_MAIL = "held_mail"      # mail kept back from the agents
    CONTACTS = "contacts"        # the merchant's customer records (address, name, bounces)


class Retained(StrEnum):
    """What a merchant sets a retention period for."""

    CHATS = "chats"
    TICKETS = "tickets"
    ATTACHMENTS = "attachments"
    RAW_MAIL = "raw_mail"
    CALLS = "calls"
    HELD_MAIL = "held_mail"


# clause 7: retention limits. Defaults for a merchant who set none, in days; `infra/` keeps S3 lifecycle rules
# and DynamoDB TTLs as the outer bound, the retention job applies each merchant's own (shorter) periods.
DEFAULT_RETENTION_DAYS: dict[Retained, int] = {
    Retained.CHATS: 180, Retained.TICKETS: 730, Retained.ATTACHMENTS: 365, Retained.RAW_MAIL: 90,
    Retained.CALLS: 365, Retained.HELD_MAIL: 30,
}
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 3650
# Where a lifecycle rule of the bucket (infra/stack.py) is the outer bound, a merchant's period cannot be longer.
MAX_DAYS: dict[Retained, int] = {Retained.RAW_MAIL: 180}
EXPORT_ARCHIVE_DAYS = 2          # the bucket deletes export archives after this (their links last minutes)
EXPORT_WINDOW_DAYS = 30          # clause 11.2: the default export window after termination
EXPORT_LINK_SECONDS = 900        # how long an archive's link works
MAX_WINDOW_EXTENSION_DAYS = 365


def retention(overrides: dict[str, int]) -> dict[Retained, int]:
    """Each kind's period: the merchant's own where set, else the default."""
    return {kind: int(overrides.get(kind.value, days)) for kind, days in DEFAULT_RETENTION_DAYS.items()}


def check_retention(periods: dict[str, Any]) -> dict[str, int]:
    """A merchant's change of retention periods, refused whole when one kind or number is wrong."""
    known = {k.value for k in Retained}
    unknown = sorted(set(periods) - known)
    if unknown:
        raise InvalidInput(f"No retention period for: {', '.join(unknown)}.", code="UNKNOWN_RETENTION_KIND",
                           details={"kinds": unknown, "known": sorted(known)})
    checked: dict[str, int] = {}
    for name, days in periods.items():
        if isinstance(days, bool) or not isinstance(days, int) or not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
            raise InvalidInput(f"'{name}' must be a whole number of days from {MIN_RETENTION_DAYS} to "
                               f"{MAX_RETENTION_DAYS}.", code="INVALID_RETENTION", details={"field": name})
        longest = MAX_DAYS.get(Retained(name), MAX_RETENTION_DAYS)
        if days > longest:
            raise InvalidInput(f"'{name}' may be at most {longest} days: the store deletes it then.",
                               code="RETENTION_TOO_LONG", details={"field": name, "max": longest})
        checked[name] = days
    return checked


def cutoff(now: datetime, days: int) -> datetime:
    """Content last active before this instant is past its retention period."""
    return now - timedelta(days=days)


# -- who a request is about -------------------------------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,20}$")


@dataclass(frozen=True)
class Person:
    """One customer of a merchant, as a request names them: by email address, phone number or the customer id
    the merchant's shop verified in the widget. At least one."""

    email: str | None = None
    phone: str | None = None
    customer_id: str | None = None

    def __post_init__(self) -> None:
        if not (self.email or self.phone or self.customer_id):
            raise InvalidInput("Name the customer by email, phone or customer id.", code="NO_CONTACT")

    @property
    def phone_digits(self) -> str | None:
        """The number as tickets' lookups keep it (digits only)."""
        return re.sub(r"[^0-9]", "", self.phone) if self.phone else None

    @property
    def e164(self) -> str | None:
        """The number as call records keep it (`+` and digits)."""
        digits = self.phone_digits
        return f"+{digits}" if digits else None

    def digest(self, licensee_id: str) -> str:
        """What the audit trail records instead of the contact itself: the trail outlives an erasure, and must
        not keep what was erased. Staff shown the contact again can compute the same digest."""
        text = f"{licensee_id}|{self.email or ''}|{self.e164 or ''}|{self.customer_id or ''}"
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def as_dict(self) -> dict[str, str | None]:
        return {"email": self.email, "phone": self.e164, "customer_id": self.customer_id}


def person(email: str | None = None, phone: str | None = None, customer_id: str | None = None) -> Person:
    """A Person from what a request gives, each part checked and normalised (addresses in lower case)."""
    if email is not None:
        email = email.strip().lower()
        if not _EMAIL.match(email) or len(email) > 254:
            raise InvalidInput("That is not an email address.", code="INVALID_EMAIL", details={"field": "email"})
    if phone is not None:
        phone = phone.strip()
        if not _PHONE.match(phone):
            raise InvalidInput("That is not a phone number.", code="INVALID_PHONE", details={"field": "phone"})
    if customer_id is not None:
        customer_id = customer_id.strip()
        if not customer_id or len(customer_id) > 200:
            raise InvalidInput("That is not a customer id.", code="INVALID_CUSTOMER_ID",
                               details={"field": "customer_id"})
    return Person(email or None, phone or None, customer_id or None)


def parse_contact(values: tuple[str, ...] | list[str]) -> Person:
    """`--contact` as staff type it, once or more: an address, a number, or `customer:<id>`."""
    parts: dict[str, str] = {}
    for value in values:
        value = value.strip()
        if value.startswith("customer:"):
            parts["customer_id"] = value.removeprefix("customer:")
        elif "@" in value:
            parts["email"] = value
        else:
            parts["phone"] = value
    return person(**parts)


# -- requests ---------------------------------------------------------------------------------------------------
class RequestKind(StrEnum):
    EXPORT = "export"            # one person's data
    ERASE = "erase"              # one person's data
    MERCHANT_EXPORT = "merchant_export"  # all of a merchant's content (clause 11.2)
    MERCHANT_ERASE = "merchant_erase"    # all of a merchant's content, when the export window ends


class RequestStatus(StrEnum):
    RUNNING = "running"  # started; continues from its cursor where an invocation ran out of time
    DONE = "done"


@dataclass(frozen=True)
class PrivacyRequest:
    request_id: str
    licensee_id: str
    kind: RequestKind
    person: Person | None
    actor: str
    created_at: datetime
    status: RequestStatus = RequestStatus.RUNNING
    cursor: str | None = None              # the step to continue from
    counts: dict[str, int] = field(default_factory=dict)
    finished_at: datetime | None = None
    archive_key: str | None = None         # where an export's archive lies in the blob store

    def public(self) -> dict[str, Any]:
        return {"id": self.request_id, "kind": self.kind.value, "status": self.status.value,
                "created_at": self.created_at.isoformat(), "actor": self.actor,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "counts": dict(sorted(self.counts.items()))}


def add_counts(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    return {k: first.get(k, 0) + second.get(k, 0) for k in sorted(set(first) | set(second))
            if first.get(k, 0) + second.get(k, 0)}


# -- after termination (clause 11.2) ----------------------------------------------------------------------------
class WindowState(StrEnum):
    NONE = "none"        # the agreement is not terminated
    PENDING = "pending"  # terminated with a later effective date: the merchant still works
    OPEN = "open"        # the merchant may export its data
    CLOSED = "closed"    # the window has ended; erasure is due
    ERASED = "erased"    # erased, with its certificate


@dataclass(frozen=True)
class ExportWindow:
    licensee_id: str
    effective_date: date | None          # the termination's
    days: int = EXPORT_WINDOW_DAYS
    extended_until: date | None = None   # staff may extend the window before it ends
    erased_at: datetime | None = None

    @property
    def ends_on(self) -> date | None:
        """The last day the merchant may export: `days` after the termination took effect, or the extension."""
        if self.effective_date is None:
            return None
        end = self.effective_date + timedelta(days=self.days)
        return max(end, self.extended_until) if self.extended_until else end

    def state(self, today: date) -> WindowState:
        if self.erased_at is not None:
            return WindowState.ERASED
        if self.effective_date is None or self.ends_on is None:
            return WindowState.NONE
        if today < self.effective_date:
            return WindowState.PENDING
        return WindowState.OPEN if today <= self.ends_on else WindowState.CLOSED

    def public(self, today: date) -> dict[str, Any]:
        return {"licensee_id": self.licensee_id, "state": self.state(today).value,
                "termination_date": self.effective_date.isoformat() if self.effective_date else None,
                "ends_on": self.ends_on.isoformat() if self.ends_on else None,
                "extended": self.extended_until is not None,
                "erased_at": self.erased_at.isoformat() if self.erased_at else None}


def extend(window: ExportWindow, until: date, today: date) -> date:
    """The new last day of a window, refused after it ended or when it would not move forward."""
    state = window.state(today)
    if state in (WindowState.NONE, WindowState.ERASED, WindowState.CLOSED):
        raise InvalidInput("Only an export window that has not ended can be extended.", code="WINDOW_NOT_OPEN",
                           details={"state": state.value})
    assert window.ends_on is not None
    if until <= window.ends_on:
        raise InvalidInput("An extension must end after the window's current last day.", code="EXTENSION_TOO_SHORT",
                           details={"ends_on": window.ends_on.isoformat()})
    if (until - window.ends_on).days > MAX_WINDOW_EXTENSION_DAYS:
        raise InvalidInput("An extension may add at most a year.", code="EXTENSION_TOO_LONG")
    return until


@dataclass(frozen=True)
class Certificate:
    """An erasure certificate (clause 11.2): what was erased, how much, when and by which job; what was kept."""

    licensee_id: str
    counts: dict[str, int]
    erased_at: datetime
    job: str
    kept: tuple[str, ...]
    request_id: str

    def public(self) -> dict[str, Any]:
        return {"licensee_id": self.licensee_id, "counts": dict(sorted(self.counts.items())),
                "erased_at": self.erased_at.isoformat(), "job": self.job, "kept": list(self.kept),
                "request_id": self.request_id}


# What is kept after a merchant's content is erased: what the law and billing need (clauses 9, 11.3).
KEPT_AFTER_ERASURE = ("licensee_and_agreements", "invoices_and_payments", "notices", "audit_trail",
                      "support_requests", "training_sessions")
