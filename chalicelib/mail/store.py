"""The mail table: the only code that knows how tickets, messages, contacts and held mail lie in DynamoDB.
Its layout and item classes are in items.py; the writes of mail that arrives (and what agents' mail shares
with them) in ingest_store.py; here are the reads, the merchant's addresses and settings, and the writes of
agents' work (replies, tickets they start, notes, assignment, status) and of delivery events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pynamodb.expressions.update import Action

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.core import cursors
from chalicelib.core.errors import InvalidInput
from chalicelib.mail.ingest_store import (
    InboundStore,
    bump,
    mail_of,
    message_id_item,
    new_ticket_items,
    settings_record,
    touch_contact,
)
from chalicelib.mail.items import (
    PAGE_KEY,
    AddressItem,
    ContactItem,
    FindItem,
    MailItem,
    MessageIdItem,
    MessageItem,
    NoteItem,
    NumberItem,
    SettingsItem,
    TicketItem,
    TicketRefItem,
    activity_key,
    get_item,
    merchant_key,
    message_item,
    message_record,
    preview,
    thread_key,
    ticket_record,
)
from chalicelib.mail.model import (
    Contact,
    Delivery,
    MailSettings,
    Message,
    Note,
    Ticket,
    TicketStatus,
    key_hash,
)


class MailStore(InboundStore):
    """Reads and writes of the email channel. Every method takes the merchant first."""

    def add_address(self, licensee_id: str, address: str, audit: AuditRecord) -> None:
        with dynamodb.transaction(f"{address} is already a support address.") as tx:
            tx.save(AddressItem(pk=f"ADDRESS#{address}", sk="ADDRESS", licensee_id=licensee_id, address=address,
                                created_at=audit.at), condition=MailItem.pk.does_not_exist())
            tx.save(AddressItem(pk=merchant_key(licensee_id), sk=f"ADDRESS#{address}", licensee_id=licensee_id,
                                address=address, created_at=audit.at), condition=MailItem.pk.does_not_exist())
            audit_store.add_to(tx, audit)

    def merchant_of(self, address: str) -> str | None:
        item = get_item(f"ADDRESS#{address}", "ADDRESS", consistent=False)
        return item.licensee_id if isinstance(item, AddressItem) else None

    def addresses(self, licensee_id: str) -> list[str]:
        return [i.address for i in MailItem.query(merchant_key(licensee_id), MailItem.sk.startswith("ADDRESS#"))
                if isinstance(i, AddressItem)]

    def settings(self, licensee_id: str) -> MailSettings:
        item = get_item(merchant_key(licensee_id), "SETTINGS", consistent=False)
        return settings_record(item) if isinstance(item, SettingsItem) else MailSettings()

    def save_settings(self, licensee_id: str, settings: MailSettings, audit: AuditRecord) -> None:
        with dynamodb.transaction("The settings changed meanwhile; try again.") as tx:
            tx.save(SettingsItem(pk=merchant_key(licensee_id), sk="SETTINGS", acknowledge=settings.acknowledge,
                                 acknowledgement_text=settings.acknowledgement_text,
                                 acknowledgement_texts=settings.acknowledgement_texts or None))
            audit_store.add_to(tx, audit)

    def ticket(self, licensee_id: str, ticket_id: str) -> Ticket | None:
        item = get_item(merchant_key(licensee_id), f"TICKET#{ticket_id}")
        return ticket_record(item) if isinstance(item, TicketItem) else None

    def tickets(self, licensee_ids_and_tickets: Iterable[tuple[str, str]]) -> dict[str, Ticket]:
        keys = list(dict.fromkeys((merchant_key(lic), f"TICKET#{tid}") for lic, tid in licensee_ids_and_tickets))
        found: dict[str, Ticket] = {}
        for item in MailItem.batch_get(keys) if keys else []:
            if isinstance(item, TicketItem):
                found[item.ticket_id] = ticket_record(item)
        return found

    def ticket_by_number(self, licensee_id: str, number: int) -> str | None:
        item = get_item(merchant_key(licensee_id), f"NUMBER#{number:012d}", consistent=False)
        return item.ticket_id if isinstance(item, NumberItem) else None

    def find(self, licensee_id: str, term: str, limit: int = 50) -> list[str]:
        """The tickets a term (email:…, order:…, phone:…) finds, by id: one Query of the merchant's partition,
        and for an address the tickets its contact lists (those its mail opened first)."""
        found = MailItem.query(merchant_key(licensee_id), MailItem.sk.startswith(f"FIND#{term}#"), limit=limit)
        ids = [i.ticket_id for i in found if isinstance(i, FindItem)]
        if term.startswith("email:"):
            contact = get_item(merchant_key(licensee_id), f"CONTACT#{term.removeprefix('email:')}", consistent=False)
            if isinstance(contact, ContactItem):
                ids = sorted({*ids, *(contact.tickets or ())})
        return list(dict.fromkeys(ids))[:limit]

    def contacts(self, licensee_id: str, limit: int = 500) -> list[Contact]:
        return [Contact(i.address, i.name, bool(i.undeliverable), i.undeliverable_reason, i.undeliverable_at)
                for i in MailItem.query(merchant_key(licensee_id), MailItem.sk.startswith("CONTACT#"), limit=limit)
                if isinstance(i, ContactItem)]

    def ticket_owner(self, ticket_id: str) -> str | None:
        item = get_item(f"TICKETREF#{ticket_id}", "REF", consistent=False)
        return item.licensee_id if isinstance(item, TicketRefItem) else None

    def list_tickets(self, licensee_id: str, status: str, limit: int,
                     cursor: str | None) -> tuple[list[Ticket], str | None]:
        """A page of tickets in a status, newest activity first, and the cursor of the next page."""
        activity = activity_key(licensee_id, status)
        scope = f"mail-tickets|{licensee_id}|{status}"  # signed and bound to this merchant's list
        start = cursors.decode(cursor, scope)
        if start is not None and (set(start) != set(PAGE_KEY) or start.get("activity_pk") != {"S": activity}):
            raise InvalidInput("The 'next' cursor is not one this list gave out.", code="INVALID_CURSOR")
        page = MailItem.activity_index.query(activity, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = [ticket_record(i) for i in page if isinstance(i, TicketItem)]
        return items, cursors.encode(page.last_evaluated_key, scope)

    def messages(self, licensee_id: str, ticket_id: str, limit: int = 500) -> list[Message]:
        return self.thread(licensee_id, ticket_id, limit)[0]

    def thread(self, licensee_id: str, ticket_id: str, limit: int = 500) -> tuple[list[Message], list[Note]]:
        """A ticket's messages and notes, in one Query of its partition."""
        messages: dict[str, Message] = {}
        notes = []
        for i in MailItem.query(thread_key(licensee_id, ticket_id), limit=limit):
            if isinstance(i, MessageItem):
                # a mail written again by a retry (after a crash, under a later key) is one message: the later
                messages.pop(mail_of(i.message_key), None)
                messages[mail_of(i.message_key)] = message_record(i)
            elif isinstance(i, NoteItem):
                notes.append(Note(i.note_id, i.agent_id, i.agent_name, i.text, i.created_at))
        return list(messages.values()), notes

    def message(self, licensee_id: str, ticket_id: str, message_key: str) -> Message | None:
        item = get_item(thread_key(licensee_id, ticket_id), f"MSG#{message_key}")
        return message_record(item) if isinstance(item, MessageItem) else None

    def contact(self, licensee_id: str, address: str) -> Contact | None:
        item = get_item(merchant_key(licensee_id), f"CONTACT#{address}", consistent=False)
        if not isinstance(item, ContactItem):
            return None
        return Contact(item.address, item.name, bool(item.undeliverable), item.undeliverable_reason,
                       item.undeliverable_at)

    def open_outbound(self, licensee_id: str, ticket: Ticket, message: Message, client_hash: str | None,
                      audit: AuditRecord) -> None:
        """A ticket an agent starts with a mail of theirs (delivery `sending`), numbered like any other. With a
        client id, the same request sent again finds the ticket it made (Conflict here, then `by_client`)."""
        with dynamodb.transaction("This ticket or ticket number was stored meanwhile.") as tx:
            if client_hash is not None:
                tx.save(message_id_item(licensee_id, client_hash, message), condition=MailItem.pk.does_not_exist())
            new_ticket_items(tx, licensee_id, ticket, message, ())
            touch_contact(tx, licensee_id, ticket.contact, "", message.created_at)
            audit_store.add_to(tx, audit)

    def by_client(self, licensee_id: str, client_hash: str) -> str | None:
        """The ticket an agent's request with this client id opened, if any."""
        item = get_item(merchant_key(licensee_id), f"MSGID#{client_hash}")
        return item.ticket_id if isinstance(item, MessageIdItem) else None

    def assign(self, licensee_id: str, ticket: Ticket, assignee_id: str | None, assignee_name: str | None,
               audit: AuditRecord) -> None:
        item = TicketItem(pk=merchant_key(licensee_id), sk=f"TICKET#{ticket.ticket_id}")
        actions: list[Action] = [TicketItem.assignee_id.remove(), TicketItem.assignee_name.remove()]
        if assignee_id:
            actions = [TicketItem.assignee_id.set(assignee_id), TicketItem.assignee_name.set(assignee_name or "")]
        with dynamodb.transaction("The ticket changed meanwhile; try again.") as tx:
            tx.update(item, actions=actions, condition=MailItem.pk.exists())
            audit_store.add_to(tx, audit)

    def add_note(self, licensee_id: str, ticket_id: str, note: Note) -> None:
        """A note joins the ticket's thread partition (read with its messages in the same Query)."""
        with dynamodb.transaction("No such ticket.") as tx:
            tx.condition_check(TicketItem, merchant_key(licensee_id), f"TICKET#{ticket_id}",
                               condition=MailItem.pk.exists())
            tx.save(NoteItem(pk=thread_key(licensee_id, ticket_id),
                             sk=f"NOTE#{note.created_at.isoformat()}#{note.note_id}", note_id=note.note_id,
                             agent_id=note.agent_id, agent_name=note.agent_name, text=note.text,
                             created_at=note.created_at), condition=MailItem.pk.does_not_exist())

    def begin_outbound(self, licensee_id: str, ticket: Ticket, message: Message, audit: AuditRecord | None) -> None:
        """Record a mail we are about to send (delivery `sending`), so that a crash while sending leaves a trace;
        the first for a ticket that mail opened also writes the reference its reply token is read by."""
        with dynamodb.transaction("This reply was stored meanwhile.") as tx:
            tx.save(message_item(licensee_id, message), condition=MailItem.pk.does_not_exist())
            bump(tx, licensee_id, ticket, message.created_at, None, set(), preview=preview(message.text),
                 routed=not ticket.routable)
            if not ticket.routable:  # its reply token is about to leave: replies must find the merchant
                tx.save(TicketRefItem(pk=f"TICKETREF#{ticket.ticket_id}", sk="REF", licensee_id=licensee_id))
            if audit is not None:
                audit_store.add_to(tx, audit)

    def finish_outbound(self, licensee_id: str, ticket_id: str, message_key: str, delivery: Delivery,
                        rfc_message_id: str | None, provider_id: str | None, message_ids: Sequence[str],
                        detail: str | None = None) -> None:
        """What the mailer said: sent (with the ids that replies and bounces will carry) or failed."""
        item = MessageItem(pk=thread_key(licensee_id, ticket_id), sk=f"MSG#{message_key}")
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
                tx.save(MessageIdItem(pk=merchant_key(licensee_id), sk=f"MSGID#{key_hash(value)}", message_id=value,
                                      ticket_id=ticket_id, message_key=message_key))

    def set_status(self, licensee_id: str, ticket: Ticket, status: TicketStatus, audit: AuditRecord) -> None:
        with dynamodb.transaction("The ticket changed meanwhile; try again.") as tx:
            bump(tx, licensee_id, ticket, ticket.last_activity_at, status, set(), count=False)
            audit_store.add_to(tx, audit)

    def take_upload(self, licensee_id: str, ticket_id: str, quota: int) -> bool:
        """Count one more file on one of the merchant's tickets, in one conditional write: False when the ticket
        holds `quota` already, or is not the merchant's (the caller tells which apart, on that path only)."""
        item = TicketItem(pk=merchant_key(licensee_id), sk=f"TICKET#{ticket_id}")
        return dynamodb.conditionally(lambda: item.update(
            actions=[TicketItem.uploads.add(1)],
            condition=MailItem.pk.exists() & (TicketItem.uploads.does_not_exist() | (TicketItem.uploads < quota))))

    def mark_undeliverable(self, licensee_id: str, address: str, reason: str, at: datetime) -> None:
        ContactItem(pk=merchant_key(licensee_id), sk=f"CONTACT#{address}").update(actions=[
            ContactItem.address.set(address), ContactItem.undeliverable.set(True),
            ContactItem.undeliverable_reason.set(reason), ContactItem.undeliverable_at.set(at),
            MailItem.item_type.set(ContactItem), MailItem.schema_version.set(1)])

    def clear_undeliverable(self, licensee_id: str, address: str, audit: AuditRecord) -> None:
        """Mail to the address may be tried again; Conflict when it is not marked undeliverable (any more)."""
        item = ContactItem(pk=merchant_key(licensee_id), sk=f"CONTACT#{address}")
        with dynamodb.transaction("This address is not marked undeliverable.") as tx:
            tx.update(item, actions=[ContactItem.undeliverable.set(False), ContactItem.undeliverable_reason.remove(),
                                     ContactItem.undeliverable_at.remove()],
                      condition=ContactItem.undeliverable == True)  # noqa: E712 - a DynamoDB condition
            audit_store.add_to(tx, audit)

    def mark_delivery(self, licensee_id: str, ticket_id: str, message_key: str, delivery: Delivery,
                      detail: str) -> None:
        item = MessageItem(pk=thread_key(licensee_id, ticket_id), sk=f"MSG#{message_key}")
        dynamodb.conditionally(lambda: item.update(
            actions=[MessageItem.delivery.set(delivery.value), MessageItem.delivery_detail.set(detail)],
            condition=MailItem.pk.exists()))
