"""The phone channel's rules as pure functions of facts: numbers, the events of a call, and the call record
folded from them. No storage, no clock: instants are arguments.

Events come from Amazon Connect (EventBridge contact events, completed by DescribeContact) and from other
call centres (a signed webhook). Both are turned into `CallEvent`s; a call record is a fold of every event of
one contact, sorted by the time it stands for, so the same events in any order, or twice, give the same record
(a disconnect that arrives before the connect still yields one answered call).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core.errors import InvalidInput
from chalicelib.licensing import model as licensing
from chalicelib.licensing.model import Channel, License, Status

# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CONTACT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
WEBHOOK_WINDOW_SECONDS = 300  # a signed webhook older or newer than this is refused (replays)
WEBHOOK_MAX_BYTES = 64 * 1024  # one call event; far below DynamoDB's 400 KB item, where its raw form is kept
MAX_NOTES = 4000
MAX_DISPOSITION = 64
RECORDING_LINK_SECONDS = 900  # how long a recording link works


class Source(StrEnum):
    CONNECT = "connect"
    WEBHOOK = "webhook"


class EventType(StrEnum):
    INITIATED = "initiated"
    QUEUED = "queued"
    CONNECTED = "connected"        # Connect's CONNECTED_TO_AGENT
    DISCONNECTED = "disconnected"
    VOICEMAIL = "voicemail"        # the caller left a message (webhooks; Connect's VoicemailInfo)


CONNECT_EVENT_TYPES = {"INITIATED": EventType.INITIATED, "QUEUED": EventType.QUEUED,
                       "CONNECTED_TO_AGENT": EventType.CONNECTED, "DISCONNECTED": EventType.DISCONNECTED}


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Outcome(StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"          # nobody answered and the caller was never waiting in a queue (closed, no agent)
    ABANDONED = "abandoned"    # the caller hung up while waiting in a queue
    VOICEMAIL = "voicemail"


class HoldReason(StrEnum):
    """Why an event reaches no merchant's inbox. The raw event is kept; nobody but staff sees it."""

    UNKNOWN_NUMBER = "unknown_number"
    CHANNEL_NOT_LICENSED = "channel_not_licensed"
    LICENSE_NOT_IN_FORCE = "license_not_in_force"
    MALFORMED = "malformed"


READABLE = {
    HoldReason.UNKNOWN_NUMBER: "No merchant has this phone number or Connect instance.",
    HoldReason.CHANNEL_NOT_LICENSED: "The merchant's license does not include the phone channel.",
    HoldReason.LICENSE_NOT_IN_FORCE: "The merchant's license is not in force.",
    HoldReason.MALFORMED: "The event could not be read as a call event.",
}


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"   # the call turned out answered after all (events out of order)


# -- numbers ----------------------------------------------------------------------------------------------
def e164(value: object, field_name: str = "number") -> str:
    """A phone number in E.164 (`+8613800138000`). Spaces, dashes, dots and brackets are dropped; anything
    else (a national number without country code, letters) is refused with a clear message."""
    if not isinstance(value, str):
        raise InvalidInput(f"The field '{field_name}' must be a phone number string.", code="INVALID_PHONE_NUMBER",
                           details={"field": field_name})
    compact = re.sub(r"[\s\-.()]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _E164.match(compact):
        raise InvalidInput(f"'{value[:40]}' is not a phone number in international form, e.g. +8613800138000.",
                           code="INVALID_PHONE_NUMBER", details={"field": field_name})
    return compact


def is_e164(value: object) -> bool:
    try:
        e164(value)
    except InvalidInput:
        return False
    return True


def contact_id(value: object) -> str:
    if not isinstance(value, str) or not _CONTACT_ID.match(value):
        raise InvalidInput("contact_id is 1 to 128 letters, digits or . _ : -", code="INVALID_CONTACT_ID",
                           details={"field": "contact_id"})
    return value


# -- events -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallEvent:
    """One fact about one call, from whichever source. Fields an event does not know are None."""

    source: Source
    contact_id: str
    event_type: EventType
    at: datetime
    direction: Direction | None = None
    customer_number: str | None = None   # the shopper's number (caller of an inbound call)
    merchant_number: str | None = None   # the merchant's number (callee of an inbound call)
    instance: str | None = None          # the Connect instance id
    queue: str | None = None
    agent: str | None = None
    initiated_at: datetime | None = None
    queued_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    recording: str | None = None         # a key in kefu's recording prefix, or a call centre's https URL
    voicemail: bool = False
    queue_name: str | None = None        # Connect's names of the queue and agent (DescribeQueue, DescribeUser)
    agent_name: str | None = None

    @property
    def call_id(self) -> str:
        """The call's id in the merchant's inbox: ids of different sources never collide."""
        return f"{self.source.value}-{self.contact_id}"


@dataclass(frozen=True)
class CallRecord:
    call_id: str
    source: Source
    contact_id: str
    direction: Direction
    caller: str | None
    callee: str | None
    started_at: datetime
    queued_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    queue: str | None
    agent: str | None
    instance: str | None
    recording: str | None
    voicemail: bool
    events: int  # how many distinct events were folded: a record from more events is newer
    event_types: tuple[str, ...] = ()
    notes: str = ""
    disposition: str = ""
    queue_name: str | None = None
    agent_name: str | None = None

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def outcome(self) -> Outcome | None:
        """What became of the call, once it ended (None while it goes on)."""
        if self.ended_at is None:
            return None
        if self.answered_at is not None:
            return Outcome.ANSWERED
        if self.voicemail:
            return Outcome.VOICEMAIL
        if self.queued_at is not None:
            return Outcome.ABANDONED
        return Outcome.MISSED

    @property
    def waiting_seconds(self) -> int | None:
        """From entering the queue (or, without a queue, from the start) to an answer or the hang-up."""
        until = self.answered_at or self.ended_at
        if until is None:
            return None
        return max(0, round((until - (self.queued_at or self.started_at)).total_seconds()))

    @property
    def talk_seconds(self) -> int | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0, round((self.ended_at - self.answered_at).total_seconds()))

    @property
    def needs_callback(self) -> bool:
        """An inbound call nobody answered: somebody should call back (a voicemail too, it asks for it)."""
        return self.direction is Direction.INBOUND and self.outcome in (Outcome.MISSED, Outcome.ABANDONED,
                                                                        Outcome.VOICEMAIL)


def _first(values: Iterable[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _last_known(events: list[CallEvent], name: str) -> str | None:
    """The value of the most recent event that knows it (events are sorted)."""
    for event in reversed(events):
        value = getattr(event, name)
        if value:
            return str(value)
    return None


_ORDER = {EventType.INITIATED: 0, EventType.QUEUED: 1, EventType.CONNECTED: 2, EventType.VOICEMAIL: 3,
          EventType.DISCONNECTED: 4}


def fold(events: Iterable[CallEvent]) -> CallRecord:
    """The call record from every event of one contact, whatever order they arrived in, duplicates ignored.

    Instants come from the event that names them (an event's own `at` stands for its type): the start is
    the earliest known, the end the latest disconnect."""
    distinct = {e.event_type: e for e in sorted(events, key=lambda e: (e.at, _ORDER[e.event_type]))}
    if not distinct:
        raise ValueError("a call record needs at least one event")
    ordered = sorted(distinct.values(), key=lambda e: (e.at, _ORDER[e.event_type]))
    first = ordered[0]
    by_type = distinct.get
    started = _first([e.initiated_at for e in ordered] + [e.at for e in ordered if e.event_type is EventType.INITIATED]
                     + [e.at for e in ordered])
    assert started is not None
    queued = _first([e.queued_at for e in ordered] + [e.at for e in ordered if e.event_type is EventType.QUEUED])
    answered = _first([e.answered_at for e in ordered] + [e.at for e in ordered
                                                          if e.event_type is EventType.CONNECTED])
    disconnect = by_type(EventType.DISCONNECTED)
    ended_candidates = [e.ended_at for e in ordered if e.ended_at is not None]
    ended = max(ended_candidates) if ended_candidates else (disconnect.at if disconnect else None)
    direction = next((e.direction for e in reversed(ordered) if e.direction is not None), Direction.INBOUND)
    customer, merchant = _last_known(ordered, "customer_number"), _last_known(ordered, "merchant_number")
    caller, callee = (customer, merchant) if direction is Direction.INBOUND else (merchant, customer)
    return CallRecord(
        call_id=first.call_id, source=first.source, contact_id=first.contact_id, direction=direction,
        caller=caller, callee=callee, started_at=started, queued_at=queued, answered_at=answered, ended_at=ended,
        queue=_last_known(ordered, "queue"), agent=_last_known(ordered, "agent"),
        instance=_last_known(ordered, "instance"), recording=_last_known(ordered, "recording"),
        voicemail=any(e.voicemail or e.event_type is EventType.VOICEMAIL for e in ordered),
        events=len(distinct), event_types=tuple(sorted(t.value for t in distinct)),
        queue_name=_last_known(ordered, "queue_name"), agent_name=_last_known(ordered, "agent_name"))


@dataclass(frozen=True)
class Summary:
    """Calls of a period, as the merchant's reports show them."""

    calls: int
    by_outcome: dict[str, int]
    answered_by_agent: dict[str, int]
    answer_rate: float | None          # answered ÷ ended inbound calls
    average_wait_seconds: float | None  # of answered calls
    talk_seconds: int


def summarise(records: Iterable[CallRecord]) -> Summary:
    """Counts by outcome, calls answered per agent, the answer rate of inbound calls and the average wait."""
    ended = [r for r in records if r.ended]
    by_outcome = {o.value: 0 for o in Outcome}
    by_agent: dict[str, int] = {}
    waits: list[int] = []
    for record in ended:
        outcome = record.outcome
        assert outcome is not None
        by_outcome[outcome.value] += 1
        if outcome is Outcome.ANSWERED:
            agent = record.agent or "-"
            by_agent[agent] = by_agent.get(agent, 0) + 1
            if record.waiting_seconds is not None:
                waits.append(record.waiting_seconds)
    inbound = [r for r in ended if r.direction is Direction.INBOUND]
    answered_inbound = sum(1 for r in inbound if r.outcome is Outcome.ANSWERED)
    return Summary(calls=len(ended), by_outcome=by_outcome, answered_by_agent=dict(sorted(by_agent.items())),
                   answer_rate=round(answered_inbound / len(inbound), 4) if inbound else None,
                   average_wait_seconds=round(sum(waits) / len(waits), 1) if waits else None,
                   talk_seconds=sum(r.talk_seconds or 0 for r in ended))


def with_notes(record: CallRecord, notes: str, disposition: str) -> CallRecord:
    return replace(record, notes=notes, disposition=disposition)


# -- webhook signatures ----------------------------------------------------------------------------------
def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>` with the merchant's secret, as lower-case hex."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signature_valid(secrets: Iterable[str], timestamp: str, body: bytes, presented: str) -> bool:
    """Whether any of the merchant's current secrets signed this body at this timestamp (constant time)."""
    presented = presented.strip().removeprefix("sha256=").lower()
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(webhook_signature(secret, timestamp, body), presented)
    return matched


def within_window(timestamp: str, now: datetime, window_seconds: int = WEBHOOK_WINDOW_SECONDS) -> bool:
    """A timestamp (unix seconds) no further than the window from now, either way."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs(int(timestamp) - now.timestamp()) <= window_seconds


@dataclass(frozen=True)
class Routing:
    """Where an event goes: a merchant, or held with a reason."""

    licensee_id: str | None
    reason: HoldReason | None = None
    details: dict[str, str] = field(default_factory=dict)


def phone_gate(lic: License | None, now: datetime, tz: ZoneInfo, expiring_window_days: int) -> HoldReason | None:
    """Whether a merchant's calls may reach its inbox now (clauses 1.1.3, 3.1.1): in force, phone licensed."""
    if lic is None:
        return HoldReason.LICENSE_NOT_IN_FORCE
    if licensing.status(lic, now, tz, expiring_window_days) not in (Status.ACTIVE, Status.EXPIRING):
        return HoldReason.LICENSE_NOT_IN_FORCE
    if Channel.PHONE not in licensing.terms_on(lic, now.astimezone(tz).date()).channels:
        return HoldReason.CHANNEL_NOT_LICENSED
    return None


# -- Amazon Connect ---------------------------------------------------------------------------------------
class NotACall(ValueError):
    """An event that is not about a voice call (chat and task contacts share Connect's event stream)."""


def _instant(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _arn_id(arn: object) -> str | None:
    """`arn:aws:connect:…:instance/abc/queue/q1` → `q1`; `abc` for an instance ARN."""
    if not isinstance(arn, str) or not arn:
        return None
    return arn.rstrip("/").rsplit("/", 1)[-1]


def connect_instance(detail: dict[str, Any]) -> str | None:
    """The instance id of a Connect contact event's detail."""
    arn = detail.get("instanceArn")
    if not isinstance(arn, str) or "/" not in arn:
        return None
    return arn.split("instance/", 1)[-1].split("/", 1)[0] or None


def recording_key(location: object, prefix: str) -> str | None:
    """The key of a Connect recording in kefu's bucket (`bucket/recordings/…` → `recordings/…`), or None when
    Connect stored it elsewhere (kefu is granted its recording prefix only)."""
    if not isinstance(location, str):
        return None
    path = location.removeprefix("s3://")
    _, _, key = path.partition("/")
    return key if key.startswith(prefix) and ".." not in key else None


def from_connect(detail: dict[str, Any], contact: dict[str, Any] | None, recording_prefix: str) -> CallEvent:
    """A Connect contact event (EventBridge `detail`), completed by DescribeContact's `Contact` when known.

    Raises NotACall for other channels and InvalidInput for an event that is not a Connect contact event."""
    if detail.get("channel") not in (None, "VOICE"):
        raise NotACall(str(detail.get("channel")))
    kind = CONNECT_EVENT_TYPES.get(str(detail.get("eventType")))
    contact_value, instance = detail.get("contactId"), connect_instance(detail)
    if kind is None or not isinstance(contact_value, str) or instance is None:
        raise InvalidInput("Not an Amazon Connect contact event of a known type.", code="MALFORMED_EVENT")
    described = contact or {}
    queue_info = {**(described.get("QueueInfo") or {}), **(detail.get("queueInfo") or {})}
    agent_info = {**(described.get("AgentInfo") or {}), **(detail.get("agentInfo") or {})}
    method = detail.get("initiationMethod") or described.get("InitiationMethod")
    at = {EventType.INITIATED: _instant(detail.get("initiationTimestamp")),
          EventType.QUEUED: _instant(queue_info.get("enqueueTimestamp") or queue_info.get("EnqueueTimestamp")),
          EventType.CONNECTED: _instant(agent_info.get("connectedToAgentTimestamp")
                                        or agent_info.get("ConnectedToAgentTimestamp")),
          EventType.DISCONNECTED: _instant(detail.get("disconnectTimestamp") or described.get("DisconnectTimestamp"))}
    happened = at.get(kind) or _instant(detail.get("time")) or _instant(detail.get("initiationTimestamp"))
    if happened is None:
        raise InvalidInput("The contact event carries no time.", code="MALFORMED_EVENT")
    recordings = [r for r in described.get("Recordings") or () if (r.get("MediaStreamType") or "AUDIO") == "AUDIO"]
    customer = (described.get("CustomerEndpoint") or {}).get("Address")
    system = (described.get("SystemEndpoint") or {}).get("Address")
    return CallEvent(
        source=Source.CONNECT, contact_id=contact_id(contact_value), event_type=kind, at=happened,
        direction=(Direction.OUTBOUND if method == "OUTBOUND" else Direction.INBOUND) if method else None,
        customer_number=customer if is_e164(customer) else None, merchant_number=system if is_e164(system) else None,
        instance=instance, queue=_arn_id(queue_info.get("queueArn") or queue_info.get("Id")),
        agent=_arn_id(agent_info.get("agentArn") or agent_info.get("Id")),
        initiated_at=_instant(detail.get("initiationTimestamp") or described.get("InitiationTimestamp")),
        queued_at=at[EventType.QUEUED], answered_at=at[EventType.CONNECTED], ended_at=at[EventType.DISCONNECTED],
        recording=next((k for k in (recording_key(r.get("Location"), recording_prefix) for r in recordings) if k),
                       None),
        voicemail=bool(described.get("VoicemailInfo")))


# -- other call centres: the webhook ----------------------------------------------------------------------
WEBHOOK_EVENTS = {t.value: t for t in EventType}
WEBHOOK_FIELDS = {"contact_id", "event", "at", "direction", "from", "to", "queue", "agent", "recording_url"}


def from_webhook(body: dict[str, Any]) -> CallEvent:
    """One event of a call centre's webhook (docs/phone.md), validated field by field."""
    unknown = sorted(set(body) - WEBHOOK_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field '{unknown[0]}'.", code="UNKNOWN_FIELD", details={"field": unknown[0]})
    event = body.get("event")
    if event not in WEBHOOK_EVENTS:
        raise InvalidInput(f"event is one of: {', '.join(WEBHOOK_EVENTS)}.", code="INVALID_CHOICE",
                           details={"field": "event"})
    direction = body.get("direction", "inbound")
    if direction not in ("inbound", "outbound"):
        raise InvalidInput("direction is inbound or outbound.", code="INVALID_CHOICE", details={"field": "direction"})
    try:
        at = _instant(body.get("at"))
    except ValueError:
        at = None
    if at is None:
        raise InvalidInput("at is an ISO 8601 instant with its offset, e.g. 2026-06-15T12:00:00+08:00.",
                           code="INVALID_INSTANT", details={"field": "at"})
    caller, callee = e164(body.get("from"), "from"), e164(body.get("to"), "to")
    customer, merchant = (caller, callee) if direction == "inbound" else (callee, caller)
    texts = {}
    for name in ("queue", "agent", "recording_url"):
        value = body.get(name)
        longest = 2000 if name == "recording_url" else 100
        if value is not None and (not isinstance(value, str) or len(value) > longest):
            raise InvalidInput(f"{name} is a string of at most 100 characters (a URL: 2,000).", code="WRONG_TYPE",
                               details={"field": name})
        texts[name] = value or None
    if texts["recording_url"] and not str(texts["recording_url"]).startswith("https://"):
        raise InvalidInput("recording_url must be an https:// link.", code="INVALID_URL",
                           details={"field": "recording_url"})
    kind = WEBHOOK_EVENTS[event]
    return CallEvent(
        source=Source.WEBHOOK, contact_id=contact_id(body.get("contact_id")), event_type=kind, at=at,
        direction=Direction(direction), customer_number=customer, merchant_number=merchant, queue=texts["queue"],
        agent=texts["agent"], recording=texts["recording_url"], voicemail=kind is EventType.VOICEMAIL)
