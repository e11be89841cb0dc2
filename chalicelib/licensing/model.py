"""The license's rules as pure functions of facts. No storage, no clock: `now` is an argument.

A license is never typed in by hand (clause 4.1): its status is computed at read time from the agreement,
its periods, the terms in force and the suspension/termination events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from chalicelib.core.dates import add_years


class Channel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    PHONE = "phone"


class Status(StrEnum):
    NOT_YET_VALID = "NOT_YET_VALID"
    ACTIVE = "ACTIVE"
    EXPIRING = "EXPIRING"
    EXPIRED = "EXPIRED"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


class Code(StrEnum):
    """Validation outcomes, in order of precedence."""

    UNKNOWN_KEY = "UNKNOWN_KEY"
    TERMINATED = "TERMINATED"
    SUSPENDED = "SUSPENDED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    CHANNEL_NOT_LICENSED = "CHANNEL_NOT_LICENSED"
    SEAT_LIMIT = "SEAT_LIMIT"
    VALID = "VALID"


class KeyKind(StrEnum):
    WIDGET = "widget"  # public, bound to allowed origins
    AGENT = "agent"    # secret, one per agent, counted against seats
    STAFF = "staff"    # secret, one per member of the licensor's staff: the licensor's workspace, no merchant's


# Who a staff key belongs to in key lookups: the licensor, never a merchant (licensee ids never start with "@").
STAFF_OWNER = "@licensor"


class Role(StrEnum):
    """What an agent key may do within its merchant: every agent answers customers; an admin also manages
    the team's keys and the merchant's settings. Keys issued before roles existed are agents."""

    ADMIN = "admin"
    AGENT = "agent"


class EventKind(StrEnum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    TERMINATE = "terminate"


@dataclass(frozen=True)
class Party:
    """A party to the agreement (clauses 2.1, 2.2)."""

    full_name: str
    short_name: str
    address: str
    contact_person: str
    phone: str


_PARTY_LIMITS = {"full_name": 200, "short_name": 60, "address": 300, "contact_person": 100, "phone": 40}
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85\ud800-\udfff]")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}[0-9]$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def party_problems(party: Party) -> list[str]:
    """What is wrong with a party's record (clause 2): every field present, within its length, a phone
    number that dials. Empty when all is well."""
    problems = []
    for name, limit in _PARTY_LIMITS.items():
        value = getattr(party, name)
        if not value or not value.strip():
            problems.append(f"{name} is required")
        elif len(value) > limit:
            problems.append(f"{name} is longer than {limit} characters")
        elif _NOT_ONE_LINE.search(value):  # names reach mail headers (From) and printed invoices
            problems.append(f"{name} holds a line break or a control character")
    if party.phone and party.phone.strip() and not _PHONE.match(party.phone.strip()):
        problems.append("phone is not a phone number")
    return problems


def is_email(address: str) -> bool:
    return bool(_EMAIL.match(address))


def normal_address(address: str) -> str:
    """An address as mail is matched on it: without surrounding whitespace, in lower case."""
    return address.strip().lower()


@dataclass(frozen=True)
class Signatory:
    """Who signed, for which party (clause 14)."""

    party: str  # "licensor" or "licensee"
    name: str
    title: str = ""


@dataclass(frozen=True)
class Terms:
    """One version of what the agreement grants; an amendment is a new version with its own effective date."""

    version: int
    effective_date: date
    channels: frozenset[Channel]
    seats: int
    payment_terms_days: int
    notice_address: str
    note: str = ""
    # Clause 3.2: technical support's first-response and resolution targets in business minutes, as agreed at
    # signing or by amendment; None: the standard targets (terms recorded before targets were agreed, too).
    support_first_response_minutes: int | None = None
    support_resolution_minutes: int | None = None


@dataclass(frozen=True)
class Period:
    """A span of validity, both ends inclusive, in the licensor's calendar."""

    number: int
    start: date
    end: date
    kind: str  # "initial" or "extension"

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class LicenseEvent:
    number: int
    kind: EventKind
    at: datetime                      # when it was recorded; suspensions bite from this instant
    effective_date: date | None = None  # terminations bite from the start of this day
    reason: str = ""


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    kind: KeyKind
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    allowed_origins: tuple[str, ...] = ()
    agent_name: str = ""
    agent_email: str = ""
    role: Role = Role.AGENT

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_admin(self) -> bool:
        return self.kind is KeyKind.AGENT and self.role is Role.ADMIN


@dataclass(frozen=True)
class Agreement:
    licensee_id: str
    agreement_id: str
    signed_on: date
    signatories: tuple[Signatory, ...]
    place: str
    effective_date: date
    term_years: int
    revision: int = 0


@dataclass(frozen=True)
class License:
    """Everything the status depends on, as read in one query."""

    agreement: Agreement
    terms: tuple[Terms, ...]
    periods: tuple[Period, ...]
    events: tuple[LicenseEvent, ...] = ()
    keys: tuple[KeyRecord, ...] = field(default=())

    @property
    def licensee_id(self) -> str:
        return self.agreement.licensee_id


def period_for(number: int, start: date, years: int, kind: str) -> Period:
    """A period of `years` from `start`: a one-year term from 1 January ends on 31 December."""
    return Period(number=number, start=start, end=add_years(start, years) - timedelta(days=1), kind=kind)


def named_addresses(lic: License) -> set[tuple[str, str]]:
    """Where the license names an address mail may come from, as (address, source): an active agent key's email
    (source `KEY#<key id>`) and the notice address of every terms version, superseded ones too (`NOTICE`, once
    per address). Normalised; an empty address is none."""
    named = {(normal_address(k.agent_email), f"KEY#{k.key_id}") for k in lic.keys
             if k.kind is KeyKind.AGENT and k.active}
    named |= {(normal_address(t.notice_address), "NOTICE") for t in lic.terms}
    return {(address, source) for address, source in named if address}


def ends_on(lic: License) -> date:
    return max(p.end for p in lic.periods)


def starts_on(lic: License) -> date:
    return min(p.start for p in lic.periods)


def terms_on(lic: License, day: date) -> Terms:
    """The terms in force on a day: the latest version effective on or before it (the first one before that)."""
    ordered = sorted(lic.terms, key=lambda t: (t.effective_date, t.version))
    current = ordered[0]
    for terms in ordered:
        if terms.effective_date <= day:
            current = terms
    return current


def termination(lic: License) -> LicenseEvent | None:
    terminations = [e for e in lic.events if e.kind is EventKind.TERMINATE]
    return terminations[-1] if terminations else None


def is_suspended(lic: License, now: datetime) -> bool:
    """Suspended when the latest suspension or reinstatement recorded by `now` is a suspension."""
    state = False
    for event in sorted(lic.events, key=lambda e: e.number):
        if event.at <= now and event.kind in (EventKind.SUSPEND, EventKind.REINSTATE):
            state = event.kind is EventKind.SUSPEND
    return state


def status(lic: License, now: datetime, tz: ZoneInfo, expiring_window_days: int) -> Status:
    """The license's status at an instant. Dates are calendar dates in the licensor's time zone:
    a license ending on 31 December is valid until midnight in that zone, not in UTC."""
    today = now.astimezone(tz).date()
    ended = termination(lic)
    if ended is not None and ended.effective_date is not None and ended.effective_date <= today:
        return Status.TERMINATED  # clause 11.1: from the effective date, use stops
    if is_suspended(lic, now):
        return Status.SUSPENDED
    if today < starts_on(lic):
        return Status.NOT_YET_VALID
    if not any(p.covers(today) for p in lic.periods):
        return Status.EXPIRED
    if (ends_on(lic) - today).days < expiring_window_days:
        return Status.EXPIRING
    return Status.ACTIVE


_STATUS_CODES = {
    Status.TERMINATED: Code.TERMINATED,
    Status.SUSPENDED: Code.SUSPENDED,
    Status.EXPIRED: Code.EXPIRED,
    Status.NOT_YET_VALID: Code.NOT_YET_VALID,
}


def seat_holders(lic: License, day: date) -> frozenset[str]:
    """The agent keys that hold a seat: the earliest-issued active ones, as many as the terms allow.

    After an amendment lowers the seats, the most recently issued keys lose theirs first."""
    agents = sorted((k for k in lic.keys if k.kind is KeyKind.AGENT and k.active),
                    key=lambda k: (k.created_at, k.key_id))
    return frozenset(k.key_id for k in agents[: terms_on(lic, day).seats])


def check(lic: License | None, key_id: str | None, channel: Channel | None, now: datetime, tz: ZoneInfo,
          expiring_window_days: int) -> tuple[Code, Status | None]:
    """Validate one key for one channel. Returns the code (by precedence) and the license status."""
    key = next((k for k in lic.keys if k.key_id == key_id), None) if lic is not None else None
    if lic is None or key is None or not key.active:
        return Code.UNKNOWN_KEY, None
    current = status(lic, now, tz, expiring_window_days)
    if current in _STATUS_CODES:
        return _STATUS_CODES[current], current
    today = now.astimezone(tz).date()
    if channel is not None and channel not in terms_on(lic, today).channels:
        return Code.CHANNEL_NOT_LICENSED, current
    if key.kind is KeyKind.AGENT and key.key_id not in seat_holders(lic, today):
        return Code.SEAT_LIMIT, current
    return Code.VALID, current


def normalise_origin(origin: str) -> str | None:
    """`https://Shop.Example:443/` → `https://shop.example`; None when it is not a web origin."""
    try:
        parts = urlsplit(origin.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or parts.path not in ("", "/") or parts.query:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host.lower()}{suffix}"


def origin_allowed(key: KeyRecord, origin: str | None) -> bool:
    """A widget key works only from its allowed origins; `https://*.shop.example` allows subdomains."""
    if origin is None:
        return False
    candidate = normalise_origin(origin)
    if candidate is None:
        return False
    scheme, _, host = candidate.partition("://")
    for allowed in key.allowed_origins:
        a_scheme, _, a_host = allowed.partition("://")
        if a_scheme != scheme:
            continue
        if a_host == host or (a_host.startswith("*.") and host.endswith(a_host[1:])):
            return True
    return False


def next_period(lic: License, years: int, start: date | None = None) -> Period:
    """Clause 4.2: an extension adds a period after the current one; its terms carry over unchanged.

    A lapsed license can be extended only from an explicit start date, leaving the gap unlicensed."""
    start = start or (ends_on(lic) + timedelta(days=1))
    return period_for(len(lic.periods) + 1, start, years, "extension")


def amended(current: Terms, version: int, effective_date: date, *, channels: frozenset[Channel] | None = None,
            seats: int | None = None, payment_terms_days: int | None = None,
            notice_address: str | None = None, note: str = "",
            support_targets: tuple[int, int] | None = None) -> Terms:
    """Clause 10: an amendment is a new version; what it does not change is inherited."""
    first, resolution = support_targets or (current.support_first_response_minutes,
                                            current.support_resolution_minutes)
    return replace(
        current,
        version=version,
        effective_date=effective_date,
        channels=current.channels if channels is None else channels,
        seats=current.seats if seats is None else seats,
        payment_terms_days=current.payment_terms_days if payment_terms_days is None else payment_terms_days,
        notice_address=current.notice_address if notice_address is None else notice_address,
        note=note,
        support_first_response_minutes=first,
        support_resolution_minutes=resolution,
    )
