"""The chat table's part in privacy requests (clauses 7.2, 11.2): find a person's conversations, read and erase
them, and erase what is left of a merchant after termination. Beside the store, not in it, so that the store's
layout stays its own; every key here comes from chalicelib/chat/store.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from chalicelib.adapters import dynamodb
from chalicelib.chat.model import Conversation, Message, Note, Status
from chalicelib.chat.store import (
    AgentItem,
    ChatItem,
    ChatStore,
    ConversationItem,
    HandoverItem,
    VisitorConversationItem,
    _agents_pk,
    _conversation,
    _visitor_pk,
    conversation_pk,
    inbox_key,
)
from chalicelib.resources import CHAT_FILES_PREFIX


def merchant_conversations(licensee_id: str) -> Iterator[Conversation]:
    """Every conversation of a merchant, in every status: the inbox index's keys, then the items in batches."""
    for status in Status:
        keys = [(i.pk, i.sk) for i in ChatItem.inbox_index.query(inbox_key(licensee_id, status))]
        for item in ChatItem.batch_get(keys) if keys else ():
            if isinstance(item, ConversationItem) and item.status == status.value:
                yield _conversation(item)


def contact_conversations(licensee_id: str, email: str | None, customer_id: str | None) -> list[Conversation]:
    """A person's conversations: those whose shopper gave this address (in the widget or to be answered by
    email) or whom the shop verified as this customer."""
    return [c for c in merchant_conversations(licensee_id)
            if (email and email in ((c.visitor_email or "").lower(), (c.handover_email or "").lower()))
            or (customer_id and c.customer_id == customer_id)]


def conversations_before(licensee_id: str, before: datetime) -> list[Conversation]:
    """Conversations last active before an instant (retention)."""
    return [c for c in merchant_conversations(licensee_id) if c.last_activity < before]


def conversation_content(licensee_id: str, conversation_id: str) -> tuple[Conversation | None, list[Message],
                                                                          list[Note]]:
    return ChatStore().timeline(licensee_id, conversation_id)


def file_prefix(licensee_id: str, conversation_id: str) -> str:
    """Where a conversation's files lie in the blob store."""
    return f"{CHAT_FILES_PREFIX}{licensee_id}/{conversation_id}/"


def erase_conversation(licensee_id: str, conversation: Conversation) -> int:
    """Delete every item of a conversation: its partition (messages, status items, notes, the conversation),
    the visitor's pointer and the hand-over entry; an open conversation's agent has one chat less to carry.
    Returns how many items were deleted; running it again deletes nothing more."""
    pk = conversation_pk(licensee_id, conversation.conversation_id)
    found: list[ChatItem] = list(ChatItem.query(pk, consistent_read=True))
    if not found:
        return 0
    found += [i for i in ChatItem.query(f"HANDOVER#{licensee_id}", filter_condition=HandoverItem.conversation_id
                                        == conversation.conversation_id) if isinstance(i, HandoverItem)]
    pointer = VisitorConversationItem(pk=_visitor_pk(licensee_id, conversation.visitor_id),
                                      sk=f"CONV#{conversation.conversation_id}")
    if conversation.assignee_id and conversation.status is not Status.RESOLVED:
        dynamodb.conditionally(lambda: AgentItem(pk=_agents_pk(licensee_id), sk=f"AGENT#{conversation.assignee_id}")
                               .update(actions=[AgentItem.open_count.add(-1)], condition=AgentItem.open_count > 0))
    return dynamodb.delete_all(ChatItem, [*found, pointer])


def erase_merchant_rest(licensee_id: str) -> int:
    """After a merchant's conversations are erased: its agents' presence, hand-over list and chat settings."""
    items: list[ChatItem] = []
    for pk in (_agents_pk(licensee_id), f"HANDOVER#{licensee_id}", f"SETTINGS#{licensee_id}"):
        items += list(ChatItem.query(pk, consistent_read=True))
    return dynamodb.delete_all(ChatItem, items)
