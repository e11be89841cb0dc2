"""Chat's rules as pure functions of facts: statuses, who gets the next conversation, rate windows, what a
message may say and business hours (message stamps and the polling cursor: chalicelib/chat/stamps.py). No
storage, no clock: instants are arguments."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.core.notes import Note  # noqa: F401 - one note record for chat and mail, named here too

MAX_TEXT = 4000             # characters a message may hold (issue 3: longer is a 400)
PRESENCE_STALE = timedelta(minutes=3)  # an "online" agent whose console stopped calling is offline after this
DEDUP_HASH_CHARS = 10       # characters of a client_id's hash kept for recognising a retried send
CLIENT_ID_MAX = 64


class Status(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"


class Author(StrEnum):
    VISITOR = "visitor"
    AGENT = "agent"


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"


class Unavailable(StrEnum):
    """Why nobody can answer right now (the widget then asks for an email address)."""

    OUTSIDE_HOURS = "outside_hours"
    NO_AGENT_ONLINE = "no_agent_online"


# -- messages -------------------------------------------------------------------------------------------
def message_text(value: object, field: str = "text") -> str:
    """The text as stored: a string of 1 to 4,000 characters once surrounding whitespace is gone."""
    if not isinstance(value, str):
        raise InvalidInput(f"The field '{field}' must be a string.", code="WRONG_TYPE", details={"field": field})
    text = value.strip()
    if not text:
        raise InvalidInput("A message cannot be empty.", code="EMPTY_MESSAGE", details={"field": field})
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"A message holds at most {MAX_TEXT} characters; this one has {len(text)}.",
                           code="MESSAGE_TOO_LONG", details={"field": field, "max_length": MAX_TEXT})
    return text


def client_id(value: object) -> str | None:
    """A client-generated id that makes a retried send idempotent: 8 to 64 characters of [A-Za-z0-9_-]."""
    if value is None:
        return None
    if not isinstance(value, str) or not 8 <= len(value) <= CLIENT_ID_MAX or \
            not all(c.isascii() and (c.isalnum() or c in "-_") for c in value):
        raise InvalidInput("client_id must be 8 to 64 letters, digits, '-' or '_'.", code="INVALID_CLIENT_ID",
                           details={"field": "client_id"})
    return value


def dedup_hash(client: str) -> str:
    """What the conversation remembers of a client_id: short, fixed size, enough to tell recent sends apart."""
    return hashlib.sha256(client.encode()).hexdigest()[:DEDUP_HASH_CHARS]


# -- statuses -------------------------------------------------------------------------------------------
def after_visitor_message(current: Status) -> Status:
    """A shopper writing reopens the conversation, whatever it was: it needs an agent again."""
    return Status.OPEN


def can_change(current: Status, wanted: Status) -> bool:
    """Agents move conversations between any two statuses; asking for the current one is a no-op, not a change."""
    return current is not wanted


# -- rate windows ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RateLimit:
    limit: int
    window_seconds: int


def window(now: datetime, rule: RateLimit) -> int:
    """The fixed window an instant falls in (a whole number, the same for every instant in it)."""
    return int(now.timestamp()) // rule.window_seconds


def retry_after(now: datetime, rule: RateLimit) -> int:
    """Whole seconds until the window that refused a request has passed (at least 1)."""
    end = (window(now, rule) + 1) * rule.window_seconds
    return max(1, int(end - now.timestamp() + 0.999))


# -- assignment -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Agent:
    agent_id: str          # the agent key's id
    name: str
    presence: Presence
    last_seen: datetime | None
    open_count: int        # conversations assigned to this agent and not resolved
    capacity: int
    last_assigned_at: datetime | None = None


def is_online(agent: Agent, now: datetime) -> bool:
    """Online when the agent said so and their console has been heard from recently."""
    return agent.presence is Presence.ONLINE and agent.last_seen is not None and now - agent.last_seen <= PRESENCE_STALE


def choose_assignee(agents: Iterable[Agent], now: datetime, holders: frozenset[str] | None = None) -> Agent | None:
    """Round robin among agents who are online and under capacity: the one assigned longest ago goes next
    (never assigned counts as longest ago; ties by id, so the choice is deterministic).
    `holders`: the agent keys that hold a licensed seat, when known; others are not given work."""
    candidates = [a for a in agents if is_online(a, now) and a.open_count < a.capacity
                  and (holders is None or a.agent_id in holders)]
    if not candidates:
        return None
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    return min(candidates, key=lambda a: (a.last_assigned_at or epoch, a.agent_id))


# -- business hours -------------------------------------------------------------------------------------
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours per weekday in the merchant's time zone; a day not listed is closed.
    No hours at all means always open (the default: a merchant who never set hours is never "closed")."""

    timezone: str
    days: tuple[tuple[int, time, time], ...] = ()  # (weekday 0=Monday, opens, closes)

    @property
    def always_open(self) -> bool:
        return not self.days


def parse_hours(spec: str, timezone: str) -> BusinessHours:
    """`mon-fri 09:00-18:00, sat 10:00-14:00` → BusinessHours. `always` clears them."""
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError) as exc:
        raise InvalidInput(f"'{timezone}' is not a time zone such as Asia/Shanghai.", code="INVALID_TIMEZONE") from exc
    spec = spec.strip().lower()
    if spec in ("", "always"):
        return BusinessHours(timezone)
    days: list[tuple[int, time, time]] = []
    for part in spec.split(","):
        try:
            day_part, hours_part = part.split()
            first, _, last = day_part.partition("-")
            start_day, end_day = DAYS.index(first), DAYS.index(last or first)
            opens_s, closes_s = hours_part.split("-")
            opens, closes = time.fromisoformat(opens_s), time.fromisoformat(closes_s)
        except ValueError as exc:
            raise InvalidInput(f"Cannot read business hours '{part.strip()}'; write e.g. 'mon-fri 09:00-18:00'.",
                               code="INVALID_HOURS") from exc
        if opens >= closes or end_day < start_day:
            raise InvalidInput(f"'{part.strip()}' closes before it opens.", code="INVALID_HOURS")
        days.extend((d, opens, closes) for d in range(start_day, end_day + 1))
    return BusinessHours(timezone, tuple(sorted(days)))


def format_hours(hours: BusinessHours) -> str:
    if hours.always_open:
        return "always"
    return ", ".join(f"{DAYS[d]} {o.strftime('%H:%M')}-{c.strftime('%H:%M')}" for d, o, c in hours.days)


def is_open(hours: BusinessHours, now: datetime) -> bool:
    """Whether an instant falls in the opening hours, read in the merchant's own time zone."""
    if hours.always_open:
        return True
    local = now.astimezone(ZoneInfo(hours.timezone))
    return any(d == local.weekday() and o <= local.time() < c for d, o, c in hours.days)


def unavailable(hours: BusinessHours, agents: Sequence[Agent], now: datetime) -> Unavailable | None:
    """Why a shopper cannot be answered live now, or None when someone can."""
    if not is_open(hours, now):
        return Unavailable.OUTSIDE_HOURS
    if not any(is_online(a, now) for a in agents):
        return Unavailable.NO_AGENT_ONLINE
    return None


# -- verified identity ----------------------------------------------------------------------------------
def identity_hash(secret: str, customer_id: str) -> str:
    """What a merchant's backend computes for a signed-in customer: HMAC-SHA256(secret, customer_id), hex."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def identity_matches(secret: str, customer_id: str, presented: str) -> bool:
    return hmac.compare_digest(identity_hash(secret, customer_id), presented.strip().lower())


# -- files --------------------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = 5 * 1024 * 1024   # one file
UPLOADS_PER_CONVERSATION = 10        # files a conversation may hold
# What a shopper may send, recognised by the file's first bytes, never by its name or the browser's word.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
)


_UPLOAD_ID = re.compile(r"up_[0-9a-hjkmnp-tv-z]{26}")  # what core.ids.new_id("up") gives


def is_upload_id(value: str) -> bool:
    """Whether `value` is an upload id as handed out (anything else names no stored file, and no path)."""
    return _UPLOAD_ID.fullmatch(value) is not None


def sniff(data: bytes) -> str | None:
    """The allowed type a file's content is, or None (anything else, an SVG or a page included)."""
    for signature, offset, kind in _SIGNATURES:
        if data[offset:offset + len(signature)] == signature:
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_image(content_type: str) -> bool:
    return content_type.startswith("image/")


def file_name(value: str) -> str:
    """A file name as shown: its last path part, control characters gone, at most 120 characters."""
    name = value.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip() or "file"
    return name[-120:]


# -- the widget's language and the merchant's own texts -------------------------------------------------
MERCHANT_TEXTS = ("title", "greeting", "offline", "handover")  # what a merchant may word itself, per language
MERCHANT_TEXT_MAX = 500


def merchant_texts(values: object) -> dict[str, str]:
    """A merchant's own wording for one language: only the known keys, each 1 to 500 characters; an empty
    value means "our default" and is dropped."""
    if not isinstance(values, dict):
        raise InvalidInput("texts must be an object of title, greeting, offline and handover.", code="WRONG_TYPE",
                           details={"field": "texts"})
    unknown = sorted(set(values) - set(MERCHANT_TEXTS))
    if unknown:
        raise InvalidInput(f"Unknown texts {', '.join(map(str, unknown))}; a merchant may set "
                           f"{', '.join(MERCHANT_TEXTS)}.", code="UNKNOWN_FIELD", details={"fields": unknown})
    out: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(value, str):
            raise InvalidInput(f"The text '{key}' must be a string.", code="WRONG_TYPE", details={"field": key})
        if len(value.strip()) > MERCHANT_TEXT_MAX:
            raise InvalidInput(f"The text '{key}' holds at most {MERCHANT_TEXT_MAX} characters.",
                               code="FIELD_TOO_LONG", details={"field": key, "max_length": MERCHANT_TEXT_MAX})
        if value.strip():
            out[key] = value.strip()
    return out


def widget_texts(catalogue: dict[str, str], own: dict[str, dict[str, str]], locale: str) -> dict[str, str]:
    """Every text the widget shows in one language: the catalogue's, with the merchant's own wording for
    that language over it."""
    return {**catalogue, **own.get(locale, {})}


def transcript(messages: Sequence[Message], labels: dict[Author, str], agent: str) -> str:
    """A conversation as plain text for the ticket a hand-over opens: `[HH:MM] who: text`, one a line."""
    lines = []
    for message in messages:
        who = message.agent_name or agent if message.author is Author.AGENT else labels[message.author]
        lines.append(f"[{message.created_at.strftime('%Y-%m-%d %H:%M')} UTC] {who}: {message.text}")
    return "\n".join(lines)


# -- what a conversation is made of ---------------------------------------------------------------------
@dataclass(frozen=True)
class Attachment:
    """A file a message carries: where its bytes are, what its content showed it to be."""

    key: str
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Message:
    key: str               # its stamp: the conversation's messages sort by it
    author: Author
    text: str
    created_at: datetime
    agent_name: str = ""
    attachment: Attachment | None = None

    @property
    def message_id(self) -> str:
        return f"m{self.key}"


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    status: Status
    visitor_id: str
    created_at: datetime
    last_activity: datetime
    last_number: int       # messages counted on the conversation item (exact in a timeline)
    customer_id: str | None = None
    visitor_name: str = ""
    visitor_email: str = ""
    assignee_id: str | None = None
    assignee_name: str = ""
    handover_email: str = ""
    handed_over_at: datetime | None = None
    ticket_id: str = ""      # the email ticket a hand-over opened
    locale: str = ""         # the shopper's language when the conversation started
    rating: int | None = None
    status_key: str = ""     # the stamp of the last change of status (a shopper message after it reopens)
    last_key: str = ""       # the latest message as the conversation item knows it


# -- what chat keeps, as the service works with it ------------------------------------------------------
@dataclass(frozen=True)
class ChatSettings:
    token_secret: str
    identity_secret: str | None
    hours: str
    timezone: str
    retention_days: int | None
    locale: str | None = None
    texts: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class NewConversation:
    licensee_id: str
    conversation_id: str
    visitor_id: str
    customer_id: str | None
    visitor_name: str
    visitor_email: str
    at: datetime
    expires_at: datetime
    first: Message
    client_hash: str | None
    rate_window: int
    handover_email: str = ""
    start_key: str | None = None  # start_pk() of the first message's client id, when it has one
    locale: str = ""


@dataclass
class Known:
    """What a process knows of a conversation it wrote to or read lately, so that a warm send is one write: whose
    it is, the status and activity bucket the conversation item holds, the email ticket of a hand-over, the
    client ids of the latest messages it knows (a retry that lands here again is answered without a write), the
    shopper messages it took in the current rate window, and how many messages it sent that the conversation
    item does not count yet."""

    visitor_id: str
    status: Status
    status_key: str
    bucket: str
    sent: dict[str, Message]
    ticket_id: str = ""
    rate_window: int = 0
    rate_count: int = 0
    unbooked: int = 0


@dataclass(frozen=True)
class Touched:
    prior_status: Status
    assignee_id: str | None


def conversation_not_found() -> NotFound:
    """The same answer for "no such conversation" and "not yours": nobody learns which ids exist."""
    return NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
