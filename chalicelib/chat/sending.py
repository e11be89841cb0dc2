"""Sending a message and keeping a conversation's status right with stamped messages: part of ChatService
(chalicelib/chat/service.py), which the routes call. chalicelib/chat/store.py says how messages are laid out;
chalicelib/chat/stamps.py how they are stamped."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.chat import model, stamps
from chalicelib.chat.model import Author, Conversation, Known, Message, RateLimit, Status
from chalicelib.chat.store import TAIL_READ, ChatStore, activity_minute
from chalicelib.chat.tokens import Visitor
from chalicelib.core.errors import Conflict, KefuError
from chalicelib.metrics import CHAT_MESSAGES, MetricsSink

if TYPE_CHECKING:
    from chalicelib.audit.model import AuditRecord
    from chalicelib.core.cache import TtlCache
    from chalicelib.core.clock import Clock

# The conversation item's expiry moves with its activity's ten minutes: never before its last message's.
BOOKKEEPING_SLACK = timedelta(minutes=20)
_not_found = model.conversation_not_found


class Sending:
    store: ChatStore
    clock: Clock
    metrics: MetricsSink
    message_rule: RateLimit
    stamps: stamps.Stamper
    _known: dict[tuple[str, str], Known]
    _agents: TtlCache[list[model.Agent]]

    if TYPE_CHECKING:
        def retention(self, licensee_id: str) -> timedelta: ...

        def _audit(self, licensee_id: str, action: str, actor: str, details: dict[str, Any]) -> AuditRecord: ...

        def _rate_limited(self, now: datetime, rule: RateLimit, code: str, message: str) -> KefuError: ...

        def _published(self, licensee_id: str, audience: str, event: dict[str, Any]) -> None: ...

        def _event_message(self, licensee_id: str, message: Message) -> dict[str, Any]: ...

    def _change_status(self, licensee_id: str, current: Conversation, status: Status, actor: str) -> None:
        """A change of status, stamped among the messages. Then the messages stamped after it, read strongly
        consistent: a shopper message another process wrote meanwhile without knowing of the change stands
        after it, so the conversation is open again at once (one written later by such a process is put right
        by the next reader: `_repaired`)."""
        conversation_id = current.conversation_id
        now = self.clock.now()
        key = self.stamps.next(now)
        self.store.change(licensee_id, current, status=status, at=now, key=key,
                          expires_at=now + self.retention(licensee_id),
                          audit=self._audit(licensee_id, "conversation.status_changed", actor, {
                              "conversation_id": conversation_id, "from": current.status.value,
                              "to": status.value}))
        self._known.pop((licensee_id, conversation_id), None)
        self._agents.forget(licensee_id)
        later = [m.key for m in self.store.messages_after(licensee_id, conversation_id, key)
                 if m.author is Author.VISITOR]
        if stamps.reopened_by(status, key, later):
            self._reopen(licensee_id, conversation_id, max(later))

    def _repaired(self, licensee_id: str, conversation: Conversation, messages: list[Message]) -> Conversation:
        """The conversation as its messages say: open when a shopper message stands after its last change of
        status (written by a process that did not know of the change), and then open in the store too."""
        later = [m.key for m in messages if m.author is Author.VISITOR]
        if not stamps.reopened_by(conversation.status, conversation.status_key, later):
            return conversation
        self._reopen(licensee_id, conversation.conversation_id, max(later))
        return replace(conversation, status=Status.OPEN, status_key=max(later))

    def _reopen(self, licensee_id: str, conversation_id: str, key: str) -> None:
        now = self.clock.now()
        touched = self.store.touch(licensee_id, conversation_id, at=now, key=key, reopen=True, counted=0,
                                   expires_at=now + self.retention(licensee_id) + BOOKKEEPING_SLACK)
        if touched is not None and touched.prior_status is Status.RESOLVED and touched.assignee_id:
            self.store.reopened(licensee_id, touched.assignee_id, now)
        self._known.pop((licensee_id, conversation_id), None)

    def _learn(self, licensee_id: str, conversation_id: str, window: int) -> Known | None:
        """What the conversation's latest messages and its item say (one strongly consistent Query): for a
        process new to it, or a client id that carries no time (its retry is looked for among them)."""
        found = self.store.recent(licensee_id, conversation_id)
        if found is None:
            return None
        conversation, latest = found
        taken = sum(1 for m, _ in latest if m.author is Author.VISITOR and model.window(m.created_at,
                                                                                           self.message_rule) == window)
        return Known(conversation.visitor_id, conversation.status, conversation.status_key,
                     activity_minute(conversation.last_activity), {h: m for m, h in reversed(latest) if h},
                     conversation.ticket_id, window, taken)

    def _send(self, licensee_id: str, conversation_id: str, author: Author, text: str, client_id: str | None, *,
              visitor: Visitor | None = None, agent_name: str = "",
              attachment: model.Attachment | None = None) -> Message:
        """One PutItem of the message under its stamp, decided from what this process knows (or reads, when it
        knows nothing of the conversation): the client id not among the messages it knows, the shopper's
        messages in this minute under the limit. Nothing another process wrote changes the key, so a warm
        process writes once however the conversation's writers take turns.

        A retry is the same message: a client id that carries its time gives the same key wherever it is sent
        (the write is refused and returns the message); one that does not, or whose time is too far back for a
        key, is looked for among the conversation's latest messages first (a read). The limit per minute holds
        in each process; a process new to the conversation counts the shopper messages others took.
        The conversation item is written only when a shopper reopens it or its activity enters new ten minutes."""
        now = self.clock.now()
        expires_at = now + self.retention(licensee_id)
        window = model.window(now, self.message_rule)
        client_hash = model.dedup_hash(client_id) if client_id else None
        stamp = stamps.client_stamp(client_id, now)
        known = self._known.get((licensee_id, conversation_id))
        unsure = client_hash is not None and stamp is None and (known is None or client_hash not in known.sent)
        if known is None or unsure:
            known = self._learn(licensee_id, conversation_id, window)
        if known is None or (visitor is not None and known.visitor_id != visitor.visitor_id):
            raise _not_found()
        if client_hash and client_hash in known.sent:  # a retried send: the message it already made
            return self._retried(licensee_id, conversation_id, known, known.sent[client_hash])
        exact = stamps.stamp_of_client(client_id) if unsure else None
        if exact is not None:  # a retry after its key's time: the key its first attempt may have had
            held = self.store.message(licensee_id, conversation_id, exact)
            if held is not None and held[1] == client_hash:
                return self._retried(licensee_id, conversation_id, known, held[0])
        count = known.rate_count if known.rate_window == window else 0
        if author is Author.VISITOR:
            held = self.store.message(licensee_id, conversation_id, stamp) \
                if count >= self.message_rule.limit and stamp is not None else None
            if held is not None and held[1] == client_hash:  # the retry of a message that filled the minute
                return self._retried(licensee_id, conversation_id, known, held[0])
            if count >= self.message_rule.limit:
                raise self._rate_limited(now, self.message_rule, "TOO_MANY_MESSAGES",
                                         "Too many messages in a minute; wait a moment and send again.")
            count += 1
        message = Message(stamp or self.stamps.next(now), author, text, now, agent_name, attachment)
        refused = self.store.put_message(licensee_id, conversation_id, message, client_hash, expires_at)
        if refused is not None:
            if refused[0] is not None and client_hash is not None and refused[1] == client_hash:
                return self._retried(licensee_id, conversation_id, known, refused[0])  # through another process
            message = replace(message, key=self.stamps.next(now))  # a stamp another id had: never in practice
            if self.store.put_message(licensee_id, conversation_id, message, client_hash, expires_at) is not None:
                raise Conflict("The conversation is busy; send again.", code="CONCURRENT_CHANGE")
        if client_hash:
            known.sent = dict(list({**known.sent, client_hash: message}.items())[-TAIL_READ:])
        known.rate_window, known.rate_count = window, count
        known.unbooked += 1
        reopen = author is Author.VISITOR and known.status is not Status.OPEN
        bucket = activity_minute(now)
        if reopen or bucket != known.bucket:
            touched = self.store.touch(licensee_id, conversation_id, at=now, key=message.key, reopen=reopen,
                                       expires_at=expires_at + BOOKKEEPING_SLACK, counted=known.unbooked)
            if reopen and touched is None:  # open already (reopened by another writer): activity only
                touched = self.store.touch(licensee_id, conversation_id, at=now, key=message.key, reopen=False,
                                           expires_at=expires_at + BOOKKEEPING_SLACK, counted=known.unbooked)
            elif reopen and touched is not None and touched.prior_status is Status.RESOLVED and touched.assignee_id:
                self.store.reopened(licensee_id, touched.assignee_id, now)
            if touched is not None:
                known.unbooked = 0
            known.bucket = bucket
            if reopen:
                known.status, known.status_key = Status.OPEN, message.key
        self._remember(licensee_id, conversation_id, known)
        self.metrics.count(CHAT_MESSAGES, author=author.value)
        self._published(licensee_id, f"conversation:{conversation_id}" if author is Author.AGENT else "agents",
                        {"type": "message", "conversation_id": conversation_id,
                         "message": self._event_message(licensee_id, message)})
        return message

    def _retried(self, licensee_id: str, conversation_id: str, known: Known, message: Message) -> Message:
        """The answer to a send made before: its message, and the conversation reopened if that send stopped
        before reopening it (a shopper's message after the last change of status; the condition says so)."""
        if message.author is Author.VISITOR and known.status is not Status.OPEN:
            self._reopen(licensee_id, conversation_id, message.key)
        return message

    def _remember(self, licensee_id: str, conversation_id: str, known: Known) -> None:
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[(licensee_id, conversation_id)] = known
