"""The mail table's part in privacy requests (clauses 7.2, 11.2): find a customer's tickets, contact record and
held mail, read and erase them, forget blobs past their retention, and erase what is left of a merchant after
termination. Beside the store, not in it, so that the store's layout stays its own; every key here comes from
chalicelib/mail/store.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.adapters import dynamodb
from chalicelib.mail.items import (
    AddressItem,
    AttachmentMap,
    ContactItem,
    HeldItem,
    MailItem,
    MessageItem,
    TicketItem,
)
from chalicelib.mail.items import activity_key as _activity
from chalicelib.mail.items import held_record as _held
from chalicelib.mail.items import merchant_key as _merchant
from chalicelib.mail.items import thread_key as _thread
from chalicelib.mail.items import ticket_record as _ticket
from chalicelib.mail.model import Held, Message, Note, Ticket, TicketStatus, key_hash, lookup_terms
from chalicelib.mail.store import MailStore


@dataclass
class Erased:
    """What one erasure deleted: items by kind, and the blobs the caller deletes from the blob stores."""

    counts: dict[str, int] = field(default_factory=dict)
    blobs: list[str] = field(default_factory=list)      # attachments, in the blob store
    raw_mail: list[str] = field(default_factory=list)   # raw mail, where SES stored it

    def add(self, kind: str, count: int) -> None:
        if count:
            self.counts[kind] = self.counts.get(kind, 0) + count


def merchant_tickets(licensee_id: str, before: datetime | None = None) -> Iterator[Ticket]:
    """Every ticket of a merchant in every status, or those last active before an instant (retention)."""
    for status in TicketStatus:
        condition = MailItem.activity_sk < before.isoformat() if before else None
        for item in MailItem.activity_index.query(_activity(licensee_id, status.value), condition):
            if isinstance(item, TicketItem):
                yield _ticket(item)


def contact_tickets(licensee_id: str, email: str | None, phone_digits: str | None) -> list[Ticket]:
    """A customer's tickets: those their address opened or is the contact of, and those that mention their phone
    number (the lookups kept with every ticket)."""
    store = MailStore()
    ids: list[str] = []
    for term in ([f"email:{email}"] if email else []) + ([f"phone:{phone_digits}"] if phone_digits else []):
        ids += store.find(licensee_id, term, limit=10_000)
    found = store.tickets((licensee_id, i) for i in dict.fromkeys(ids))
    return list(found.values())


def ticket_content(licensee_id: str, ticket_id: str) -> tuple[list[Message], list[Note]]:
    return MailStore().thread(licensee_id, ticket_id, limit=100_000)


def erase_ticket(licensee_id: str, ticket: Ticket, erased: Erased, texts: Sequence[str] = ()) -> None:
    """Delete a ticket, its messages and notes, its number, reference, lookups and Message-ID records; the
    attachments' and raw mail's keys are added to `erased` for the caller to delete from the blob stores.
    `texts`: the messages' whole texts where items keep a preview (the lookups were made from them)."""
    thread = list(MailItem.query(_thread(licensee_id, ticket.ticket_id), consistent_read=True))
    messages = [i for i in thread if isinstance(i, MessageItem)]
    items: list[MailItem] = [*thread,
                             MailItem(pk=_merchant(licensee_id), sk=f"TICKET#{ticket.ticket_id}"),
                             MailItem(pk=_merchant(licensee_id), sk=f"NUMBER#{ticket.number:012d}"),
                             MailItem(pk=f"TICKETREF#{ticket.ticket_id}", sk="REF")]
    terms = lookup_terms(ticket.contact, ticket.subject, *(m.text for m in messages), *texts)
    items += [MailItem(pk=_merchant(licensee_id), sk=f"FIND#{term}#{ticket.ticket_id}") for term in terms]
    for message in messages:
        for value in {message.rfc_message_id, message.provider_id, message.message_key} - {None}:
            items.append(MailItem(pk=_merchant(licensee_id), sk=f"MSGID#{key_hash(str(value))}"))
        erased.blobs += [a.blob_key for a in message.attachments or () if a.blob_key]
        if message.raw_key:
            erased.raw_mail.append(message.raw_key)
    dynamodb.delete_all(MailItem, items)
    # the contact's item may list the ticket (its email: lookup)
    dynamodb.conditionally(lambda: ContactItem(pk=_merchant(licensee_id), sk=f"CONTACT#{ticket.contact}").update(
        actions=[ContactItem.tickets.delete({ticket.ticket_id})], condition=MailItem.pk.exists()))
    erased.add("tickets", 1)
    erased.add("messages", len(messages))
    erased.add("attachments", sum(1 for m in messages for a in m.attachments or () if a.blob_key))
    erased.add("raw_mail", sum(1 for m in messages if m.raw_key))


def contact_record(licensee_id: str, address: str) -> dict[str, object] | None:
    contact = MailStore().contact(licensee_id, address)
    if contact is None:
        return None
    return {"address": contact.address, "name": contact.name, "undeliverable": contact.undeliverable,
            "undeliverable_reason": contact.undeliverable_reason}


def erase_contact(licensee_id: str, address: str, erased: Erased) -> None:
    """Delete a customer's record (address, name, bounce state) and the hourly counters kept under the address."""
    items: list[MailItem] = []
    if MailStore().contact(licensee_id, address) is not None:
        items.append(MailItem(pk=_merchant(licensee_id), sk=f"CONTACT#{address}"))
    for kind in ("ACKRATE", "TICKETRATE"):
        items += list(MailItem.query(f"{kind}#{licensee_id}#{address}"))
    dynamodb.delete_all(MailItem, items)
    erased.add("contacts", 1 if items and items[0].sk.startswith("CONTACT#") else 0)


def contacts_without_tickets(licensee_id: str, seen_before: datetime) -> list[str]:
    """Customers first seen before an instant of whom no ticket is left (retention: the record goes with the
    last of their tickets)."""
    store = MailStore()
    return [i.address for i in MailItem.query(_merchant(licensee_id), MailItem.sk.startswith("CONTACT#"))
            if isinstance(i, ContactItem) and (i.first_seen is None or i.first_seen < seen_before)
            and not store.tickets((licensee_id, t) for t in store.find(licensee_id, f"email:{i.address}"))]


def held_mail(licensee_id: str, address: str | None = None, before: datetime | None = None) -> list[Held]:
    """A merchant's held mail: all of it, that from one address, or that held before an instant."""
    condition = MailItem.sk < before.isoformat() if before else None
    return [_held(i) for i in MailItem.query(f"HELD#{licensee_id}", condition, consistent_read=True)
            if isinstance(i, HeldItem) and (address is None or (i.from_address or "").lower() == address)]


def erase_held(licensee_id: str, held: Held, erased: Erased) -> None:
    """Delete a held mail and its Message-ID record; its raw mail's key goes to `erased`."""
    message_hash = held.held_key.rsplit("#", 1)[-1]
    items = [MailItem(pk=f"HELD#{licensee_id}", sk=held.held_key)]
    if held.ticket_id is None:  # a released mail's Message-ID belongs to its ticket now
        items.append(MailItem(pk=_merchant(licensee_id), sk=f"MSGID#{message_hash}"))
    dynamodb.delete_all(MailItem, items)
    erased.raw_mail.append(held.raw_key)
    erased.add("held_mail", 1)


def forget_blobs(licensee_id: str, ticket_id: str, before: datetime, attachments: bool, raw: bool) -> Erased:
    """Retention: of a ticket's messages older than `before`, drop the attachments' blobs (kept as listed but
    no longer downloadable, as a too-large one is) and the raw mail; the message text stays."""
    erased = Erased()
    for item in MailItem.query(_thread(licensee_id, ticket_id), MailItem.sk.startswith("MSG#")):
        if not isinstance(item, MessageItem) or item.created_at >= before:
            continue
        actions = []
        kept = [a for a in item.attachments or () if a.blob_key]
        if attachments and kept:
            erased.blobs += [str(a.blob_key) for a in kept]
            erased.add("attachments", len(kept))
            actions.append(MessageItem.attachments.set([
                AttachmentMap(filename=a.filename, content_type=a.content_type, size=a.size, blob_key=None,
                              inline=a.inline, content_id=a.content_id) for a in item.attachments]))
        if raw and item.raw_key:
            erased.raw_mail.append(item.raw_key)
            erased.add("raw_mail", 1)
            actions.append(MessageItem.raw_key.remove())
        if actions:
            _update_if_present(item, actions)
    return erased


def _update_if_present(item: MessageItem, actions: list[Any]) -> None:
    dynamodb.conditionally(lambda: item.update(actions=actions, condition=MailItem.pk.exists()))


def erase_merchant_rest(licensee_id: str) -> int:
    """After a merchant's tickets and held mail are erased: its partition (contacts, lookups, settings, ticket
    numbering, support addresses) and the routing of its support addresses, which become free again."""
    items: list[MailItem] = list(MailItem.query(_merchant(licensee_id), consistent_read=True))
    items += [MailItem(pk=f"ADDRESS#{i.address}", sk="ADDRESS") for i in items if isinstance(i, AddressItem)]
    for contact in [i for i in items if isinstance(i, ContactItem)]:  # the hourly counters kept per customer
        for kind in ("ACKRATE", "TICKETRATE"):
            items += list(MailItem.query(f"{kind}#{licensee_id}#{contact.address}"))
    return dynamodb.delete_all(MailItem, items)
