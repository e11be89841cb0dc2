"""The mail table's items: the only code that knows how tickets, messages, contacts and held mail lie in DynamoDB.

Layout (pk / sk):
  MERCHANT#<lic> / SETTINGS                 acknowledgement settings
  MERCHANT#<lic> / ADDRESS#<address>        a support address of the merchant
  ADDRESS#<address> / ADDRESS               which merchant an address belongs to (routing, one GetItem)
  MERCHANT#<lic> / TICKETSEQ                the last ticket number given (numbers come from a conditional write)
  MERCHANT#<lic> / TICKET#<id>              a ticket; the sparse `activity` index lists them newest first
  MERCHANT#<lic> / NUMBER#<n>               ticket number -> id (subject tags)
  TICKETREF#<id> / REF                      which merchant a ticket belongs to (reply tokens; for a ticket mail
                                            opened, written with the first mail we send for it)
  MERCHANT#<lic> / CONTACT#<address>        a customer, with whether mail to them bounces, the count of
                                            tickets they opened this hour, and the first CONTACT_TICKETS
                                            tickets their mail opened (found as email:<address> with FIND)
  MERCHANT#<lic> / MSGID#<hash>             every Message-ID seen or sent: idempotency and threading (but a
                                            mail that opened a ticket is found as that ticket: its id is the
                                            mail's, ingest_store.mail_ticket_id)
  TICKET#<lic>#<id> / MSG#<message id>      the messages of a ticket, oldest first
  TICKET#<lic>#<id> / NOTE#<at>#<id>        agents' internal notes on a ticket (never mailed)
  MERCHANT#<lic> / FIND#<term>#<ticket id>  what a ticket is found by: email:, order:, phone: (search)
  HELD#<lic or -> / <at>#<hash>             mail kept back with its reason
  ACKRATE#<lic>#<address> / <hour>          acknowledgements sent to a sender this hour (expires)

Mail that arrives is stored without a transaction (ingest_store.py): its items are named after the mail
itself, written in an order that leaves nothing visible half done, and its claim (the new ticket's item, or the
reply's Message-ID record) is written last under the condition that it is new. A retried event, or two
deliveries of the same mail at once, write it once. Agents' writes and releases of held mail use transactions.
"""


from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamodb
from chalicelib.mail.model import (
    MAX_LISTED_ADDRESSES,
    Held,
    Message,
    Ticket,
    bounded,
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
    acknowledgement_texts = JSONAttribute(null=True)  # {locale: text}, set by the merchant's admin


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
    assignee_id = UnicodeAttribute(null=True)
    assignee_name = UnicodeAttribute(null=True)
    preview = UnicodeAttribute(null=True)  # the start of the latest message, for the inbox
    last_mail = UnicodeAttribute(null=True)  # the mail the latest bump was for (a retried one bumps once)
    routable = BooleanAttribute(null=True)  # False: no TICKETREF yet (written with the first mail we send)
    uploads = NumberAttribute(null=True)  # files agents were given room for on this ticket (its upload quota)


class NoteItem(MailItem, discriminator="note"):
    note_id = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    agent_name = UnicodeAttribute(default="")
    text = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class FindItem(MailItem, discriminator="find"):
    ticket_id = UnicodeAttribute()


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
    tickets_hour = UnicodeAttribute(null=True)  # the hour (and how many) of the tickets this sender opened last
    tickets_in_hour = NumberAttribute(null=True)
    tickets = UnicodeSetAttribute(null=True)  # the first tickets their mail opened (email: lookups of their own)


class MessageIdItem(MailItem, discriminator="message_id"):
    message_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute(null=True)  # None: the mail was held
    message_key = UnicodeAttribute(null=True)
    held_key = UnicodeAttribute(null=True)  # a held mail's: its HELD item's sort key


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
    author_name = UnicodeAttribute(null=True)  # the agent's name, shown on their replies
    delivery = UnicodeAttribute(null=True)
    delivery_detail = UnicodeAttribute(null=True)
    raw_key = UnicodeAttribute(null=True)
    verdicts = MapAttribute[str, str](null=True)
    body_key = UnicodeAttribute(null=True)  # the whole text and body, in the blob store
    body_is_text = BooleanAttribute(null=True)  # the body is the text (kept once)


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


def merchant_key(licensee_id: str) -> str:
    return f"MERCHANT#{licensee_id}"


def thread_key(licensee_id: str, ticket_id: str) -> str:
    return f"TICKET#{licensee_id}#{ticket_id}"


def activity_key(licensee_id: str, status: str) -> str:
    return f"{licensee_id}#{status}"


PREVIEW_CHARS = 120
ITEM_PREVIEW_CHARS = 60  # the text on a message item whose whole text is in the blob store (kept small: < 1 KB)
CONTACT_TICKETS = 20  # a contact's item lists this many tickets its mail opened; FIND items take the rest


def preview(text: str, length: int = PREVIEW_CHARS) -> str:
    """The start of a message, on one line, as the inbox shows it."""
    return " ".join(text.split())[:length]


def held_record(i: HeldItem) -> Held:
    return Held(i.licensee_id, i.reason, i.at, i.ses_id, i.raw_key, i.from_address, i.subject,
                tuple(str(r) for r in i.recipients or ()), i.sk, i.released_at, i.released_by, i.ticket_id)


def message_item(licensee_id: str, m: Message) -> MessageItem:
    """The message's item: metadata, and its text and body only when they are small (else a preview and the key
    of the blob that holds them). Every list and name is bounded, so that no message can pass the item limit."""
    text, body = (m.text, m.body) if m.body_key is None else (preview(m.text, ITEM_PREVIEW_CHARS), "")
    same = bool(body) and body == text  # a mail that quotes nothing: its text once
    return MessageItem(
        pk=thread_key(licensee_id, m.ticket_id), sk=f"MSG#{m.message_key}", message_key=m.message_key,
        ticket_id=m.ticket_id, direction=m.direction, from_address=bounded(m.from_address, 1000),
        from_name=m.from_name[:200], to=[bounded(a) for a in m.to[:MAX_LISTED_ADDRESSES]],
        cc=[bounded(a) for a in m.cc[:MAX_LISTED_ADDRESSES]], subject=m.subject[:1000], text=text,
        body="" if same else body, body_is_text=same or None,
        body_truncated=m.body_truncated, created_at=m.created_at, rfc_message_id=bounded(m.rfc_message_id, 1000),
        provider_id=m.provider_id, body_key=m.body_key,
        attachments=[AttachmentMap(filename=bounded(a.filename), content_type=bounded(a.content_type),
                                   size=a.size, blob_key=a.blob_key, inline=a.inline,
                                   content_id=bounded(a.content_id))
                     for a in m.attachments],
        problems=list(m.problems), kind=m.kind, author=m.author, author_name=m.author_name, delivery=m.delivery,
        delivery_detail=m.delivery_detail, raw_key=m.raw_key, verdicts=m.verdicts)


def ticket_record(item: TicketItem) -> Ticket:
    return Ticket(ticket_id=item.ticket_id, number=int(item.number), subject=item.subject, contact=item.contact,
                  status=item.status, support_address=item.support_address, created_at=item.created_at,
                  last_activity_at=item.last_activity_at, message_count=int(item.message_count or 0),
                  participants=frozenset(item.participants or ()), assignee_id=item.assignee_id,
                  assignee_name=item.assignee_name, preview=item.preview, routable=item.routable is not False)


def message_record(i: MessageItem) -> Message:
    return Message(
        message_key=i.message_key, ticket_id=i.ticket_id, direction=i.direction, from_address=i.from_address,
        created_at=i.created_at, from_name=i.from_name, to=tuple(str(a) for a in i.to or ()),
        cc=tuple(str(a) for a in i.cc or ()),
        subject=i.subject, text=i.text, body=i.text if i.body_is_text else i.body,
        body_truncated=bool(i.body_truncated),
        rfc_message_id=i.rfc_message_id, provider_id=i.provider_id,
        attachments=tuple(Attachment(filename=a.filename, content_type=a.content_type, size=int(a.size),
                                     blob_key=a.blob_key, inline=bool(a.inline), content_id=a.content_id)
                          for a in i.attachments or ()),
        problems=tuple(str(p) for p in i.problems or ()), kind=i.kind, author=i.author, author_name=i.author_name,
        delivery=i.delivery,
        delivery_detail=i.delivery_detail, raw_key=i.raw_key,
        verdicts=dict(i.verdicts.as_dict()) if i.verdicts is not None else None, body_key=i.body_key)


def get_item(pk: str, sk: str, consistent: bool = True) -> MailItem | None:
    return dynamodb.get(MailItem, pk, sk, consistent=consistent)
