"""The email channel's rules as pure functions of facts: where a mail may go, what is held back and why,
when an acknowledgement may be sent, how replies are addressed; and the records mail keeps (tickets, messages,
contacts, held mail). No storage, no clock, no AWS. SES's events are read in events.py."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.audit.model import AuditRecord
from chalicelib.core.mailer import Delivery as Delivery  # what became of a mail sent: one enum for all mail
from chalicelib.core.notes import Note  # noqa: F401 - one note record for chat and mail, named here too
from chalicelib.licensing import model as licensing
from chalicelib.licensing.model import Channel, License, Status
from chalicelib.mail.events import (
    InboundEvent as InboundEvent,
)
from chalicelib.mail.events import (
    Verdicts as Verdicts,
)
from chalicelib.mail.events import (
    delivery_events as delivery_events,
)
from chalicelib.mail.events import (
    inbound_events as inbound_events,
)
from chalicelib.mail.events import (
    ses_event as ses_event,
)
from chalicelib.mail.loops import Classification, MailKind
from chalicelib.mail.parsing import Attachment, ParsedMail, Problem
from chalicelib.mail.tokens import REPLY_PREFIX, subject_tag

# DynamoDB keeps an item under 400 KB, and every KB written costs a write unit (two in a transaction): the body
# and the new text are stored up to these sizes in UTF-8; the raw message always keeps all of it.
MAX_STORED_BODY_BYTES = 48 * 1024
MAX_STORED_TEXT_BYTES = 16 * 1024
MAX_REFERENCES = 10
# DynamoDB's item limit is 400 KB: every list a stored item holds is bounded, and so is every name.
MAX_PARTICIPANTS = 50  # addresses a ticket remembers as taking part (threading trusts only them)
MAX_LISTED_ADDRESSES = 50  # To and Cc kept on a message, and recipients on held mail
MAX_NAME_CHARS = 255  # file names, content types and ids of attachments; addresses
# A message's text and body beyond this many bytes of UTF-8 live in the blob store (one blob per message,
# written before the transaction, idempotent by key); the item keeps a preview, so a mail costs its metadata.
INLINE_BODY_BYTES = 600
_LOCAL_PART = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$")
_RESERVED_LOCAL_PARTS = {"reply", "postmaster", "abuse", "mailer-daemon", "noreply", "no-reply", "hostmaster",
                         "webmaster", "bounce", "bounces"}
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|antw|回复|回覆|答复)\s*[:：]\s*", re.IGNORECASE)


class HoldReason(StrEnum):
    """Why a mail was kept back from agents. Stable codes: stored, counted and shown; never rename one."""

    UNKNOWN_ADDRESS = "unknown_address"
    CHANNEL_NOT_LICENSED = "channel_not_licensed"
    LICENSE_NOT_IN_FORCE = "license_not_in_force"
    SPAM = "spam"
    VIRUS = "virus"
    SPOOFED = "spoofed"  # DMARC failed where the sender's domain asks to quarantine or reject
    UNREADABLE = "unreadable"
    NO_SENDER = "no_sender"
    DELIVERY_REPORT = "delivery_report"
    AUTO_REPLY = "auto_reply"  # an out-of-office or other automatic answer: no customer waits on it
    OWN_ADDRESS = "own_address"
    SUSPICIOUS_SENDER = "suspicious_sender"  # From is not one mailbox whose shown name is its own address
    UNSTORABLE = "unstorable"  # the database refused the mail's record; the raw mail is kept
    TOO_MANY_TICKETS = "too_many_tickets"  # one sender opened more new tickets this hour than the limit


READABLE: dict[HoldReason, str] = {
    HoldReason.UNKNOWN_ADDRESS: "Sent to an address that belongs to no merchant.",
    HoldReason.CHANNEL_NOT_LICENSED: "The merchant's license does not include email support.",
    HoldReason.LICENSE_NOT_IN_FORCE: "The merchant's license is not in force, so no agent receives mail.",
    HoldReason.SPAM: "Amazon SES judged this mail to be spam.",
    HoldReason.VIRUS: "Amazon SES found a virus in this mail.",
    HoldReason.SPOOFED: "The sender's domain says it did not send this mail (DMARC failed).",
    HoldReason.UNREADABLE: "The mail could not be read at all; the raw message is kept.",
    HoldReason.NO_SENDER: "The mail has no sender address one could answer.",
    HoldReason.DELIVERY_REPORT: "A delivery failure report from a mail server, not a customer's mail.",
    HoldReason.AUTO_REPLY: "An automatic answer (out of office, auto-reply), not a customer's mail.",
    HoldReason.OWN_ADDRESS: "Sent from one of our own addresses: answering it would start a mail loop.",
    HoldReason.TOO_MANY_TICKETS: "This sender opened more new tickets this hour than allowed; kept back so "
                                 "that one address cannot flood the agents.",
    HoldReason.UNSTORABLE: "The mail could not be stored as a ticket (the database refused its record); the raw "
                            "message is kept for staff.",
    HoldReason.SUSPICIOUS_SENDER: "The sender is not clear: From names more than one mailbox, or its name shows "
                                  "another address than the one it comes from.",
}

PROBLEM_TEXT: dict[Problem, str] = {
    Problem.UNPARSEABLE: "The mail could not be read.",
    Problem.MISSING_FROM: "No sender address.",
    Problem.MISSING_MESSAGE_ID: "No Message-ID header.",
    Problem.REUSED_MESSAGE_ID: "Another mail with other content came earlier with the same Message-ID.",
    Problem.BAD_ADDRESS: "An address in To, Cc or Reply-To could not be read and was skipped.",
    Problem.BAD_DATE: "The Date header could not be read.",
    Problem.BAD_CHARSET: "Some text was in an unknown or wrong character set and was decoded by guessing.",
    Problem.BAD_ENCODING: "Some content was damaged in transfer encoding.",
    Problem.BROKEN_MIME: "The mail's structure was damaged; the readable parts were kept.",
    Problem.NO_BODY: "The mail has no text.",
    Problem.OVERSIZE_ATTACHMENT: "An attachment was larger than the limit and was not kept (the raw mail has it).",
}


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer; their next mail opens it again
    CLOSED = "closed"



from chalicelib.mail.events import (  # noqa: E402
    DeliveryEvent as DeliveryEvent,
)


# -- routing and screening ---------------------------------------------------------------------------------------
def mail_gate(lic: License | None, now: datetime, tz: ZoneInfo, expiring_window_days: int) -> HoldReason | None:
    """Whether a merchant may receive mail now (clauses 1.1.3, 3.1.1): license in force and email licensed."""
    if lic is None:
        return HoldReason.LICENSE_NOT_IN_FORCE
    status = licensing.status(lic, now, tz, expiring_window_days)
    if status not in (Status.ACTIVE, Status.EXPIRING):
        return HoldReason.LICENSE_NOT_IN_FORCE
    if Channel.EMAIL not in licensing.terms_on(lic, now.astimezone(tz).date()).channels:
        return HoldReason.CHANNEL_NOT_LICENSED
    return None


def is_own_address(address: str | None, domain: str) -> bool:
    """An address on the licensor's mail domain (or a subdomain of it)."""
    host = (address or "").rpartition("@")[2].strip().lower().rstrip(".")
    return bool(host) and (host == domain or host.endswith("." + domain))


def screen(parsed: ParsedMail, verdicts: Verdicts, classification: Classification,
           domain: str) -> HoldReason | None:
    """Why a mail for a merchant goes to quarantine instead of to an agent, or None to accept it."""
    if verdicts.virus == "FAIL":
        return HoldReason.VIRUS
    if verdicts.spam == "FAIL":
        return HoldReason.SPAM
    # Threading trusts the sender's address, so a forged From must never reach a ticket.
    if verdicts.dmarc == "FAIL" and verdicts.dmarc_policy in ("quarantine", "reject"):
        return HoldReason.SPOOFED
    if Problem.UNPARSEABLE in parsed.problems:
        return HoldReason.UNREADABLE
    if not parsed.from_address:
        return HoldReason.NO_SENDER
    if classification.kind is MailKind.BOUNCE:
        return HoldReason.DELIVERY_REPORT
    if is_own_address(parsed.from_address, domain):
        return HoldReason.OWN_ADDRESS
    if sender_disguised(parsed):
        return HoldReason.SUSPICIOUS_SENDER
    return None


_SHOWN_ADDRESS = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[^\s@<>\"'(),;:]+")


def sender_disguised(parsed: ParsedMail) -> bool:
    """Whether From could make an agent (or threading, which trusts the address) take the mail for someone
    else's: not exactly one mailbox, or a display name showing an address that is not the mailbox's own."""
    if parsed.from_count != 1:
        return True
    shown = {m.group().lower().rstrip(".") for m in _SHOWN_ADDRESS.finditer(parsed.from_name)}
    return bool(shown - {(parsed.from_address or "").lower()})


def idempotency_key(message_id: str | None, ses_id: str) -> str:
    """What makes the same mail one message: its Message-ID (the same key threading looks replies up by),
    or SES's id when it has none (so a retried event is still one message)."""
    return normal_message_id(message_id) if message_id and message_id.strip() else f"ses:{ses_id}"


def normal_message_id(value: str) -> str:
    """A Message-ID as RFC 5322 compares it: the domain is case-insensitive, the local part is not."""
    value = value.strip()
    local, at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if at else value


def provider_key(provider_id: str) -> str:
    """How a mail we sent is found again from a bounce or complaint, which names it by the provider's id."""
    return f"provider:{provider_id}"


def key_hash(value: str) -> str:
    """A bounded, uniform stand-in for a Message-ID (which may be up to 998 characters) in keys."""
    return hashlib.sha256(normal_message_id(value).encode("utf-8", "surrogatepass")).hexdigest()[:40]


def lookup_hashes(value: str) -> list[str]:
    """The keys a stored Message-ID may be under: today's, and the one of records written when ids were
    compared ignoring case (clause 6.2: old records still load)."""
    legacy = hashlib.sha256(value.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return list(dict.fromkeys((key_hash(value), legacy)))


def reused_key(key: str, fingerprint: str) -> str:
    """The idempotency key of a mail that reuses another's Message-ID with other content: kept apart."""
    return f"{key}\x00reused:{fingerprint}"


def fingerprint(from_address: str, subject: str, body: str) -> str:
    """What makes two mails with one Message-ID the same mail (a redelivery), whatever their trace headers."""
    joined = "\x00".join((from_address.lower(), subject, body))
    return hashlib.sha256(joined.encode("utf-8", "replace")).hexdigest()[:16]


# -- acknowledgements --------------------------------------------------------------------------------------------
def may_acknowledge(classification: Classification, sender: str | None, domain: str, *, enabled: bool,
                    undeliverable: bool) -> bool:
    """An automatic acknowledgement goes only to a person's mail (never to auto-submitted mail, lists or
    bounces), never to our own addresses, never to an address known to bounce, and only when the merchant
    has them switched on. The hourly limit per sender is counted in the store."""
    return (enabled and classification.may_acknowledge and bool(sender) and not undeliverable
            and not is_own_address(sender, domain))


def hour_bucket(now: datetime) -> str:
    return now.strftime("%Y%m%d%H")


DEFAULT_ACKNOWLEDGEMENT = ("Thank you for writing to {merchant}. We have received your message and opened ticket "
                           "#{number}; an agent will answer you by email.\n\n"
                           "感谢您联系{merchant}。我们已收到您的邮件（工单 #{number}），客服会尽快通过邮件回复您。")


def acknowledgement_template(per_language: Mapping[str, str] | None, single: str | None,
                             order: Sequence[str]) -> str:
    """The acknowledgement a customer receives: the merchant's texts per language, zh-CN first, one after the
    other as the default text does (the customer's language is not known from one mail); else the single text
    staff set, else the default."""
    if per_language:
        texts = [per_language[locale] for locale in order if per_language.get(locale)]
        texts += [text for locale, text in sorted(per_language.items()) if locale not in order and text]
        if texts:
            return "\n\n".join(texts)
    return single or DEFAULT_ACKNOWLEDGEMENT


def acknowledgement_text(template: str, merchant: str, number: int) -> str:
    return template.replace("{merchant}", merchant).replace("{number}", str(number))


_ORDER = re.compile(r"(?:订单号?|单号|order(?:\s*(?:no\.?|number))?)\s*[:：#]?\s*([A-Za-z0-9][A-Za-z0-9-]{3,31})",
                    re.IGNORECASE)
# mainland mobile numbers (138 0013 8000, +86 13800138000): what customers leave in mail; landlines vary too much
_PHONE = re.compile(r"(?<![\d-])(?:\+?86[ -]?)?(1[3-9]\d(?:[ -]?\d){8})(?![\d-])")
MAX_TERMS = 10


def lookup_terms(contact: str, *texts: str) -> list[str]:
    """What a ticket can be found by, exactly: its customer's address, order numbers the customer mentions
    ("订单号 8841", "order no. A-1234") and phone numbers; at most MAX_TERMS, the address first."""
    terms = [f"email:{contact.lower()}"] if contact else []
    for text in texts:
        terms += [f"order:{m.lower()}" for m in _ORDER.findall(text or "")]
        terms += [f"phone:{re.sub(r'[^0-9]', '', m)}" for m in _PHONE.findall(text or "")]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def round_robin(available: Sequence[tuple[str, str]], number: int) -> tuple[str, str] | None:
    """The agent (id, name) a new ticket goes to: the online agents with room take turns by ticket number, so
    consecutive tickets go to different agents without a counter of their own. None when nobody is available."""
    if not available:
        return None
    ordered = sorted(available)
    return ordered[number % len(ordered)]


# -- addressing replies ------------------------------------------------------------------------------------------
def reply_subject(subject: str, number: int) -> str:
    """`Re: <subject> [#n]`, without stacking `Re:` or tags."""
    tag = subject_tag(number)
    base = subject.strip() or "(no subject)"
    while _REPLY_PREFIX.match(base):
        base = _REPLY_PREFIX.sub("", base, count=1)
    if tag not in base:
        base = f"{base} {tag}"
    return f"Re: {base}"


def reply_address(token: str, domain: str) -> str:
    return f"{REPLY_PREFIX}{token}@{domain}"


def references(chain: Iterable[str]) -> tuple[str, ...]:
    """The References of a reply: the thread's ids, oldest first, the first one and the latest few kept."""
    ids = list(dict.fromkeys(i for i in chain if i))
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1):]]
    return tuple(ids)


def support_address(local_part: str, domain: str) -> str:
    """A merchant's support address on the licensor's domain; refuses what could collide with our own."""
    local = local_part.strip().lower()
    if not _LOCAL_PART.match(local) or local in _RESERVED_LOCAL_PARTS or local.startswith(REPLY_PREFIX[:-1]):
        raise ValueError(f"'{local_part}' cannot be a support address: use 1 to 40 letters, digits, '.', '-' "
                         "or '_', not a reserved name")
    return f"{local}@{domain}"


def inline_body(text: str, body: str) -> bool:
    """Whether a message's text and body are small enough to stay on its item."""
    return len(text.encode("utf-8", "surrogatepass")) + len(body.encode("utf-8", "surrogatepass")) <= INLINE_BODY_BYTES


def bounded(value: str | None, limit: int = MAX_NAME_CHARS) -> str | None:
    """A name cut to `limit` characters (the raw mail keeps the whole)."""
    return value[:limit] if value is not None else None


def stored_body(text: str, limit: int = MAX_STORED_BODY_BYTES) -> tuple[str, bool]:
    """The text as stored on the message, cut to `limit` bytes of UTF-8 on a character boundary, and whether it
    was cut (the raw mail keeps all of it)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text, False
    return data[:limit].decode("utf-8", "ignore"), True


# -- what mail keeps: tickets, their messages, contacts, held mail, settings -------------------------------------
@dataclass(frozen=True)
class Message:
    message_key: str
    ticket_id: str
    direction: str
    from_address: str
    created_at: datetime
    from_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    body: str = ""
    body_truncated: bool = False
    rfc_message_id: str | None = None
    provider_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    problems: tuple[str, ...] = ()
    kind: str = "person"
    author: str | None = None
    author_name: str | None = None
    delivery: str | None = None
    delivery_detail: str | None = None
    raw_key: str | None = None
    verdicts: dict[str, str] | None = None
    body_key: str | None = None  # where the whole text and body are when the item keeps only a preview

    def as_dict(self, attachments: list[dict[str, Any]]) -> dict[str, Any]:
        """The message as agents see it, with its ``attachments`` as the caller may link them."""
        problems = []
        for code in self.problems:
            try:
                problems.append({"code": code, "text": PROBLEM_TEXT[Problem(code)]})
            except (KeyError, ValueError):
                problems.append({"code": code, "text": code})
        return {"id": self.message_key, "direction": self.direction, "from": self.from_address,
                "from_name": self.from_name, "to": list(self.to), "cc": list(self.cc), "subject": self.subject,
                "text": self.text, "body": self.body, "body_truncated": self.body_truncated,
                "created_at": self.created_at.isoformat(), "kind": self.kind, "author": self.author,
                "agent_name": self.author_name, "attachments": attachments, "problems": problems,
                "delivery": {"status": self.delivery, "detail": self.delivery_detail} if self.delivery else None,
                "authentication": self.verdicts}


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    number: int
    subject: str
    contact: str
    status: str
    support_address: str
    created_at: datetime
    last_activity_at: datetime
    message_count: int = 0
    participants: frozenset[str] = field(default_factory=frozenset)
    assignee_id: str | None = None
    assignee_name: str | None = None
    preview: str | None = None
    routable: bool = True  # a reply token finds its merchant (False until the first mail we send for it)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.ticket_id, "number": self.number, "subject": self.subject,
                "contact": self.contact, "status": self.status, "channel": "email",
                "support_address": self.support_address, "created_at": self.created_at.isoformat(),
                "last_activity_at": self.last_activity_at.isoformat(), "message_count": self.message_count,
                "assignee": {"id": self.assignee_id, "name": self.assignee_name} if self.assignee_id else None,
                "preview": self.preview or ""}


@dataclass(frozen=True)
class Contact:
    address: str
    name: str | None = None
    undeliverable: bool = False
    undeliverable_reason: str | None = None
    undeliverable_at: datetime | None = None


@dataclass(frozen=True)
class Held:
    licensee_id: str | None
    reason: str
    at: datetime
    ses_id: str
    raw_key: str
    from_address: str | None
    subject: str
    recipients: tuple[str, ...]
    held_key: str = ""  # its sort key in the merchant's held mail
    released_at: datetime | None = None
    released_by: str | None = None
    ticket_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "reason_text": READABLE.get(HoldReason(self.reason), self.reason),
                "at": self.at.isoformat(), "from": self.from_address, "subject": self.subject, "raw": self.raw_key,
                "ses_id": self.ses_id, "recipients": list(self.recipients),
                "released": ({"at": self.released_at.isoformat(), "by": self.released_by, "ticket_id": self.ticket_id}
                             if self.released_at else None)}


@dataclass(frozen=True)
class Release:
    """A held mail staff deliver after all: stored in the same transaction as the message it becomes."""

    held_key: str
    audit: AuditRecord


@dataclass(frozen=True)
class MailSettings:
    acknowledge: bool = True
    acknowledgement_text: str | None = None
    acknowledgement_texts: dict[str, str] | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one mail for one merchant."""

    licensee_id: str | None
    result: str  # delivered | duplicate | quarantined | held
    ticket_id: str | None = None
    reason: str | None = None
    new_ticket: bool = False
    acknowledged: bool = False
