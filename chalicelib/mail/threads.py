"""Which ticket an inbound mail belongs to. Pure: the caller looks things up, this decides.

Order of trust: the signed reply address, then In-Reply-To/References, then the [#123] subject
tag. Whatever matches, a mail joins a ticket only when its sender already takes part in it: a
stranger who learns a token, a message id or a ticket number still cannot write into someone
else's ticket, and gets a new ticket of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.mail.parsing import ParsedMail
from chalicelib.mail.tokens import extract_reply_token, find_subject_tag, read_token

# Enough to cover a long conversation; keeps the batch lookup to one request.
MAX_MESSAGE_IDS = 20


@dataclass(frozen=True)
class ThreadLookups:
    """What the caller must look up (within the merchant) before calling `choose_ticket`."""

    token_ticket_id: str | None  # from a reply+<token> address whose signature checked out
    message_ids: tuple[str, ...]  # In-Reply-To first, then References newest first
    subject_ticket_number: int | None


@dataclass(frozen=True)
class TicketCandidate:
    """A ticket the store found, with who may write into it."""

    ticket_id: str
    contact: str | None = None
    participants: frozenset[str] = field(default_factory=frozenset)

    def admits(self, address: str | None) -> bool:
        if not address:
            return False
        address = address.strip().lower()
        known = {participant.strip().lower() for participant in self.participants}
        if self.contact:
            known.add(self.contact.strip().lower())
        return address in known


class ThreadVia(StrEnum):
    REPLY_TOKEN = "reply_token"  # noqa: S105 - a name, not a secret
    MESSAGE_ID = "message_id"
    SUBJECT_TAG = "subject_tag"
    NEW = "new"


@dataclass(frozen=True)
class ThreadDecision:
    ticket_id: str | None  # None: open a new ticket
    via: ThreadVia
    refused: tuple[str, ...] = ()  # tickets that matched but the sender takes no part in


def lookups(parsed: ParsedMail, *, reply_domain: str, secret: bytes | Sequence[bytes]) -> ThreadLookups:
    """What to look up for `parsed`; only a reply token with a valid signature is passed on."""
    recipients = [address.address for address in (*parsed.to, *parsed.cc)]
    token = extract_reply_token(recipients, reply_domain)
    ids: list[str] = []
    for message_id in (parsed.in_reply_to, *reversed(parsed.references)):
        if message_id and message_id != parsed.message_id and message_id not in ids:
            ids.append(message_id)
    return ThreadLookups(
        token_ticket_id=read_token(token, secret) if token else None,
        message_ids=tuple(ids[:MAX_MESSAGE_IDS]),
        subject_ticket_number=find_subject_tag(parsed.subject),
    )


def choose_ticket(
    parsed: ParsedMail,
    *,
    by_token: TicketCandidate | None = None,
    by_message_ids: Sequence[TicketCandidate] = (),
    by_subject_tag: TicketCandidate | None = None,
) -> ThreadDecision:
    """The ticket `parsed` joins, or None for a new one.

    `by_message_ids` is in the order of `ThreadLookups.message_ids`. The first candidate, in order
    of precedence, that admits the sender wins.
    """
    ordered: list[tuple[ThreadVia, TicketCandidate]] = []
    if by_token is not None:
        ordered.append((ThreadVia.REPLY_TOKEN, by_token))
    ordered.extend((ThreadVia.MESSAGE_ID, candidate) for candidate in by_message_ids)
    if by_subject_tag is not None:
        ordered.append((ThreadVia.SUBJECT_TAG, by_subject_tag))

    refused: list[str] = []
    for via, candidate in ordered:
        if candidate.admits(parsed.from_address):
            return ThreadDecision(candidate.ticket_id, via, tuple(refused))
        if candidate.ticket_id not in refused:
            refused.append(candidate.ticket_id)
    return ThreadDecision(None, ThreadVia.NEW, tuple(refused))
