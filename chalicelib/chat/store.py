"""The chat table. One partition per conversation holds its messages and changes of status (`T#<stamp>`), its
private notes (`N#…`) and, last in the partition, the conversation itself (`T#~`), so a poll is one Query
over `T#<from>`…`T#~`: the latest messages and the conversation's state, half a read unit when nothing is new.

A message's key is its stamp (chalicelib/chat/model.py: the millisecond it was sent and a tag), never a number
a writer must learn from the one before it, so sending is one PutItem wherever it runs, however many function
instances write to the conversation. The PutItem is conditional on its key being free: a send whose client id
carries its time (the widget's and the console's do) always gets the same key, so a retry, in this process or
another, is refused and answered with the message it made; other client ids are looked for among the latest
messages first. Order is the keys' order; polls find messages by when they were written (the cursor, model.py).

The conversation item (`T#~`) is written only when its bookkeeping changes: a shopper reopens it, or its
activity moves into a new ten minutes (the agents' inbox is a keys-only index whose sort key is that ten
minutes, so a busy chat moves the index key once per ten minutes, not once per message). It counts messages
then, and holds the stamp of its last change of status: a shopper message stamped after it reopens the
conversation, which the writer does when it knows, and otherwise the next reader (a poll, a timeline, the
agent's own check after the change).

Everything expires after the merchant's retention period through the `expires_at` TTL attribute; the
per-IP counters of new conversations expire when their window has passed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.chat.items import (  # the records and keys, here too for the modules that name them from the store
    TAIL,
    AgentItem,
    ChatItem,
    ConversationItem,
    HandoverItem,
    MessageItem,
    NoteItem,
    RateItem,
    SettingsItem,
    StartItem,
    StatusItem,
    VisitorConversationItem,
    _agent,
    _agents_pk,
    _conversation,
    _message,
    _message_item,
    _visitor_pk,
    activity_minute,
    conversation_pk,
    inbox_key,
    message_sk,
    start_pk,
)
from chalicelib.chat.model import (
    Agent,
    ChatSettings,
    Conversation,
    Message,
    NewConversation,
    Note,
    Presence,
    Status,
    Touched,
)
from chalicelib.core import cursors
from chalicelib.core.errors import Conflict

__all__ = ["TAIL", "TAIL_READ", "ChatItem", "ChatStore", "ConversationItem", "MessageItem", "StartTaken",
           "StatusItem", "activity_minute", "conversation_pk", "message_sk", "start_pk"]


class StartTaken(Exception):
    """The client id of a first message was used before by that visitor: it opened `conversation_id`."""

    def __init__(self, conversation_id: str, visitor_id: str) -> None:
        super().__init__(conversation_id)
        self.conversation_id = conversation_id
        self.visitor_id = visitor_id



TAIL_READ = 20  # the latest items a cold or unsure writer reads: a retried client id is recognised among them


class ChatStore:
    """The only code that knows how chat is laid out in DynamoDB."""

    # -- merchant settings ---------------------------------------------------------------------------
    def settings(self, licensee_id: str) -> ChatSettings | None:
        item = _get(f"SETTINGS#{licensee_id}", "CHAT", consistent=True)
        if not isinstance(item, SettingsItem):
            return None
        return ChatSettings(item.token_secret, item.identity_secret, item.hours, item.timezone,
                            int(item.retention_days) if item.retention_days is not None else None,
                            item.locale, json.loads(item.texts) if item.texts else {})

    def create_settings(self, licensee_id: str, token_secret: str) -> None:
        """First use of chat by a merchant: its token secret. A concurrent first use keeps the other's."""
        dynamodb.conditionally(lambda: SettingsItem(pk=f"SETTINGS#{licensee_id}", sk="CHAT", token_secret=token_secret)
                               .save(condition=ChatItem.pk.does_not_exist()))

    def update_settings(self, licensee_id: str, audit: AuditRecord, **fields: Any) -> None:
        item = SettingsItem(pk=f"SETTINGS#{licensee_id}", sk="CHAT")
        actions = [getattr(SettingsItem, name).set(value) for name, value in fields.items()]
        with dynamodb.transaction("The chat settings changed meanwhile; try again.") as tx:
            tx.update(item, actions=actions, condition=ChatItem.pk.exists())
            audit_store.add_to(tx, audit)

    # -- agents ----------------------------------------------------------------------------------------
    def agents(self, licensee_id: str) -> list[Agent]:
        return [_agent(i) for i in ChatItem.query(_agents_pk(licensee_id), ChatItem.sk.startswith("AGENT#"))
                if isinstance(i, AgentItem)]

    def set_presence(self, licensee_id: str, agent_id: str, name: str, presence: Presence, at: datetime,
                     capacity: int | None) -> Agent:
        item = AgentItem(pk=_agents_pk(licensee_id), sk=f"AGENT#{agent_id}")
        actions: list[Action] = [AgentItem.agent_id.set(agent_id), AgentItem.name.set(name),
                                 AgentItem.presence.set(presence.value), AgentItem.last_seen.set(at),
                                 AgentItem.item_type.set(AgentItem),
                                 AgentItem.open_count.set(AgentItem.open_count | 0),
                                 AgentItem.capacity.set(capacity if capacity is not None else AgentItem.capacity | 5)]
        item.update(actions=actions)
        return _agent(item)

    # -- conversations ---------------------------------------------------------------------------------
    def count_new_conversation(self, licensee_id: str, ip_hash: str, window: int, limit: int,
                               expires_at: datetime) -> bool:
        """Count one new conversation from an address in its window; False when the window is full."""
        item = RateItem(pk=f"RATE#{licensee_id}#{ip_hash}", sk=f"W#{window}")
        return dynamodb.conditionally(lambda: item.update(
            actions=[RateItem.hits.add(1), RateItem.expires_at.set(expires_at), RateItem.item_type.set(RateItem)],
            condition=RateItem.hits.does_not_exist() | (RateItem.hits < limit)))

    def create(self, new: NewConversation, assignee: Agent | None, audits: list[AuditRecord]) -> None:
        """The conversation, its first message and the visitor's pointer to it, all or nothing; with an
        assignee, that agent's load moves up under the condition that they still have room."""
        pk = conversation_pk(new.licensee_id, new.conversation_id)
        try:
            self._create(pk, new, assignee, audits)
        except Conflict as exc:
            if new.start_key is None or not _failed_first(exc):
                raise
            taken = _started(new.start_key)
            if taken is None:  # the start item failed its condition yet is gone: it expired in between
                raise
            raise StartTaken(*taken) from exc

    def started(self, start_key: str) -> tuple[str, str] | None:
        """(conversation id, visitor id) a first message with this start key opened, if any."""
        return _started(start_key)

    def _create(self, pk: str, new: NewConversation, assignee: Agent | None, audits: list[AuditRecord]) -> None:
        with dynamodb.transaction("That agent has no room left.") as tx:
            if new.start_key is not None:  # labelled: `_failed_first` asks whether this condition failed
                tx.save(StartItem(pk=new.start_key, sk="START", conversation_id=new.conversation_id,
                                  visitor_id=new.visitor_id, expires_at=new.expires_at),
                        condition=ChatItem.pk.does_not_exist(), label=START_WRITE)
            tx.save(ConversationItem(
                pk=pk, sk=TAIL, conversation_id=new.conversation_id, status=Status.OPEN.value,
                visitor_id=new.visitor_id, customer_id=new.customer_id, visitor_name=new.visitor_name,
                visitor_email=new.visitor_email, assignee_id=assignee.agent_id if assignee else None,
                assignee_name=assignee.name if assignee else "", created_at=new.at, last_activity=new.at,
                seq=1, last_key=new.first.key, inbox=inbox_key(new.licensee_id, Status.OPEN),
                activity=activity_minute(new.at),
                expires_at=new.expires_at, handover_email=new.handover_email,
                handed_over_at=new.at if new.handover_email else None, locale=new.locale,
            ), condition=ChatItem.pk.does_not_exist())
            tx.save(_message_item(pk, new.first, new.client_hash, new.expires_at))
            tx.save(VisitorConversationItem(pk=_visitor_pk(new.licensee_id, new.visitor_id),
                                            sk=f"CONV#{new.conversation_id}", conversation_id=new.conversation_id,
                                            created_at=new.at, expires_at=new.expires_at))
            if new.handover_email:
                tx.save(HandoverItem(pk=f"HANDOVER#{new.licensee_id}",
                                     sk=f"{new.at.isoformat()}#{new.conversation_id}",
                                     conversation_id=new.conversation_id, email=new.handover_email, at=new.at,
                                     expires_at=new.expires_at))
            if assignee is not None:
                tx.update(AgentItem(pk=_agents_pk(new.licensee_id), sk=f"AGENT#{assignee.agent_id}"),
                          actions=[AgentItem.open_count.add(1), AgentItem.last_assigned_at.set(new.at)],
                          condition=(AgentItem.open_count < AgentItem.capacity)
                          & (AgentItem.presence == Presence.ONLINE.value))
            for audit in audits:
                audit_store.add_to(tx, audit)

    def recent(self, licensee_id: str, conversation_id: str) -> tuple[Conversation, list[tuple[Message, str | None]]] \
            | None:
        """The conversation and its latest messages with their client id hashes, newest first: one strongly
        consistent Query (what a writer reads when it does not know the conversation, or must be sure)."""
        pk = conversation_pk(licensee_id, conversation_id)
        conversation: ConversationItem | None = None
        latest: list[tuple[Message, str | None]] = []
        for item in ChatItem.query(pk, ChatItem.sk.between(message_sk("0"), TAIL), scan_index_forward=False,
                                   limit=TAIL_READ + 1, consistent_read=True):
            if isinstance(item, ConversationItem):
                conversation = item
            elif isinstance(item, MessageItem):
                latest.append((_message(item), item.client_hash))
        return None if conversation is None else (_conversation(conversation), latest)

    def put_message(self, licensee_id: str, conversation_id: str, message: Message, client_hash: str | None,
                    expires_at: datetime) -> tuple[Message | None, str | None] | None:
        """Write the message under its key, if free: None when written, else what holds the key (the message
        and its client id hash, as the refused write returned it; no message: something else, or gone)."""
        item = _message_item(conversation_pk(licensee_id, conversation_id), message, client_hash, expires_at)
        held = dynamodb.put_new(item, ChatItem)
        if held is None:
            return None
        return (_message(held), held.client_hash) if isinstance(held, MessageItem) else (None, None)

    def message(self, licensee_id: str, conversation_id: str, key: str) -> tuple[Message, str | None] | None:
        item = _get(conversation_pk(licensee_id, conversation_id), message_sk(key), consistent=True)
        return (_message(item), item.client_hash) if isinstance(item, MessageItem) else None

    def touch(self, licensee_id: str, conversation_id: str, *, at: datetime, key: str, expires_at: datetime,
              reopen: bool, counted: int) -> Touched | None:
        """The conversation item's bookkeeping: activity (and its ten minutes in the inbox), expiry, the latest
        message, `counted` more messages and, when a shopper wrote to a pending or resolved conversation after
        its last change of status, the status open again. None: it is gone, or (reopening) it is open already
        or its status changed after the message; (not reopening) a later message did the bookkeeping."""
        item = ConversationItem(pk=conversation_pk(licensee_id, conversation_id), sk=TAIL)
        actions: list[Action] = [ConversationItem.last_activity.set(at),
                                 ConversationItem.activity.set(activity_minute(at)),
                                 ConversationItem.expires_at.set(expires_at),
                                 ConversationItem.last_key.set(key)]
        if counted:
            actions.append(ConversationItem.seq.add(counted))
        condition: Condition = ChatItem.pk.exists()
        if reopen:
            actions += [ConversationItem.prior_status.set(ConversationItem.status),
                        ConversationItem.status.set(Status.OPEN.value),
                        ConversationItem.inbox.set(inbox_key(licensee_id, Status.OPEN)),
                        ConversationItem.status_key.set(key)]
            condition &= ConversationItem.status != Status.OPEN.value
            condition &= ConversationItem.status_key.does_not_exist() | (ConversationItem.status_key < key)
        else:  # a slower writer never moves the activity back
            condition &= ConversationItem.last_key.does_not_exist() | (ConversationItem.last_key < key)
        if not dynamodb.conditionally(lambda: item.update(actions=actions, condition=condition)):
            return None
        return Touched(Status(item.prior_status or item.status), item.assignee_id)

    def count(self, licensee_id: str, conversation_id: str, counted: int) -> None:
        """Messages counted on the conversation item when a later message did its bookkeeping first."""
        ConversationItem(pk=conversation_pk(licensee_id, conversation_id), sk=TAIL).update(
            actions=[ConversationItem.seq.add(counted)], condition=ChatItem.pk.exists())

    def conversation(self, licensee_id: str, conversation_id: str) -> tuple[Conversation, ConversationItem] | None:
        item = _get(conversation_pk(licensee_id, conversation_id), TAIL, consistent=True)
        return (_conversation(item), item) if isinstance(item, ConversationItem) else None

    def last_messages(self, licensee_id: str, latest: list[tuple[str, str]]) -> dict[str, str]:
        """The text of each conversation's message of that key (its latest, as the conversation item knows it),
        in one BatchGetItem: the inbox's previews."""
        keys = [(conversation_pk(licensee_id, cid), message_sk(key)) for cid, key in latest if key]
        found: dict[str, str] = {}
        for item in ChatItem.batch_get(keys) if keys else ():
            if isinstance(item, MessageItem):
                found[item.pk.rsplit("#", 1)[1]] = item.text
        return found

    def poll(self, licensee_id: str, conversation_id: str, read_from: str) -> tuple[Conversation | None,
                                                                                  list[Message]]:
        """One Query: the messages stamped from `read_from` on and, last, the conversation. Eventually consistent
        (half the price); a message a replica has not shown yet comes with a later poll (the cursor, model.py)."""
        pk = conversation_pk(licensee_id, conversation_id)
        conversation, messages = None, []
        for item in ChatItem.query(pk, ChatItem.sk.between(message_sk(read_from), TAIL), consistent_read=False):
            if isinstance(item, MessageItem):
                messages.append(_message(item))
            elif isinstance(item, ConversationItem):
                conversation = _conversation(item)
        return conversation, messages

    def messages_after(self, licensee_id: str, conversation_id: str, key: str) -> list[Message]:
        """The messages stamped after `key`, strongly consistent (an agent's check after a change of status)."""
        pk = conversation_pk(licensee_id, conversation_id)
        return [_message(i) for i in ChatItem.query(pk, ChatItem.sk.between(message_sk(key + "!"), TAIL),
                                                    consistent_read=True) if isinstance(i, MessageItem)]

    def timeline(self, licensee_id: str, conversation_id: str) -> tuple[Conversation | None, list[Message],
                                                                         list[Note]]:
        """Everything in a conversation's partition, for its agents."""
        conversation, messages, notes = None, [], []
        for item in ChatItem.query(conversation_pk(licensee_id, conversation_id), consistent_read=True):
            if isinstance(item, MessageItem):
                messages.append(_message(item))
            elif isinstance(item, NoteItem):
                notes.append(Note(item.note_id, item.agent_id, item.agent_name, item.text, item.created_at))
            elif isinstance(item, ConversationItem):
                conversation = _conversation(item)
        if conversation is not None and messages:  # the item is written once per ten minutes; the partition is exact
            conversation = replace(conversation, last_number=len(messages),
                                   last_activity=max(conversation.last_activity, messages[-1].created_at))
        return conversation, messages, notes

    def statuses(self, licensee_id: str, conversation_id: str) -> list[tuple[str, datetime]]:
        """The status changes in a conversation's chain, oldest first (for reports)."""
        return [(i.status, i.created_at) for i in ChatItem.query(conversation_pk(licensee_id, conversation_id),
                                                                  ChatItem.sk.startswith("T#"))
                if isinstance(i, StatusItem)]

    def add_note(self, licensee_id: str, conversation_id: str, note: Note, expires_at: datetime) -> None:
        pk = conversation_pk(licensee_id, conversation_id)
        with dynamodb.transaction("The conversation is gone.") as tx:
            tx.condition_check(ChatItem, pk, TAIL, condition=ChatItem.pk.exists())
            tx.save(NoteItem(pk=pk, sk=f"N#{note.note_id}", note_id=note.note_id, agent_id=note.agent_id,
                             agent_name=note.agent_name, text=note.text, created_at=note.created_at,
                             expires_at=expires_at))

    def inbox(self, licensee_id: str, status: Status, limit: int,
              next_token: str | None) -> tuple[list[Conversation], str | None]:
        """A page of conversations in one status, newest activity first."""
        scope = f"chat-inbox|{licensee_id}|{status.value}"  # signed and bound to this merchant's inbox
        page = ChatItem.inbox_index.query(inbox_key(licensee_id, status), scan_index_forward=False, limit=limit,
                                          last_evaluated_key=cursors.decode(next_token, scope))
        keys = [(i.pk, i.sk) for i in page]
        found = [_conversation(i) for i in ChatItem.batch_get(keys) if isinstance(i, ConversationItem)] if keys else []
        # the index sorts by minute; within a page, the exact instant decides
        found = [c for c in found if c.status is status]
        found.sort(key=lambda c: c.last_activity, reverse=True)
        return found, cursors.encode(page.last_evaluated_key, scope)

    def visitor_conversations(self, licensee_id: str, visitor_id: str) -> list[Conversation]:
        refs = [i for i in ChatItem.query(_visitor_pk(licensee_id, visitor_id), scan_index_forward=False, limit=50)
                if isinstance(i, VisitorConversationItem)]
        keys = [(conversation_pk(licensee_id, r.conversation_id), TAIL) for r in refs]
        found = [_conversation(i) for i in ChatItem.batch_get(keys) if isinstance(i, ConversationItem)] if keys else []
        return sorted(found, key=lambda c: c.last_activity, reverse=True)

    def change(self, licensee_id: str, current: Conversation, *, status: Status | None = None,
               assignee: Agent | None = None, unassign: bool = False, at: datetime,
               audit: AuditRecord, key: str | None = None, expires_at: datetime | None = None) -> None:
        """An agent's change of status or assignee, under the condition that nobody changed either meanwhile,
        with the agents' loads kept in step and the audit record in the same transaction. A change of status
        is stamped (`key`) among the messages and on the conversation: a shopper message stamped after it
        reopens the conversation."""
        pk = conversation_pk(licensee_id, current.conversation_id)
        new_status = status or current.status
        new_assignee = None if unassign else (assignee.agent_id if assignee else current.assignee_id)
        actions: list[Action] = [ConversationItem.status.set(new_status.value),
                                 ConversationItem.inbox.set(inbox_key(licensee_id, new_status))]
        if status is not None and key is not None:
            actions.append(ConversationItem.status_key.set(key))
        if assignee is not None:
            actions += [ConversationItem.assignee_id.set(assignee.agent_id),
                        ConversationItem.assignee_name.set(assignee.name)]
        elif unassign:
            actions += [ConversationItem.assignee_id.remove(), ConversationItem.assignee_name.set("")]
        condition = (ConversationItem.status == current.status.value)
        condition &= (ConversationItem.assignee_id == current.assignee_id) if current.assignee_id \
            else ConversationItem.assignee_id.does_not_exist()
        was_counted = current.status is not Status.RESOLVED and current.assignee_id is not None
        counted = new_status is not Status.RESOLVED and new_assignee is not None
        with dynamodb.transaction("The conversation changed meanwhile; reload it and try again.") as tx:
            tx.update(ConversationItem(pk=pk, sk=TAIL), actions=actions, condition=condition)
            if status is not None and key is not None:
                tx.save(StatusItem(pk=pk, sk=message_sk(key), status=new_status.value, created_at=at,
                                   expires_at=expires_at), condition=ChatItem.pk.does_not_exist())
            if was_counted and (not counted or new_assignee != current.assignee_id):
                assert current.assignee_id is not None
                self._load(tx, licensee_id, current.assignee_id, "", -1, at)
            if counted and (not was_counted or new_assignee != current.assignee_id):
                assert new_assignee is not None
                self._load(tx, licensee_id, new_assignee, assignee.name if assignee else current.assignee_name, 1, at)
            audit_store.add_to(tx, audit)

    def reopened(self, licensee_id: str, assignee_id: str, at: datetime) -> None:
        """A shopper reopened a resolved conversation: it counts against its agent's load again."""
        AgentItem(pk=_agents_pk(licensee_id), sk=f"AGENT#{assignee_id}").update(
            actions=[AgentItem.open_count.add(1)], condition=ChatItem.pk.exists())

    def _load(self, tx: Any, licensee_id: str, agent_id: str, name: str, delta: int, at: datetime) -> None:
        """Move an agent's load by one. An agent given work before ever opening the console gets a record."""
        item = AgentItem(pk=_agents_pk(licensee_id), sk=f"AGENT#{agent_id}")
        if delta > 0:
            tx.update(item, actions=[AgentItem.open_count.add(1), AgentItem.last_assigned_at.set(at),
                                     AgentItem.item_type.set(AgentItem), AgentItem.agent_id.set(agent_id),
                                     AgentItem.name.set(AgentItem.name | name),
                                     AgentItem.presence.set(AgentItem.presence | Presence.AWAY.value),
                                     AgentItem.capacity.set(AgentItem.capacity | 5)])
        else:
            tx.update(item, actions=[AgentItem.open_count.add(-1)], condition=AgentItem.open_count > 0)

    def hand_over(self, licensee_id: str, conversation_id: str, email: str, at: datetime,
                  expires_at: datetime, audit: AuditRecord) -> bool:
        """Mark a conversation handed over to email at an address, with its entry in the merchant's list; False
        when it was handed over already (the first address stands)."""
        pk = conversation_pk(licensee_id, conversation_id)
        try:
            with dynamodb.transaction("The conversation was handed over already.") as tx:
                tx.update(ConversationItem(pk=pk, sk=TAIL), actions=[
                    ConversationItem.handover_email.set(email), ConversationItem.handed_over_at.set(at)],
                    condition=ChatItem.pk.exists() & (ConversationItem.handover_email == ""))
                tx.save(HandoverItem(pk=f"HANDOVER#{licensee_id}", sk=f"{at.isoformat()}#{conversation_id}",
                                     conversation_id=conversation_id, email=email, at=at, expires_at=expires_at))
                audit_store.add_to(tx, audit)
        except Conflict:
            return False
        return True

    def link_ticket(self, licensee_id: str, conversation_id: str, ticket_id: str) -> None:
        """The email ticket a hand-over opened (the same one every time: the mail side keys it by conversation)."""
        ConversationItem(pk=conversation_pk(licensee_id, conversation_id), sk=TAIL).update(
            actions=[ConversationItem.ticket_id.set(ticket_id)], condition=ChatItem.pk.exists())

    def rate(self, licensee_id: str, conversation_id: str, rating: int, comment: str, at: datetime,
             audit: AuditRecord) -> bool:
        """The shopper's rating of a resolved conversation, once; False when it was rated already."""
        pk = conversation_pk(licensee_id, conversation_id)
        actions: list[Action] = [ConversationItem.rating.set(rating), ConversationItem.rated_at.set(at)]
        if comment:
            actions.append(ConversationItem.rating_comment.set(comment))
        try:
            with dynamodb.transaction("The conversation was rated already.") as tx:
                tx.update(ConversationItem(pk=pk, sk=TAIL), actions=actions,
                          condition=ChatItem.pk.exists() & ConversationItem.rating.does_not_exist())
                audit_store.add_to(tx, audit)
        except Conflict:
            return False
        return True

    def take_upload(self, licensee_id: str, conversation_id: str, quota: int) -> bool:
        """Count one more file for a conversation, unless it holds `quota` already (then False)."""
        item = ConversationItem(pk=conversation_pk(licensee_id, conversation_id), sk=TAIL)
        return dynamodb.conditionally(lambda: item.update(
            actions=[ConversationItem.uploads.add(1)],
            condition=ChatItem.pk.exists() & (ConversationItem.uploads.does_not_exist()
                                              | (ConversationItem.uploads < quota))))

    def handovers(self, licensee_id: str) -> list[tuple[str, str, datetime]]:
        """Conversations handed over to email: (conversation id, address, when), oldest first."""
        return [(i.conversation_id, i.email, i.at) for i in ChatItem.query(f"HANDOVER#{licensee_id}")
                if isinstance(i, HandoverItem)]


def _started(start_key: str) -> tuple[str, str] | None:
    item = _get(start_key, "START", consistent=True)
    return (item.conversation_id, item.visitor_id) if isinstance(item, StartItem) else None


START_WRITE = "start"  # the label of the start item's write in a conversation's creating transaction


def _failed_first(exc: Exception) -> bool:
    """Whether a cancelled creation failed because its start item exists: the same first message again."""
    lost = exc.__cause__
    return isinstance(lost, dynamodb.Contended) and START_WRITE in lost.failed


def _get(pk: str, sk: str, consistent: bool) -> ChatItem | None:
    return dynamodb.get(ChatItem, pk, sk, consistent=consistent)

