"""The mail table: the only code that knows how tickets, messages, contacts and held mail lie in DynamoDB.

Layout (pk / sk):
  MERCHANT#<lic> / SETTINGS                 acknowledgement settings
  MERCHANT#<lic> / ADDRESS#<address>        a support address of the merchant
  ADDRESS#<address> / ADDRESS               which merchant an address belongs to (routing, one GetItem)
  MERCHANT#<lic> / TICKETSEQ                the last ticket number given (numbers come from a conditional write)
  MERCHANT#<lic> / TICKET#<id>              a ticket; the sparse `activity` index lists them newest first
  MERCHANT#<lic> / NUMBER#<n>               ticket number -> id (subject tags)
  TICKETREF#<id> / REF                      which merchant a ticket belongs to (reply tokens)
  MERCHANT#<lic> / CONTACT#<address>        a customer, with whether mail to them bounces
  MERCHANT#<lic> / MSGID#<hash>             every Message-ID seen or sent: idempotency and threading
  TICKET#<lic>#<id> / MSG#<message id>      the messages of a ticket, oldest first
  HELD#<lic or -> / <at>#<hash>             mail kept back with its reason
  ACKRATE#<lic>#<address> / <hour>          acknowledgements sent to a sender this hour (expires)

A mail is stored in one transaction whose first condition is that its Message-ID is new: a retried event,
or two deliveries of the same mail at once, write it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.core import cursors
from chalicelib.core.errors import InvalidInput
from chalicelib.mail.model import (
    Contact,
    Delivery,
    Held,
    MailSettings,
    Message,
    Release,
    Ticket,
    TicketStatus,
    key_hash,
)
from chalicelib.mail.parsing import Attachment

# What a page cursor of the ticket lists names: the table's key and the activity index's.
PAGE_KEY = ("pk", "sk", "activity_pk", "activity_sk")


class ActivityIndex(GlobalSecondaryIndex["MailItem"]):
    """Tickets of a merchant in one status, by last activity: `<lic>#<status>` / `<iso instant>#<id>`."""

    class Meta:
        index_name = "activity"
        projection = AllProjection()

    activity_pk = UnicodeAttribute(hash_key=True)
    activity_sk = UnicodeAttribute(range_key=True)


class MailItem(Model):
    class Meta:
        table_name = "mail"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    schema_version = NumberAttribute(default=1)
    activity_pk = UnicodeAttribute(null=True)
    activity_sk = UnicodeAttribute(null=True)
    activity_index = ActivityIndex()
    expires = TTLAttribute(null=True)


class SettingsItem(MailItem, discriminator="settings"):
    acknowledge = BooleanAttribute(default=True)
    acknowledgement_text = UnicodeAttribute(null=True)


class AddressItem(MailItem, discriminator="address"):
    licensee_id = UnicodeAttribute()
    address = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class SequenceItem(MailItem, discriminator="sequence"):
    last = NumberAttribute()


class TicketItem(MailItem, discriminator="ticket"):
    ticket_id = UnicodeAttribute()
    number = NumberAttribute()
    subject = UnicodeAttribute()
    contact = UnicodeAttribute()
    participants = UnicodeSetAttribute(null=True)
    status = UnicodeAttribute()
    support_address = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_activity_at = UTCDateTimeAttribute()
    message_count = NumberAttribute(default=0)


class NumberItem(MailItem, discriminator="number"):
    ticket_id = UnicodeAttribute()


class TicketRefItem(MailItem, discriminator="ticket_ref"):
    licensee_id = UnicodeAttribute()


class ContactItem(MailItem, discriminator="contact"):
    address = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    first_seen = UTCDateTimeAttribute(null=True)
    undeliverable = BooleanAttribute(default=False)
    undeliverable_reason = UnicodeAttribute(null=True)
    undeliverable_at = UTCDateTimeAttribute(null=True)


class MessageIdItem(MailItem, discriminator="message_id"):
    message_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute(null=True)  # None: the mail was held
    message_key = UnicodeAttribute(null=True)


class AttachmentMap(MapAttribute[str, Any]):
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    blob_key = UnicodeAttribute(null=True)  # None when it was too large to keep
    inline = BooleanAttribute(default=False)
    content_id = UnicodeAttribute(null=True)


class MessageItem(MailItem, discriminator="message"):
    message_key = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    direction = UnicodeAttribute()  # inbound | outbound
    from_address = UnicodeAttribute()
    from_name = UnicodeAttribute(default="")
    to = ListAttribute(of=UnicodeAttribute, default=list)
    cc = ListAttribute(of=UnicodeAttribute, default=list)
    subject = UnicodeAttribute(default="")
    text = UnicodeAttribute(default="")
    body = UnicodeAttribute(default="")
    body_truncated = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    rfc_message_id = UnicodeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    attachments = ListAttribute(of=AttachmentMap, default=list)
    problems = ListAttribute(of=UnicodeAttribute, default=list)
    kind = UnicodeAttribute(default="person")  # person | automatic, or acknowledgement/reply for outbound
    author = UnicodeAttribute(null=True)  # who sent an outbound message
    delivery = UnicodeAttribute(null=True)
    delivery_detail = UnicodeAttribute(null=True)
    raw_key = UnicodeAttribute(null=True)
    verdicts = MapAttribute[str, str](null=True)


class HeldItem(MailItem, discriminator="held"):
    reason = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    ses_id = UnicodeAttribute()
    raw_key = UnicodeAttribute()
    from_address = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(default="")
    recipients = ListAttribute(of=UnicodeAttribute, default=list)
    licensee_id = UnicodeAttribute(null=True)
    released_at = UTCDateTimeAttribute(null=True)  # staff released it to the merchant (the mail is a ticket's)
    released_by = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)


class RateItem(MailItem, discriminator="rate"):
    sent = NumberAttribute(default=0)


def _merchant(licensee_id: str) -> str:
    return f"MERCHANT#{licensee_id}"


def _thread(licensee_id: str, ticket_id: str) -> str:
    return f"TICKET#{licensee_id}#{ticket_id}"


def _activity(licensee_id: str, status: str) -> str:
    return f"{licensee_id}#{status}"


class MailStore:
    """Reads and writes of the email channel. Every method takes the merchant first."""

    # -- addresses and settings ----------------------------------------------------------------------------------
    def add_address(self, licensee_id: str, address: str, audit: AuditRecord) -> None:
        with dynamodb.transaction(f"{address} is already a support address.") as tx:
            tx.save(AddressItem(pk=f"ADDRESS#{address}", sk="ADDRESS", licensee_id=licensee_id, address=address,
                                created_at=audit.at), condition=MailItem.pk.does_not_exist())
            tx.save(AddressItem(pk=_merchant(licensee_id), sk=f"ADDRESS#{address}", licensee_id=licensee_id,
                                address=address, created_at=audit.at), condition=MailItem.pk.does_not_exist())
            audit_store.add_to(tx, audit)

    def merchant_of(self, address: str) -> str | None:
        item = _get(f"ADDRESS#{address}", "ADDRESS", consistent=False)
        return item.licensee_id if isinstance(item, AddressItem) else None

    def addresses(self, licensee_id: str) -> list[str]:
        return [i.address for i in MailItem.query(_merchant(licensee_id), MailItem.sk.startswith("ADDRESS#"))
                if isinstance(i, AddressItem)]

    def settings(self, licensee_id: str) -> MailSettings:
        item = _get(_merchant(licensee_id), "SETTINGS", consistent=False)
        if not isinstance(item, SettingsItem):
            return MailSettings()
        return MailSettings(bool(item.acknowledge), item.acknowledgement_text)

    def save_settings(self, licensee_id: str, settings: MailSettings, audit: AuditRecord) -> None:
        with dynamodb.transaction("The settings changed meanwhile; try again.") as tx:
            tx.save(SettingsItem(pk=_merchant(licensee_id), sk="SETTINGS", acknowledge=settings.acknowledge,
                                 acknowledgement_text=settings.acknowledgement_text))
            audit_store.add_to(tx, audit)

    # -- reading tickets -----------------------------------------------------------------------------------------
    def ticket(self, licensee_id: str, ticket_id: str) -> Ticket | None:
        item = _get(_merchant(licensee_id), f"TICKET#{ticket_id}")
        return _ticket(item) if isinstance(item, TicketItem) else None

    def tickets(self, licensee_ids_and_tickets: Iterable[tuple[str, str]]) -> dict[str, Ticket]:
        keys = list(dict.fromkeys((_merchant(lic), f"TICKET#{tid}") for lic, tid in licensee_ids_and_tickets))
        found: dict[str, Ticket] = {}
        for item in MailItem.batch_get(keys) if keys else []:
            if isinstance(item, TicketItem):
                found[item.ticket_id] = _ticket(item)
        return found

    def ticket_by_number(self, licensee_id: str, number: int) -> str | None:
        item = _get(_merchant(licensee_id), f"NUMBER#{number:012d}", consistent=False)
        return item.ticket_id if isinstance(item, NumberItem) else None

    def ticket_owner(self, ticket_id: str) -> str | None:
        item = _get(f"TICKETREF#{ticket_id}", "REF", consistent=False)
        return item.licensee_id if isinstance(item, TicketRefItem) else None

    def seen(self, licensee_id: str, hashes: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """Of these Message-ID hashes, those stored for the merchant: hash -> (ticket id, message key)."""
        if not hashes:
            return {}
        keys = [(_merchant(licensee_id), f"MSGID#{h}") for h in dict.fromkeys(hashes)]
        return {i.sk.removeprefix("MSGID#"): (i.ticket_id, i.message_key)
                for i in MailItem.batch_get(keys) if isinstance(i, MessageIdItem)}

    def is_stored(self, licensee_id: str, message_hash: str) -> bool:
        """Whether a Message-ID is already stored (strongly consistent: asked after a failed write)."""
        return isinstance(_get(_merchant(licensee_id), f"MSGID#{message_hash}"), MessageIdItem)

    def list_tickets(self, licensee_id: str, status: str, limit: int,
                     cursor: str | None) -> tuple[list[Ticket], str | None]:
        """A page of tickets in a status, newest activity first, and the cursor of the next page."""
        activity = _activity(licensee_id, status)
        scope = f"mail-tickets|{licensee_id}|{status}"  # signed and bound to this merchant's list
        start = cursors.decode(cursor, scope)
        if start is not None and (set(start) != set(PAGE_KEY) or start.get("activity_pk") != {"S": activity}):
            raise InvalidInput("The 'next' cursor is not one this list gave out.", code="INVALID_CURSOR")
        page = MailItem.activity_index.query(activity, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = [_ticket(i) for i in page if isinstance(i, TicketItem)]
        return items, cursors.encode(page.last_evaluated_key, scope)

    def messages(self, licensee_id: str, ticket_id: str, limit: int = 500) -> list[Message]:
        return [_message(i) for i in MailItem.query(_thread(licensee_id, ticket_id), limit=limit)
                if isinstance(i, MessageItem)]

    def message(self, licensee_id: str, ticket_id: str, message_key: str) -> Message | None:
        item = _get(_thread(licensee_id, ticket_id), f"MSG#{message_key}")
        return _message(item) if isinstance(item, MessageItem) else None

    def contact(self, licensee_id: str, address: str) -> Contact | None:
        item = _get(_merchant(licensee_id), f"CONTACT#{address}", consistent=False)
        if not isinstance(item, ContactItem):
            return None
        return Contact(item.address, item.name, bool(item.undeliverable), item.undeliverable_reason,
                       item.undeliverable_at)

    def last_number(self, licensee_id: str) -> int:
        item = _get(_merchant(licensee_id), "TICKETSEQ")
        return int(item.last) if isinstance(item, SequenceItem) else 0

    # -- writing mail --------------------------------------------------------------------------------------------
    def open_ticket(self, licensee_id: str, ticket: Ticket, message: Message, message_hash: str,
                    previous_number: int, cc: Sequence[str] = (), release: Release | None = None) -> None:
        """A new ticket with its first message, in one transaction: the Message-ID must be new and the ticket
        number the next one (a concurrent new ticket makes this fail with Conflict, and the caller retries)."""
        pk = _merchant(licensee_id)
        with dynamodb.transaction("This mail or ticket number was stored meanwhile.") as tx:
            _claim_message_id(tx, licensee_id, message_hash, message, release)
            sequence = SequenceItem(pk=pk, sk="TICKETSEQ")
            if previous_number == 0:
                tx.save(SequenceItem(pk=pk, sk="TICKETSEQ", last=ticket.number),
                        condition=MailItem.pk.does_not_exist())
            else:
                tx.update(sequence, actions=[SequenceItem.last.set(ticket.number)],
                          condition=SequenceItem.last == previous_number)
            tx.save(TicketItem(
                pk=pk, sk=f"TICKET#{ticket.ticket_id}", ticket_id=ticket.ticket_id, number=ticket.number,
                subject=ticket.subject, contact=ticket.contact,
                participants=set(ticket.participants | {ticket.contact, *cc}) or None,
                status=ticket.status, support_address=ticket.support_address, created_at=ticket.created_at,
                last_activity_at=ticket.last_activity_at, message_count=1,
                activity_pk=_activity(licensee_id, ticket.status),
                activity_sk=f"{ticket.last_activity_at.isoformat()}#{ticket.ticket_id}",
            ), condition=MailItem.pk.does_not_exist())
            tx.save(NumberItem(pk=pk, sk=f"NUMBER#{ticket.number:012d}", ticket_id=ticket.ticket_id),
                    condition=MailItem.pk.does_not_exist())
            tx.save(TicketRefItem(pk=f"TICKETREF#{ticket.ticket_id}", sk="REF", licensee_id=licensee_id),
                    condition=MailItem.pk.does_not_exist())
            tx.save(_message_item(licensee_id, message), condition=MailItem.pk.does_not_exist())
            _touch_contact(tx, licensee_id, message.from_address, message.from_name, message.created_at)

    def append_inbound(self, licensee_id: str, ticket: Ticket, message: Message, message_hash: str,
                       cc: Sequence[str] = (), release: Release | None = None) -> None:
        """A customer's mail joins its ticket (reopening it); the Message-ID must be new."""
        with dynamodb.transaction("This mail was stored meanwhile.") as tx:
            _claim_message_id(tx, licensee_id, message_hash, message, release)
            tx.save(_message_item(licensee_id, message), condition=MailItem.pk.does_not_exist())
            self._bump(tx, licensee_id, ticket, message.created_at, TicketStatus.OPEN, {message.from_address, *cc})
            _touch_contact(tx, licensee_id, message.from_address, message.from_name, message.created_at)

    def begin_outbound(self, licensee_id: str, ticket: Ticket, message: Message, audit: AuditRecord | None) -> None:
        """Record a mail we are about to send (delivery `sending`), so that a crash while sending leaves a trace."""
        with dynamodb.transaction("This reply was stored meanwhile.") as tx:
            tx.save(_message_item(licensee_id, message), condition=MailItem.pk.does_not_exist())
            self._bump(tx, licensee_id, ticket, message.created_at, None, set())
            if audit is not None:
                audit_store.add_to(tx, audit)

    def finish_outbound(self, licensee_id: str, ticket_id: str, message_key: str, delivery: Delivery,
                        rfc_message_id: str | None, provider_id: str | None, message_ids: Sequence[str],
                        detail: str | None = None) -> None:
        """What the mailer said: sent (with the ids that replies and bounces will carry) or failed."""
        item = MessageItem(pk=_thread(licensee_id, ticket_id), sk=f"MSG#{message_key}")
        actions: list[Action] = [MessageItem.delivery.set(delivery.value)]
        if rfc_message_id:
            actions.append(MessageItem.rfc_message_id.set(rfc_message_id))
        if provider_id:
            actions.append(MessageItem.provider_id.set(provider_id))
        if detail:
            actions.append(MessageItem.delivery_detail.set(detail))
        with dynamodb.transaction("The reply changed meanwhile.") as tx:
            tx.update(item, actions=actions, condition=MailItem.pk.exists())
            for value in dict.fromkeys(v for v in message_ids if v):
                tx.save(MessageIdItem(pk=_merchant(licensee_id), sk=f"MSGID#{key_hash(value)}", message_id=value,
                                      ticket_id=ticket_id, message_key=message_key))

    def set_status(self, licensee_id: str, ticket: Ticket, status: TicketStatus, audit: AuditRecord) -> None:
        with dynamodb.transaction("The ticket changed meanwhile; try again.") as tx:
            self._bump(tx, licensee_id, ticket, ticket.last_activity_at, status, set(), count=False)
            audit_store.add_to(tx, audit)

    def _bump(self, tx: Any, licensee_id: str, ticket: Ticket, at: datetime, status: TicketStatus | None,
              participants: set[str], count: bool = True) -> None:
        item = TicketItem(pk=_merchant(licensee_id), sk=f"TICKET#{ticket.ticket_id}")
        new_status = status.value if status else ticket.status
        latest = max(at, ticket.last_activity_at)
        actions: list[Action] = [TicketItem.last_activity_at.set(latest), TicketItem.status.set(new_status),
                   TicketItem.activity_pk.set(_activity(licensee_id, new_status)),
                   TicketItem.activity_sk.set(f"{latest.isoformat()}#{ticket.ticket_id}")]
        if count:
            actions.append(TicketItem.message_count.add(1))
        people = {p for p in participants if p}
        if people:
            actions.append(TicketItem.participants.add(people))
        tx.update(item, actions=actions, condition=MailItem.pk.exists())

    def hold(self, licensee_id: str | None, message_hash: str, message_id: str, held: Held) -> None:
        """Keep a mail back with its reason; Conflict when the same mail was held or stored before."""
        tenant = licensee_id or "-"
        with dynamodb.transaction("This mail was stored meanwhile.") as tx:
            tx.save(MessageIdItem(pk=_merchant(tenant), sk=f"MSGID#{message_hash}", message_id=message_id),
                    condition=MailItem.pk.does_not_exist())
            tx.save(HeldItem(pk=f"HELD#{tenant}", sk=f"{held.at.isoformat()}#{message_hash}", reason=held.reason,
                             at=held.at, ses_id=held.ses_id, raw_key=held.raw_key, from_address=held.from_address,
                             subject=held.subject[:500], recipients=list(held.recipients), licensee_id=licensee_id))

    def held(self, licensee_id: str | None, limit: int = 100) -> list[Held]:
        return [_held(i) for i in MailItem.query(f"HELD#{licensee_id or '-'}", scan_index_forward=False, limit=limit)
                if isinstance(i, HeldItem)]

    def held_mail(self, licensee_id: str, ses_id: str) -> Held | None:
        """One held mail of a merchant by SES's id (staff release it; held mail is few per merchant)."""
        for item in MailItem.query(f"HELD#{licensee_id}", filter_condition=HeldItem.ses_id == ses_id,
                                   consistent_read=True):
            if isinstance(item, HeldItem):
                return _held(item)
        return None

    def is_delivered(self, licensee_id: str, message_hash: str) -> bool:
        """Whether a Message-ID is stored as a message of a ticket (not only as held mail)."""
        item = _get(_merchant(licensee_id), f"MSGID#{message_hash}")
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

    # -- delivery events -----------------------------------------------------------------------------------------
    def mark_undeliverable(self, licensee_id: str, address: str, reason: str, at: datetime) -> None:
        ContactItem(pk=_merchant(licensee_id), sk=f"CONTACT#{address}").update(actions=[
            ContactItem.address.set(address), ContactItem.undeliverable.set(True),
            ContactItem.undeliverable_reason.set(reason), ContactItem.undeliverable_at.set(at),
            MailItem.item_type.set(ContactItem), MailItem.schema_version.set(1)])

    def clear_undeliverable(self, licensee_id: str, address: str, audit: AuditRecord) -> None:
        """Mail to the address may be tried again; Conflict when it is not marked undeliverable (any more)."""
        item = ContactItem(pk=_merchant(licensee_id), sk=f"CONTACT#{address}")
        with dynamodb.transaction("This address is not marked undeliverable.") as tx:
            tx.update(item, actions=[ContactItem.undeliverable.set(False), ContactItem.undeliverable_reason.remove(),
                                     ContactItem.undeliverable_at.remove()],
                      condition=ContactItem.undeliverable == True)  # noqa: E712 - a DynamoDB condition
            audit_store.add_to(tx, audit)

    def mark_delivery(self, licensee_id: str, ticket_id: str, message_key: str, delivery: Delivery,
                      detail: str) -> None:
        item = MessageItem(pk=_thread(licensee_id, ticket_id), sk=f"MSG#{message_key}")
        dynamodb.conditionally(lambda: item.update(
            actions=[MessageItem.delivery.set(delivery.value), MessageItem.delivery_detail.set(detail)],
            condition=MailItem.pk.exists()))


def _message_id_item(licensee_id: str, message_hash: str, message: Message) -> MessageIdItem:
    return MessageIdItem(pk=_merchant(licensee_id), sk=f"MSGID#{message_hash}",
                         message_id=message.rfc_message_id or message.message_key, ticket_id=message.ticket_id,
                         message_key=message.message_key)


def _claim_message_id(tx: Any, licensee_id: str, message_hash: str, message: Message,
                      release: Release | None) -> None:
    """The first condition of storing a mail: its Message-ID is new. A release may take over the id the held
    mail left (no ticket yet), and marks the held mail released, once: a second release fails here."""
    if release is None:
        tx.save(_message_id_item(licensee_id, message_hash, message), condition=MailItem.pk.does_not_exist())
        return
    tx.save(_message_id_item(licensee_id, message_hash, message), condition=MessageIdItem.ticket_id.does_not_exist())
    tx.update(HeldItem(pk=f"HELD#{licensee_id}", sk=release.held_key),
              actions=[HeldItem.released_at.set(release.audit.at), HeldItem.released_by.set(release.audit.actor),
                       HeldItem.ticket_id.set(message.ticket_id)],
              condition=MailItem.pk.exists() & HeldItem.released_at.does_not_exist())
    audit_store.add_to(tx, release.audit)


def _held(i: HeldItem) -> Held:
    return Held(i.licensee_id, i.reason, i.at, i.ses_id, i.raw_key, i.from_address, i.subject,
                tuple(str(r) for r in i.recipients or ()), i.sk, i.released_at, i.released_by, i.ticket_id)


def _message_item(licensee_id: str, m: Message) -> MessageItem:
    return MessageItem(
        pk=_thread(licensee_id, m.ticket_id), sk=f"MSG#{m.message_key}", message_key=m.message_key,
        ticket_id=m.ticket_id, direction=m.direction, from_address=m.from_address, from_name=m.from_name,
        to=list(m.to), cc=list(m.cc), subject=m.subject, text=m.text, body=m.body, body_truncated=m.body_truncated,
        created_at=m.created_at, rfc_message_id=m.rfc_message_id, provider_id=m.provider_id,
        attachments=[AttachmentMap(filename=a.filename, content_type=a.content_type, size=a.size,
                                   blob_key=a.blob_key, inline=a.inline, content_id=a.content_id)
                     for a in m.attachments],
        problems=list(m.problems), kind=m.kind, author=m.author, delivery=m.delivery,
        delivery_detail=m.delivery_detail, raw_key=m.raw_key, verdicts=m.verdicts)


def _touch_contact(tx: Any, licensee_id: str, address: str, name: str, at: datetime) -> None:
    item = ContactItem(pk=_merchant(licensee_id), sk=f"CONTACT#{address}")
    actions: list[Action] = [ContactItem.address.set(address), ContactItem.first_seen.set(ContactItem.first_seen | at),
               MailItem.item_type.set(ContactItem), MailItem.schema_version.set(1)]
    if name:
        actions.append(ContactItem.name.set(name[:200]))
    tx.update(item, actions=actions)


def _ticket(item: TicketItem) -> Ticket:
    return Ticket(ticket_id=item.ticket_id, number=int(item.number), subject=item.subject, contact=item.contact,
                  status=item.status, support_address=item.support_address, created_at=item.created_at,
                  last_activity_at=item.last_activity_at, message_count=int(item.message_count or 0),
                  participants=frozenset(item.participants or ()))


def _message(i: MessageItem) -> Message:
    return Message(
        message_key=i.message_key, ticket_id=i.ticket_id, direction=i.direction, from_address=i.from_address,
        created_at=i.created_at, from_name=i.from_name, to=tuple(str(a) for a in i.to or ()),
        cc=tuple(str(a) for a in i.cc or ()),
        subject=i.subject, text=i.text, body=i.body, body_truncated=bool(i.body_truncated),
        rfc_message_id=i.rfc_message_id, provider_id=i.provider_id,
        attachments=tuple(Attachment(filename=a.filename, content_type=a.content_type, size=int(a.size),
                                     blob_key=a.blob_key, inline=bool(a.inline), content_id=a.content_id)
                          for a in i.attachments or ()),
        problems=tuple(str(p) for p in i.problems or ()), kind=i.kind, author=i.author, delivery=i.delivery,
        delivery_detail=i.delivery_detail, raw_key=i.raw_key,
        verdicts=dict(i.verdicts.as_dict()) if i.verdicts is not None else None)


def _get(pk: str, sk: str, consistent: bool = True) -> MailItem | None:
    return dynamodb.get(MailItem, pk, sk, consistent=consistent)

