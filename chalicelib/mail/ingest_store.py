"""Writes of mail that arrives: a new ticket or a reply joining one, each in one transaction whose first
condition is that its Message-ID is new; held mail with its reason; the hourly limits per sender. Also the
transaction parts agents' mail shares with it (a message's Message-ID, a new ticket's items, the bump)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.core.errors import Conflict
from chalicelib.mail.items import (
    ContactItem,
    FindItem,
    HeldItem,
    MailItem,
    MessageIdItem,
    NumberItem,
    RateItem,
    SequenceItem,
    TicketItem,
    TicketRefItem,
    activity_key,
    get_item,
    held_record,
    merchant_key,
    message_item,
    preview,
)
from chalicelib.mail.model import (
    MAX_LISTED_ADDRESSES,
    MAX_NAME_CHARS,
    MAX_PARTICIPANTS,
    Held,
    Message,
    Release,
    Ticket,
    TicketStatus,
    lookup_terms,
)


class Refused(Exception):
    """DynamoDB refused a mail's record for what it holds (not a race): trying again gives the same answer."""


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except (TransactWriteError, Conflict) as exc:
        if dynamodb.refused(exc) or dynamodb.refused(exc.__cause__ or exc):
            raise Refused(str(exc)[:300]) from exc
        raise


class InboundStore:
    """What the mail table does for mail that arrives. Every method takes the merchant first."""

    def seen(self, licensee_id: str, hashes: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """Of these Message-ID hashes, those stored for the merchant: hash -> (ticket id, message key)."""
        if not hashes:
            return {}
        keys = [(merchant_key(licensee_id), f"MSGID#{h}") for h in dict.fromkeys(hashes)]
        return {i.sk.removeprefix("MSGID#"): (i.ticket_id, i.message_key)
                for i in MailItem.batch_get(keys) if isinstance(i, MessageIdItem)}

    def is_stored(self, licensee_id: str, message_hash: str) -> bool:
        """Whether a Message-ID is already stored (strongly consistent: asked after a failed write)."""
        return isinstance(get_item(merchant_key(licensee_id), f"MSGID#{message_hash}"), MessageIdItem)

    def last_number(self, licensee_id: str) -> int:
        item = get_item(merchant_key(licensee_id), "TICKETSEQ")
        return int(item.last) if isinstance(item, SequenceItem) else 0

    def next_number(self, licensee_id: str) -> int:
        """A new ticket number, taken with one atomic add: mail arriving at once for one merchant (concurrent
        Lambda invocations) never contends for it. A number whose ticket was then not stored stays unused."""
        item = SequenceItem(pk=merchant_key(licensee_id), sk="TICKETSEQ")
        item.update(actions=[SequenceItem.last.add(1), MailItem.item_type.set(SequenceItem)])
        return int(item.last)

    def open_ticket(self, licensee_id: str, ticket: Ticket, message: Message, message_hash: str,
                    cc: Sequence[str] = (), release: Release | None = None) -> None:
        """A new ticket with its first message, in one transaction: the Message-ID must be new and the ticket
        number (from `next_number`) unused. Refused when the database will not take its record."""
        with _refusals(), dynamodb.transaction("This mail or ticket number was stored meanwhile.") as tx:
            claim_message_id(tx, licensee_id, message_hash, message, release)
            new_ticket_items(tx, licensee_id, ticket, message, cc)
            touch_contact(tx, licensee_id, message.from_address, message.from_name, message.created_at)

    def append_inbound(self, licensee_id: str, ticket: Ticket, message: Message, message_hash: str,
                       cc: Sequence[str] = (), release: Release | None = None) -> None:
        """A customer's mail joins its ticket (reopening it); the Message-ID must be new. Refused when the
        database will not take its record."""
        with _refusals(), dynamodb.transaction("This mail was stored meanwhile.") as tx:
            claim_message_id(tx, licensee_id, message_hash, message, release)
            tx.save(message_item(licensee_id, message), condition=MailItem.pk.does_not_exist())
            bump(tx, licensee_id, ticket, message.created_at, TicketStatus.OPEN, {message.from_address, *cc},
                 preview=preview(message.text or message.body))
            mentioned = lookup_terms("", message.text)  # the customer's address is the ticket's already
            find_by(tx, licensee_id, ticket.ticket_id, mentioned)
            touch_contact(tx, licensee_id, message.from_address, message.from_name, message.created_at)

    def hold(self, licensee_id: str | None, message_hash: str, message_id: str, held: Held) -> None:
        """Keep a mail back with its reason; Conflict when the same mail was held or stored before."""
        tenant = licensee_id or "-"
        with dynamodb.transaction("This mail was stored meanwhile.") as tx:
            tx.save(MessageIdItem(pk=merchant_key(tenant), sk=f"MSGID#{message_hash}", message_id=message_id),
                    condition=MailItem.pk.does_not_exist())
            tx.save(HeldItem(pk=f"HELD#{tenant}", sk=f"{held.at.isoformat()}#{message_hash}", reason=held.reason,
                             at=held.at, ses_id=held.ses_id, raw_key=held.raw_key, from_address=held.from_address,
                             subject=held.subject[:500], licensee_id=licensee_id,
                             recipients=[r[:MAX_NAME_CHARS] for r in held.recipients[:MAX_LISTED_ADDRESSES]]))

    def held(self, licensee_id: str | None, limit: int = 100) -> list[Held]:
        found = MailItem.query(f"HELD#{licensee_id or '-'}", scan_index_forward=False, limit=limit)
        return [held_record(i) for i in found if isinstance(i, HeldItem)]

    def held_mail(self, licensee_id: str, ses_id: str) -> Held | None:
        """One held mail of a merchant by SES's id (staff release it; held mail is few per merchant)."""
        for item in MailItem.query(f"HELD#{licensee_id}", filter_condition=HeldItem.ses_id == ses_id,
                                   consistent_read=True):
            if isinstance(item, HeldItem):
                return held_record(item)
        return None

    def is_delivered(self, licensee_id: str, message_hash: str) -> bool:
        """Whether a Message-ID is stored as a message of a ticket (not only as held mail)."""
        item = get_item(merchant_key(licensee_id), f"MSGID#{message_hash}")
        return isinstance(item, MessageIdItem) and item.ticket_id is not None

    def take_acknowledgement(self, licensee_id: str, sender: str, now: datetime, bucket: str, limit: int) -> bool:
        """Count one acknowledgement to `sender` in this hour; False when `limit` were sent already."""
        return self._take("ACKRATE", licensee_id, sender, now, bucket, limit)

    def take_new_ticket(self, licensee_id: str, sender: str, now: datetime, bucket: str, limit: int) -> bool:
        """Count one new ticket from `sender` in this hour; False when `limit` were opened already."""
        return self._take("TICKETRATE", licensee_id, sender, now, bucket, limit)

    @staticmethod
    def _take(kind: str, licensee_id: str, sender: str, now: datetime, bucket: str, limit: int) -> bool:
        item = RateItem(pk=f"{kind}#{licensee_id}#{sender}", sk=bucket)
        return dynamodb.conditionally(lambda: item.update(
            actions=[RateItem.sent.add(1), RateItem.expires.set(now + timedelta(hours=2)),
                     MailItem.item_type.set(RateItem)],
            condition=RateItem.sent.does_not_exist() | (RateItem.sent < limit)))


def message_id_item(licensee_id: str, message_hash: str, message: Message) -> MessageIdItem:
    return MessageIdItem(pk=merchant_key(licensee_id), sk=f"MSGID#{message_hash}",
                         message_id=message.rfc_message_id or message.message_key, ticket_id=message.ticket_id,
                         message_key=message.message_key)


def claim_message_id(tx: Any, licensee_id: str, message_hash: str, message: Message,
                      release: Release | None) -> None:
    """The first condition of storing a mail: its Message-ID is new. A release may take over the id the held
    mail left (no ticket yet), and marks the held mail released, once: a second release fails here."""
    if release is None:
        tx.save(message_id_item(licensee_id, message_hash, message), condition=MailItem.pk.does_not_exist())
        return
    tx.save(message_id_item(licensee_id, message_hash, message), condition=MessageIdItem.ticket_id.does_not_exist())
    tx.update(HeldItem(pk=f"HELD#{licensee_id}", sk=release.held_key),
              actions=[HeldItem.released_at.set(release.audit.at), HeldItem.released_by.set(release.audit.actor),
                       HeldItem.ticket_id.set(message.ticket_id)],
              condition=MailItem.pk.exists() & HeldItem.released_at.does_not_exist())
    audit_store.add_to(tx, release.audit)


def new_ticket_items(tx: Any, licensee_id: str, ticket: Ticket, message: Message, cc: Sequence[str]) -> None:
    """The items of a new ticket: the ticket, its number (unused, or the write fails) and merchant lookups, and
    its first message."""
    pk = merchant_key(licensee_id)
    people = list(dict.fromkeys(p for p in (ticket.contact, *sorted(ticket.participants), *cc) if p))
    tx.save(TicketItem(
        pk=pk, sk=f"TICKET#{ticket.ticket_id}", ticket_id=ticket.ticket_id, number=ticket.number,
        subject=ticket.subject[:500], contact=ticket.contact,
        participants=set(people[:MAX_PARTICIPANTS]) or None,
        status=ticket.status, support_address=ticket.support_address, created_at=ticket.created_at,
        last_activity_at=ticket.last_activity_at, message_count=1, assignee_id=ticket.assignee_id,
        assignee_name=ticket.assignee_name, preview=preview(message.text or message.body),
        activity_pk=activity_key(licensee_id, ticket.status),
        activity_sk=f"{ticket.last_activity_at.isoformat()}#{ticket.ticket_id}",
    ), condition=MailItem.pk.does_not_exist())
    tx.save(NumberItem(pk=pk, sk=f"NUMBER#{ticket.number:012d}", ticket_id=ticket.ticket_id),
            condition=MailItem.pk.does_not_exist())
    tx.save(TicketRefItem(pk=f"TICKETREF#{ticket.ticket_id}", sk="REF", licensee_id=licensee_id),
            condition=MailItem.pk.does_not_exist())
    tx.save(message_item(licensee_id, message), condition=MailItem.pk.does_not_exist())
    find_by(tx, licensee_id, ticket.ticket_id, lookup_terms(ticket.contact, ticket.subject, message.text))


def find_by(tx: Any, licensee_id: str, ticket_id: str, terms: Sequence[str]) -> None:
    for term in terms:
        tx.save(FindItem(pk=merchant_key(licensee_id), sk=f"FIND#{term}#{ticket_id}", ticket_id=ticket_id))


def touch_contact(tx: Any, licensee_id: str, address: str, name: str, at: datetime) -> None:
    item = ContactItem(pk=merchant_key(licensee_id), sk=f"CONTACT#{address}")
    actions: list[Action] = [ContactItem.address.set(address), ContactItem.first_seen.set(ContactItem.first_seen | at),
               MailItem.item_type.set(ContactItem), MailItem.schema_version.set(1)]
    if name:
        actions.append(ContactItem.name.set(name[:200]))
    tx.update(item, actions=actions)


def bump(tx: Any, licensee_id: str, ticket: Ticket, at: datetime, status: TicketStatus | None,
          participants: set[str], count: bool = True, preview: str | None = None) -> None:
    item = TicketItem(pk=merchant_key(licensee_id), sk=f"TICKET#{ticket.ticket_id}")
    new_status = status.value if status else ticket.status
    latest = max(at, ticket.last_activity_at)
    actions: list[Action] = [TicketItem.last_activity_at.set(latest), TicketItem.status.set(new_status),
               TicketItem.activity_pk.set(activity_key(licensee_id, new_status)),
               TicketItem.activity_sk.set(f"{latest.isoformat()}#{ticket.ticket_id}")]
    if count:
        actions.append(TicketItem.message_count.add(1))
    if preview:
        actions.append(TicketItem.preview.set(preview))
    # bounded: a mail copied to thousands adds only as many as the ticket still has room for
    room = max(0, MAX_PARTICIPANTS - len(ticket.participants))
    people = set(sorted(p for p in participants if p and p not in ticket.participants)[:room])
    if people:
        actions.append(TicketItem.participants.add(people))
    tx.update(item, actions=actions, condition=MailItem.pk.exists())
