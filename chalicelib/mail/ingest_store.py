"""Writes of mail that arrives: a new ticket or a reply joining one; held mail with its reason; the hourly limits
per sender. Also the transaction parts agents' mail (and a release of held mail) shares with it.

A mail that arrives is written without a transaction, which costs twice the write units of plain writes, in
as few items as its roles allow:
- its ids come from the mail (its Message-ID's hash, `mail_ticket_id`, `mail_message_key`), so a retried event
  writes the very same items again;
- what nobody sees on its own goes first in one batch (the message, the ticket's number and lookups), then the
  contact (with the sender's hourly count of new tickets on it), then the claim, under the condition that it is
  new: for a new ticket its ticket item (visible in the inbox from then on, and what finds the ticket by the
  mail's Message-ID: its id is that of the mail), for a reply the Message-ID record, after the ticket's bump,
  which is done once per mail (`last_mail`). A crash before the claim leaves a retry that completes the same
  items; a claim that exists is a duplicate, written nothing;
- a new ticket's reference (which merchant a reply token names) waits for the first mail we send for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.core.errors import Conflict
from chalicelib.core.ids import keyed_id
from chalicelib.mail.items import (
    CONTACT_TICKETS,
    ContactItem,
    FindItem,
    HeldItem,
    MailItem,
    MessageIdItem,
    MessageItem,
    NumberItem,
    RateItem,
    SequenceItem,
    SettingsItem,
    TicketItem,
    TicketRefItem,
    activity_key,
    get_item,
    held_record,
    merchant_key,
    message_item,
    message_record,
    preview,
    thread_key,
    ticket_record,
)
from chalicelib.mail.model import (
    MAX_LISTED_ADDRESSES,
    MAX_NAME_CHARS,
    MAX_PARTICIPANTS,
    Held,
    MailSettings,
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
    except (TransactWriteError, PutError, UpdateError, Conflict) as exc:
        if dynamodb.refused(exc) or dynamodb.refused(exc.__cause__ or exc):
            raise Refused(str(exc)[:300]) from exc
        raise


def mail_ticket_id(licensee_id: str, message_hash: str) -> str:
    """The id of the ticket a mail opens: from the mail, so that its Message-ID finds the ticket (no record of
    its own) and a retried event names the same ticket. Lower case, digits and '-' like every ticket id."""
    return keyed_id("tkt", f"ticket\x00{licensee_id}\x00{message_hash}", separator="-")


def mail_message_key(licensee_id: str, message_hash: str, at: datetime) -> str:
    """A mail's message key: time-ordered like every message key, its last 16 characters from the mail (a
    retry that writes it again later is the same message: `Thread` shows one)."""
    return keyed_id("msg", f"message\x00{licensee_id}\x00{message_hash}", max(0, int(at.timestamp() * 1000)))


def mail_of(message_key: str) -> str:
    """What names the mail in a message key (its last 16 characters)."""
    return message_key[-16:]


def mail_mark(licensee_id: str, message_hash: str) -> str:
    return mail_of(keyed_id("msg", f"message\x00{licensee_id}\x00{message_hash}", 0))


@dataclass(frozen=True)
class Sender:
    """What the table knows of a mail's sender before it is stored: read with the mail's Message-IDs."""

    address: str
    known: bool = False  # a contact item exists
    name: str | None = None
    first_seen: bool = False
    tickets_hour: str | None = None
    tickets_in_hour: int = 0
    tickets: int = 0  # how many tickets the contact's item lists

    def counted(self, bucket: str) -> int:
        return self.tickets_in_hour if self.tickets_hour == bucket else 0


class InboundStore:
    """What the mail table does for mail that arrives. Every method takes the merchant first."""

    def seen(self, licensee_id: str, hashes: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """Of these Message-ID hashes, those stored for the merchant: hash -> (ticket id, message key)."""
        if not hashes:
            return {}
        keys = [(merchant_key(licensee_id), f"MSGID#{h}") for h in dict.fromkeys(hashes)]
        return {i.sk.removeprefix("MSGID#"): (i.ticket_id, i.message_key)
                for i in MailItem.batch_get(keys) if isinstance(i, MessageIdItem)}

    def first_reads(self, licensee_id: str, hashes: Sequence[str], sender: str | None,
                    consistent: bool = False, settings: list[MailSettings] | None = None,
                    tickets: dict[str, Ticket] | None = None,
                    ) -> tuple[dict[str, tuple[str | None, str | None]], Sender | None]:
        """In one read: of these Message-ID hashes, those stored for the merchant (hash -> (ticket id, message
        key); a mail that opened a ticket is found as that ticket, its message key then None), and the sender;
        given a list, the merchant's mail settings are added to it (for the acknowledgement of a new ticket), and
        given a dict, the tickets found (by id: threading need not read them again)."""
        pk = merchant_key(licensee_id)
        unique = list(dict.fromkeys(hashes))
        by_ticket = {f"TICKET#{mail_ticket_id(licensee_id, h)}": h for h in unique}
        keys = [(pk, f"MSGID#{h}") for h in unique] + [(pk, k) for k in by_ticket]
        if sender:
            keys.append((pk, f"CONTACT#{sender}"))
        if settings is not None:
            keys.append((pk, "SETTINGS"))
        found: dict[str, tuple[str | None, str | None]] = {}
        contact: Sender | None = Sender(sender) if sender else None
        for i in MailItem.batch_get(keys, consistent_read=consistent) if keys else []:
            if isinstance(i, SettingsItem) and settings is not None:
                settings.append(settings_record(i))
            elif isinstance(i, MessageIdItem):
                found[i.sk.removeprefix("MSGID#")] = (i.ticket_id, i.message_key)
            elif isinstance(i, TicketItem):
                found.setdefault(by_ticket[i.sk], (i.ticket_id, None))
                if tickets is not None:
                    tickets[i.ticket_id] = ticket_record(i)
            elif isinstance(i, ContactItem) and sender:
                contact = Sender(sender, True, i.name, i.first_seen is not None, i.tickets_hour,
                                 int(i.tickets_in_hour or 0), len(i.tickets or ()))
        if settings is not None and not settings:
            settings.append(MailSettings())
        return found, contact

    def first_inbound(self, licensee_id: str, ticket_id: str, message_hash: str) -> Message | None:
        """The message a mail became in its ticket (by the part of its key the mail names)."""
        wanted = mail_mark(licensee_id, message_hash)
        for item in MailItem.query(thread_key(licensee_id, ticket_id), MailItem.sk.startswith("MSG#")):
            if isinstance(item, MessageItem) and mail_of(item.message_key) == wanted:
                return message_record(item)
        return None

    def is_stored(self, licensee_id: str, message_hash: str) -> bool:
        """Whether a Message-ID is already stored, held or as a ticket it opened (strongly consistent: asked
        after a failed write)."""
        return message_hash in self.first_reads(licensee_id, [message_hash], None, consistent=True)[0]

    # -- a mail that arrives, without a transaction (see the module's docstring) ---------------------------------
    def count_new_ticket(self, licensee_id: str, sender: Sender, name: str, at: datetime, bucket: str,
                         limit: int, ticket_id: str) -> bool | None:
        """Touch the sender's contact, count one new ticket from them in this hour and list the ticket on it
        (while it lists fewer than CONTACT_TICKETS), in one write. None when `limit` were opened this hour
        already, else whether the contact lists the ticket. Conditional on what was read, so that senders
        racing count right."""
        for _ in range(5):
            if sender.counted(bucket) >= limit:
                return None
            item = ContactItem(pk=merchant_key(licensee_id), sk=f"CONTACT#{sender.address}")
            actions = _touch(sender.address, name, at)
            listed = sender.tickets < CONTACT_TICKETS
            if listed:
                actions.append(ContactItem.tickets.add({ticket_id}))
            if sender.tickets_hour == bucket:
                actions.append(ContactItem.tickets_in_hour.add(1))
                condition = (ContactItem.tickets_hour == bucket) & (ContactItem.tickets_in_hour < limit)
            else:
                actions += [ContactItem.tickets_hour.set(bucket), ContactItem.tickets_in_hour.set(1)]
                condition = (ContactItem.tickets_hour.does_not_exist() if sender.tickets_hour is None
                             else ContactItem.tickets_hour == sender.tickets_hour)
            if dynamodb.conditionally(partial(item.update, actions=actions, condition=condition)):
                return listed
            sender = self.first_reads(licensee_id, [], sender.address, consistent=True)[1] or sender
        raise Conflict("The sender's count of new tickets kept changing.")

    def store_new_ticket(self, licensee_id: str, ticket: Ticket, message: Message, cc: Sequence[str] = (),
                         listed: bool = False) -> None:
        """A new ticket with its first message (ids from the mail: `mail_ticket_id`, `mail_message_key`); the
        contact was touched by `count_new_ticket` (`listed`: and lists the ticket, so that no email: lookup is
        written). Conflict when the ticket exists (the mail was stored), Refused when the database will not take
        its record."""
        pk = merchant_key(licensee_id)
        with _refusals():
            with MailItem.batch_write() as batch:
                batch.save(message_item(licensee_id, message))
                batch.save(NumberItem(pk=pk, sk=f"NUMBER#{ticket.number:012d}", ticket_id=ticket.ticket_id))
                for term in lookup_terms(ticket.contact, ticket.subject, message.text)[1 if listed else 0:]:
                    batch.save(FindItem(pk=pk, sk=f"FIND#{term}#{ticket.ticket_id}", ticket_id=ticket.ticket_id))
            claim = ticket_item(licensee_id, ticket, message, cc)
            claim.routable = False
            if not dynamodb.conditionally(lambda: claim.save(condition=MailItem.pk.does_not_exist())):
                raise Conflict("This mail was stored meanwhile.")

    def store_reply(self, licensee_id: str, ticket: Ticket, message: Message, message_hash: str,
                    cc: Sequence[str] = (), sender: Sender | None = None, name: str = "") -> None:
        """A customer's mail joins its ticket (reopening it): the message and its lookups, the contact when it
        changed (`name`: the sender's name as this mail gives it, "" for none or for a machine's mail), the
        ticket's bump (once per mail), then the Message-ID record under the condition that it is new. Conflict
        when it was stored meanwhile or the ticket is gone, Refused when the database will not take its record."""
        pk = merchant_key(licensee_id)
        with _refusals():
            with MailItem.batch_write() as batch:
                batch.save(message_item(licensee_id, message))
                for term in lookup_terms("", message.text):  # the customer's address is the ticket's already
                    batch.save(FindItem(pk=pk, sk=f"FIND#{term}#{ticket.ticket_id}", ticket_id=ticket.ticket_id))
            # a contact seen before is written again only for a name that is new or changed: the common reply,
            # under the name it had, writes nothing more (a new ticket's mail renames in its count's write)
            if sender is not None and (not sender.known or not sender.first_seen or renames(sender, name)):
                ContactItem(pk=pk, sk=f"CONTACT#{sender.address}").update(
                    actions=_touch(sender.address, name, message.created_at))
            mark = mail_of(message.message_key)
            item = TicketItem(pk=pk, sk=f"TICKET#{ticket.ticket_id}")
            actions = bump_actions(licensee_id, ticket, message.created_at, TicketStatus.OPEN,
                                   {message.from_address, *cc}, preview=preview(message.text or message.body))
            actions.append(TicketItem.last_mail.set(mark))
            condition = MailItem.pk.exists() & (TicketItem.last_mail.does_not_exist() | (TicketItem.last_mail != mark))
            if not dynamodb.conditionally(lambda: item.update(actions=actions, condition=condition)):
                now = get_item(pk, f"TICKET#{ticket.ticket_id}")
                if not isinstance(now, TicketItem) or now.last_mail != mark:
                    raise Conflict("The ticket is gone.")
            claim = message_id_item(licensee_id, message_hash, message)
            if not dynamodb.conditionally(lambda: claim.save(condition=MailItem.pk.does_not_exist())):
                raise Conflict("This mail was stored meanwhile.")

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
                    cc: Sequence[str] = (), release: Release | None = None, name: str | None = None) -> None:
        """A new ticket with its first message, in one transaction: the Message-ID must be new and the ticket
        number (from `next_number`) unused. Refused when the database will not take its record."""
        with _refusals(), dynamodb.transaction("This mail or ticket number was stored meanwhile.") as tx:
            claim_message_id(tx, licensee_id, message_hash, message, release)
            new_ticket_items(tx, licensee_id, ticket, message, cc)
            touch_contact(tx, licensee_id, message.from_address, message.from_name if name is None else name,
                          message.created_at)

    def append_inbound(self, licensee_id: str, ticket: Ticket, message: Message, message_hash: str,
                       cc: Sequence[str] = (), release: Release | None = None, name: str | None = None) -> None:
        """A customer's mail joins its ticket (reopening it); the Message-ID must be new. Refused when the
        database will not take its record."""
        with _refusals(), dynamodb.transaction("This mail was stored meanwhile.") as tx:
            claim_message_id(tx, licensee_id, message_hash, message, release)
            tx.save(message_item(licensee_id, message), condition=MailItem.pk.does_not_exist())
            bump(tx, licensee_id, ticket, message.created_at, TicketStatus.OPEN, {message.from_address, *cc},
                 preview=preview(message.text or message.body))
            mentioned = lookup_terms("", message.text)  # the customer's address is the ticket's already
            find_by(tx, licensee_id, ticket.ticket_id, mentioned)
            touch_contact(tx, licensee_id, message.from_address, message.from_name if name is None else name,
                          message.created_at)

    def hold(self, licensee_id: str | None, message_hash: str, message_id: str, held: Held) -> None:
        """Keep a mail back with its reason; Conflict when the same mail was held or stored before. Two plain
        writes: the Message-ID record first (under the condition that it is new, naming the held item), then
        the held item; a retry after a crash between them finds the record and writes the held item it names."""
        tenant = licensee_id or "-"
        held_key = f"{held.at.isoformat()}#{message_hash}"
        claim = MessageIdItem(pk=merchant_key(tenant), sk=f"MSGID#{message_hash}", message_id=message_id,
                              held_key=held_key)
        if not dynamodb.conditionally(lambda: claim.save(condition=MailItem.pk.does_not_exist())):
            found = get_item(merchant_key(tenant), f"MSGID#{message_hash}")
            if (isinstance(found, MessageIdItem) and found.ticket_id is None and found.held_key
                    and get_item(f"HELD#{tenant}", found.held_key) is None):
                at = datetime.fromisoformat(found.held_key.rsplit("#", 1)[0])
                _held_item(tenant, found.held_key, replace(held, at=at)).save()
            raise Conflict("This mail was stored meanwhile.")
        _held_item(tenant, held_key, held).save()

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
        found = self.first_reads(licensee_id, [message_hash], None, consistent=True)[0].get(message_hash)
        return found is not None and found[0] is not None

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


def settings_record(item: SettingsItem) -> MailSettings:
    return MailSettings(bool(item.acknowledge), item.acknowledgement_text, item.acknowledgement_texts or None)


def _held_item(tenant: str, held_key: str, held: Held) -> HeldItem:
    return HeldItem(pk=f"HELD#{tenant}", sk=held_key, reason=held.reason, at=held.at, ses_id=held.ses_id,
                    raw_key=held.raw_key, from_address=held.from_address, subject=held.subject[:500],
                    licensee_id=None if tenant == "-" else tenant,
                    recipients=[r[:MAX_NAME_CHARS] for r in held.recipients[:MAX_LISTED_ADDRESSES]])


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
    tx.save(ticket_item(licensee_id, ticket, message, cc), condition=MailItem.pk.does_not_exist())
    tx.save(NumberItem(pk=pk, sk=f"NUMBER#{ticket.number:012d}", ticket_id=ticket.ticket_id),
            condition=MailItem.pk.does_not_exist())
    tx.save(TicketRefItem(pk=f"TICKETREF#{ticket.ticket_id}", sk="REF", licensee_id=licensee_id),
            condition=MailItem.pk.does_not_exist())
    tx.save(message_item(licensee_id, message), condition=MailItem.pk.does_not_exist())
    find_by(tx, licensee_id, ticket.ticket_id, lookup_terms(ticket.contact, ticket.subject, message.text))


def ticket_item(licensee_id: str, ticket: Ticket, message: Message, cc: Sequence[str]) -> TicketItem:
    people = list(dict.fromkeys(p for p in (ticket.contact, *sorted(ticket.participants), *cc) if p))
    return TicketItem(
        pk=merchant_key(licensee_id), sk=f"TICKET#{ticket.ticket_id}", ticket_id=ticket.ticket_id,
        number=ticket.number, subject=ticket.subject[:500], contact=ticket.contact,
        participants=set(people[:MAX_PARTICIPANTS]) or None,
        status=ticket.status, support_address=ticket.support_address, created_at=ticket.created_at,
        last_activity_at=ticket.last_activity_at, message_count=1, assignee_id=ticket.assignee_id,
        assignee_name=ticket.assignee_name, preview=preview(message.text or message.body),
        activity_pk=activity_key(licensee_id, ticket.status),
        activity_sk=f"{ticket.last_activity_at.isoformat()}#{ticket.ticket_id}")


def find_by(tx: Any, licensee_id: str, ticket_id: str, terms: Sequence[str]) -> None:
    for term in terms:
        tx.save(FindItem(pk=merchant_key(licensee_id), sk=f"FIND#{term}#{ticket_id}", ticket_id=ticket_id))


def renames(sender: Sender, name: str) -> bool:
    """Whether a mail's name for its sender is one the contact does not have yet. An empty one never is: it
    never blanks a name."""
    return bool(name) and name[:200] != sender.name


def touch_contact(tx: Any, licensee_id: str, address: str, name: str, at: datetime) -> None:
    tx.update(ContactItem(pk=merchant_key(licensee_id), sk=f"CONTACT#{address}"), actions=_touch(address, name, at))


def _touch(address: str, name: str, at: datetime) -> list[Action]:
    actions: list[Action] = [ContactItem.address.set(address), ContactItem.first_seen.set(ContactItem.first_seen | at),
                             MailItem.item_type.set(ContactItem), MailItem.schema_version.set(1)]
    if name:
        actions.append(ContactItem.name.set(name[:200]))
    return actions


def bump(tx: Any, licensee_id: str, ticket: Ticket, at: datetime, status: TicketStatus | None,
          participants: set[str], count: bool = True, preview: str | None = None, routed: bool = False) -> None:
    item = TicketItem(pk=merchant_key(licensee_id), sk=f"TICKET#{ticket.ticket_id}")
    actions = bump_actions(licensee_id, ticket, at, status, participants, count, preview)
    if routed:
        actions.append(TicketItem.routable.remove())
    tx.update(item, actions=actions, condition=MailItem.pk.exists())


def bump_actions(licensee_id: str, ticket: Ticket, at: datetime, status: TicketStatus | None,
                 participants: set[str], count: bool = True, preview: str | None = None) -> list[Action]:
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
    return actions
