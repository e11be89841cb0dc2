"""The chat table's records: one PynamoDB item per kind, the keys they live under and how each reads as the
domain's dataclass. chalicelib/chat/store.py says how they are laid out and is the only code that writes them."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pynamodb.attributes import (
    DiscriminatorAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.chat.model import Agent, Attachment, Author, Conversation, Message, Presence, Status

TAIL = "T#~"  # the conversation item: after every message (`T#<stamp>`) in its partition


class InboxIndex(GlobalSecondaryIndex["ChatItem"]):
    """`<licensee>#<status>` → conversations by the ten minutes of last activity. Keys (and the item type, which never
    changes) only: a message that does not change the status or the minute leaves the index alone."""

    class Meta:
        index_name = "inbox"
        projection = IncludeProjection(["type"])

    inbox = UnicodeAttribute(hash_key=True)
    activity = UnicodeAttribute(range_key=True)


class ChatItem(Model):
    class Meta:
        table_name = "chat"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    schema_version = NumberAttribute(default=1)
    expires_at = TTLAttribute(null=True)
    inbox = UnicodeAttribute(null=True)
    activity = UnicodeAttribute(null=True)
    inbox_index = InboxIndex()


class ConversationItem(ChatItem, discriminator="conversation"):
    conversation_id = UnicodeAttribute()
    status = UnicodeAttribute()
    prior_status = UnicodeAttribute(null=True)
    visitor_id = UnicodeAttribute()
    customer_id = UnicodeAttribute(null=True)
    visitor_name = UnicodeAttribute(default="")
    visitor_email = UnicodeAttribute(default="")
    assignee_id = UnicodeAttribute(null=True)
    assignee_name = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    last_activity = UTCDateTimeAttribute()
    seq = NumberAttribute(default=0)  # messages counted: the first, and each sender's as it next writes this item
    last_key = UnicodeAttribute(null=True)    # the latest message as of this item's last write
    status_key = UnicodeAttribute(null=True)  # the stamp of the last change of status (a later shopper message reopens)
    handover_email = UnicodeAttribute(default="")
    handed_over_at = UTCDateTimeAttribute(null=True)
    ticket_id = UnicodeAttribute(default="")
    locale = UnicodeAttribute(default="")
    uploads = NumberAttribute(default=0)  # files the shopper was given upload links for
    rating = NumberAttribute(null=True)
    rating_comment = UnicodeAttribute(null=True)
    rated_at = UTCDateTimeAttribute(null=True)


class MessageItem(ChatItem, discriminator="message"):
    """`T#<stamp>`: the stamp (chalicelib/chat/model.py) orders the conversation's messages."""

    author = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    agent_name = UnicodeAttribute(default="")
    client_hash = UnicodeAttribute(null=True)
    file_key = UnicodeAttribute(null=True)   # an attachment: its blob, name, sniffed type and size
    file_name = UnicodeAttribute(null=True)
    file_type = UnicodeAttribute(null=True)
    file_size = NumberAttribute(null=True)


class StatusItem(ChatItem, discriminator="status"):
    """`T#<stamp>`: a change of status among the messages, for reports and for readers telling whether a
    shopper message came after it."""

    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class NoteItem(ChatItem, discriminator="note"):
    note_id = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    agent_name = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class VisitorConversationItem(ChatItem, discriminator="visitor_conversation"):
    """`VISITOR#<licensee>#<visitor>` → its conversations: a returning or verified shopper's history."""

    conversation_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class AgentItem(ChatItem, discriminator="agent"):
    agent_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    presence = UnicodeAttribute(default=Presence.AWAY.value)
    last_seen = UTCDateTimeAttribute(null=True)
    open_count = NumberAttribute(default=0)
    capacity = NumberAttribute(default=5)
    last_assigned_at = UTCDateTimeAttribute(null=True)


class SettingsItem(ChatItem, discriminator="chat_settings"):
    token_secret = UnicodeAttribute()
    identity_secret = UnicodeAttribute(null=True)
    hours = UnicodeAttribute(default="always")
    timezone = UnicodeAttribute(default="Asia/Shanghai")
    retention_days = NumberAttribute(null=True)
    locale = UnicodeAttribute(null=True)  # the widget's language when the merchant chose one
    texts = UnicodeAttribute(null=True)   # JSON {locale: {title, greeting, offline, handover}}


class RateItem(ChatItem, discriminator="rate"):
    hits = NumberAttribute(default=0)


class StartItem(ChatItem, discriminator="start"):
    """`START#<licensee>#<visitor or ->#<client id hash>`: the conversation a widget's first message opened, so
    that the same first message sent again (a lost response, another Lambda instance) finds it instead of
    opening a second one. Written in the same transaction as the conversation, under does-not-exist."""

    conversation_id = UnicodeAttribute()
    visitor_id = UnicodeAttribute()


class HandoverItem(ChatItem, discriminator="handover"):
    """A conversation the email channel takes over: the shopper's address and when (read by the email side)."""

    conversation_id = UnicodeAttribute()
    email = UnicodeAttribute()
    at = UTCDateTimeAttribute()


# -- keys -----------------------------------------------------------------------------------------------
def conversation_pk(licensee_id: str, conversation_id: str) -> str:
    return f"CONV#{licensee_id}#{conversation_id}"


def message_sk(key: str) -> str:
    """A message's (or status change's) sort key from its stamp. Conversations from before stamps hold
    `T#0000000001`…, which sort before every stamp."""
    return f"T#{key}"


def key_of(item: ChatItem) -> str:
    return item.sk[2:]


def inbox_key(licensee_id: str, status: Status) -> str:
    return f"{licensee_id}#{status.value}"


ACTIVITY_BUCKET_MINUTES = 10


def activity_minute(at: datetime) -> str:
    """The inbox index's sort key: last activity to ten minutes. Changing an index key costs two index writes,
    so a busy chat pays them once per ten minutes, not once a minute; a page is then sorted to the instant."""
    return at.replace(minute=at.minute - at.minute % ACTIVITY_BUCKET_MINUTES, second=0,
                      microsecond=0).strftime("%Y-%m-%dT%H:%M")


def start_pk(licensee_id: str, visitor_id: str | None, client_id: str) -> str:
    """Keyed by the visitor a token names (or `-` for a first visit without one) and the whole client id's
    hash: the retry of a first visit carries no token yet, so the client id alone must tell it apart."""
    digest = hashlib.sha256(client_id.encode()).hexdigest()
    return f"START#{licensee_id}#{visitor_id or '-'}#{digest}"


def _agents_pk(licensee_id: str) -> str:
    return f"AGENTS#{licensee_id}"


def _visitor_pk(licensee_id: str, visitor_id: str) -> str:
    return f"VISITOR#{licensee_id}#{visitor_id}"


def _conversation(item: ConversationItem) -> Conversation:
    return Conversation(
        conversation_id=item.conversation_id, status=Status(item.status), visitor_id=item.visitor_id,
        created_at=item.created_at, last_activity=item.last_activity, last_number=int(item.seq),
        customer_id=item.customer_id, visitor_name=item.visitor_name, visitor_email=item.visitor_email,
        assignee_id=item.assignee_id, assignee_name=item.assignee_name, handover_email=item.handover_email,
        handed_over_at=item.handed_over_at, ticket_id=item.ticket_id, locale=item.locale,
        rating=int(item.rating) if item.rating is not None else None, status_key=item.status_key or "",
        last_key=item.last_key or (f"{int(item.seq):010d}" if item.seq else ""))  # before stamps: its number


def _message(item: MessageItem) -> Message:
    attachment = Attachment(item.file_key, item.file_name or "file", item.file_type or "application/octet-stream",
                            int(item.file_size or 0)) if item.file_key else None
    return Message(key_of(item), Author(item.author), item.text, item.created_at, item.agent_name, attachment)


def _agent(item: AgentItem) -> Agent:
    return Agent(item.agent_id, item.name, Presence(item.presence), item.last_seen, int(item.open_count),
                 int(item.capacity), item.last_assigned_at)



def _message_item(pk: str, message: Message, client_hash: str | None, expires_at: datetime) -> MessageItem:
    file = message.attachment
    return MessageItem(pk=pk, sk=message_sk(message.key), author=message.author.value, text=message.text,
                       created_at=message.created_at, agent_name=message.agent_name, client_hash=client_hash,
                       expires_at=expires_at,
                       file_key=file.key if file else None, file_name=file.name if file else None,
                       file_type=file.content_type if file else None, file_size=file.size if file else None)
