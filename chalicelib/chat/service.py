"""Chat use cases: what the storefront widget asks for a shopper and what agents do in the console.

Every function takes the merchant (licensee) first, as the guard established it from the key; nothing here
trusts a merchant id from a request body."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.audit.model import AuditRecord
from chalicelib.chat import model, tokens
from chalicelib.chat.model import (
    Agent,
    Author,
    ChatSettings,
    Conversation,
    Message,
    NewConversation,
    Note,
    Presence,
    RateLimit,
    Status,
    Tail,
)
from chalicelib.chat.store import TAIL_READ, ChatStore, activity_minute
from chalicelib.chat.tokens import Visitor
from chalicelib.core.cache import TtlCache
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, Forbidden, KefuError, NotFound
from chalicelib.core.ids import new_id, new_secret
from chalicelib.core.limits import WindowLimiter
from chalicelib.licensing.model import KeyKind, KeyRecord
from chalicelib.licensing.service import LicensingService
from chalicelib.metrics import CHAT_CONVERSATIONS, CHAT_MESSAGES, CHAT_REFUSALS, MetricsSink
from chalicelib.settings import Settings

VERIFIED_TOKEN_LIFETIME = timedelta(days=1)  # the storefront identifies a signed-in shopper again on each visit
INBOX_PAGE = 25
# The conversation item's expiry moves with its activity's ten minutes: never before its last message's.
BOOKKEEPING_SLACK = timedelta(minutes=20)


@dataclass(frozen=True)
class Started:
    conversation: Conversation
    first: Message
    visitor_token: str
    unavailable: model.Unavailable | None


@dataclass(frozen=True)
class Poll:
    messages: list[Message]
    cursor: int
    conversation: Conversation


class ChatService:
    def __init__(self, store: ChatStore, clock: Clock, licensing: LicensingService, settings: Settings,
                 metrics: MetricsSink) -> None:
        self.store = store
        self.clock = clock
        self.licensing = licensing
        self.settings = settings
        self.metrics = metrics
        self.message_rule = RateLimit(settings.chat_messages_per_minute, 60)
        self.conversation_rule = RateLimit(settings.chat_conversations_per_ip_hour, 3600)
        self.polls = WindowLimiter(settings.chat_polls_per_visitor_minute, 60, clock.monotonic)
        # Warm functions read neither a merchant's chat settings nor its agents' presence on every request.
        self._settings: TtlCache[ChatSettings] = TtlCache(settings.license_cache_ttl_seconds, clock.monotonic)
        self._agents: TtlCache[list[Agent]] = TtlCache(settings.chat_presence_cache_seconds, clock.monotonic)
        # The chain's tail of each conversation this process wrote to or read lately: a warm send is one write.
        # A tail that is out of date costs one refused write and one read, never a wrong answer.
        self._tails: dict[tuple[str, str], Tail] = {}

    # -- merchant settings -------------------------------------------------------------------------------
    def chat_settings(self, licensee_id: str) -> ChatSettings:
        """The merchant's chat settings; made on first use with a fresh secret for signing visitor tokens."""
        def load() -> ChatSettings:
            found = self.store.settings(licensee_id)
            if found is None:
                self.store.create_settings(licensee_id, new_secret("kf_tok", 32))
                found = self.store.settings(licensee_id)
            assert found is not None
            return found
        return self._settings.get(licensee_id, load)

    def hours(self, licensee_id: str) -> model.BusinessHours:
        current = self.chat_settings(licensee_id)
        return model.parse_hours(current.hours, current.timezone)

    def set_hours(self, licensee_id: str, spec: str, timezone: str, actor: str) -> model.BusinessHours:
        """Opening hours for live chat; outside them the widget asks for an email address instead."""
        hours = model.parse_hours(spec, timezone)
        self.chat_settings(licensee_id)
        self.store.update_settings(licensee_id, self._audit(licensee_id, "chat.hours_set", actor, {
            "hours": model.format_hours(hours), "timezone": timezone}), hours=model.format_hours(hours),
            timezone=timezone)
        self._settings.forget(licensee_id)
        return hours

    def set_retention(self, licensee_id: str, days: int, actor: str) -> None:
        """How long conversations are kept after their last activity (DynamoDB TTL then removes them)."""
        if not 1 <= days <= 3650:
            raise KefuError("Retention is 1 to 3650 days.", code="OUT_OF_RANGE")
        self.chat_settings(licensee_id)
        self.store.update_settings(licensee_id, self._audit(licensee_id, "chat.retention_set", actor,
                                                            {"days": days}), retention_days=days)
        self._settings.forget(licensee_id)

    def rotate_identity_secret(self, licensee_id: str, actor: str) -> str:
        """A new HMAC secret for verified identity; shown once. The old one stops working at once."""
        secret = new_secret("kf_idv", 32)
        self.chat_settings(licensee_id)
        self.store.update_settings(licensee_id, self._audit(licensee_id, "chat.identity_secret_rotated", actor, {}),
                                   identity_secret=secret)
        self._settings.forget(licensee_id)
        return secret

    def retention(self, licensee_id: str) -> timedelta:
        days = self.chat_settings(licensee_id).retention_days or self.settings.chat_retention_days
        return timedelta(days=days)

    # -- availability ------------------------------------------------------------------------------------
    def agents(self, licensee_id: str, fresh: bool = False) -> list[Agent]:
        if fresh:
            self._agents.forget(licensee_id)
        return self._agents.get(licensee_id, lambda: self.store.agents(licensee_id))

    def unavailable(self, licensee_id: str) -> model.Unavailable | None:
        return model.unavailable(self.hours(licensee_id), self.agents(licensee_id), self.clock.now())

    # -- the shopper's side ------------------------------------------------------------------------------
    def visitor(self, licensee_id: str, token: str) -> Visitor:
        """Who a visitor token stands for (checked by signature: no database read when warm)."""
        return tokens.verify(token, licensee_id, self.chat_settings(licensee_id).token_secret, self.clock.now())

    def identify(self, licensee_id: str, customer_id: str, customer_hash: str) -> str:
        """Verified identity: the merchant's backend signed its customer id; the shopper gets a token that opens
        that customer's conversations on any device."""
        secret = self.chat_settings(licensee_id).identity_secret
        if secret is None:
            raise Forbidden("Verified identity is not enabled for this shop.", code="IDENTITY_NOT_ENABLED")
        if not model.identity_matches(secret, customer_id, customer_hash):
            raise Forbidden("The customer hash does not match the customer id.", code="IDENTITY_MISMATCH")
        digest = hashlib.sha256(f"{licensee_id}:{customer_id}".encode()).hexdigest()[:26]
        return self._token(Visitor(licensee_id, f"cus_{digest}", customer_id), VERIFIED_TOKEN_LIFETIME)

    def start(self, licensee_id: str, visitor: Visitor | None, *, text: str, name: str = "", email: str = "",
              client_id: str | None = None, client_ip: str = "", email_licensed: bool = False) -> Started:
        """A shopper's first message opens a conversation. It goes to the next online agent with room
        (round robin); when nobody can answer and the email channel is licensed, the address the shopper
        left takes the conversation over to email."""
        now = self.clock.now()
        retention = self.retention(licensee_id)
        ip_hash = hashlib.sha256(f"{licensee_id}:{client_ip}".encode()).hexdigest()[:32]
        ip_window = model.window(now, self.conversation_rule)
        if not self.store.count_new_conversation(licensee_id, ip_hash, ip_window, self.conversation_rule.limit,
                                                 now + timedelta(seconds=2 * self.conversation_rule.window_seconds)):
            raise self._rate_limited(now, self.conversation_rule, "TOO_MANY_CONVERSATIONS",
                                     "Too many new conversations from this address; try again later.")
        visitor = visitor or Visitor(licensee_id, new_id("vis"))
        agents = self.agents(licensee_id, fresh=True)
        reason = model.unavailable(self.hours(licensee_id), agents, now)
        assignee = model.choose_assignee(agents, now) if reason is None else None
        handover = email if (reason is not None and email and email_licensed) else ""
        conversation_id = new_id("cnv")
        first = Message(1, Author.VISITOR, text, now)
        client_hash = model.dedup_hash(client_id) if client_id else None
        new = NewConversation(licensee_id, conversation_id, visitor.visitor_id, visitor.customer_id, name, email,
                              now, now + retention, first, client_hash, model.window(now, self.message_rule),
                              handover)
        audits = []
        if handover:
            audits.append(self._audit(licensee_id, "conversation.handed_over", "system:chat", {
                "conversation_id": conversation_id, "reason": reason.value if reason else ""}))
        try:
            self.store.create(new, assignee, audits + self._assigned(licensee_id, conversation_id, assignee))
        except Conflict:
            if assignee is None:
                raise
            assignee = None  # that agent filled up meanwhile: the conversation waits in the open queue
            self.store.create(new, None, audits)
        self._agents.forget(licensee_id)
        self._remember(licensee_id, conversation_id, Tail(
            1, new.rate_window, 1, Status.OPEN, visitor.visitor_id, activity_minute(now),
            {client_hash: first} if client_hash else {}, Status.OPEN))
        self.metrics.count(CHAT_CONVERSATIONS,
                           outcome="handed_over" if handover else "assigned" if assignee else "unassigned")
        self.metrics.count(CHAT_MESSAGES, author=Author.VISITOR.value)
        conversation = Conversation(conversation_id, Status.OPEN, visitor.visitor_id, now, now, 1,
                                    visitor.customer_id, name, email, assignee.agent_id if assignee else None,
                                    assignee.name if assignee else "", handover, now if handover else None)
        lifetime = VERIFIED_TOKEN_LIFETIME if visitor.verified else retention
        return Started(conversation, first, self._token(visitor, lifetime), reason)

    def send_as_visitor(self, licensee_id: str, visitor: Visitor, conversation_id: str, text: str,
                        client_id: str | None) -> Message:
        """A shopper's message. A resolved conversation reopens; the same client_id twice is one message."""
        return self._send(licensee_id, conversation_id, Author.VISITOR, text, client_id, visitor=visitor)

    def poll(self, licensee_id: str, visitor: Visitor, conversation_id: str, after: int) -> Poll:
        """What is new in a conversation since the cursor: one Query, half a read unit when nothing is."""
        wait = self.polls.take(f"{licensee_id}|{visitor.visitor_id}")
        if wait is not None:
            self.metrics.count(CHAT_REFUSALS, code="TOO_MANY_POLLS")
            seconds = max(1, int(wait + 0.999))
            raise KefuError("This conversation is asked too often; wait a little.", code="TOO_MANY_POLLS",
                            status=429, details={"retry_after": seconds}, headers={"Retry-After": str(seconds)})
        conversation, messages, numbers = self.store.poll(licensee_id, conversation_id, after)
        if conversation is None or conversation.visitor_id != visitor.visitor_id:
            raise _not_found()
        cursor = model.advance(after, numbers, self.clock.now())
        return Poll([m for m in messages if m.number <= cursor], cursor, conversation)

    def visitor_conversations(self, licensee_id: str, visitor: Visitor) -> list[Conversation]:
        return self.store.visitor_conversations(licensee_id, visitor.visitor_id)

    # -- the agents' side --------------------------------------------------------------------------------
    def inbox(self, licensee_id: str, status: Status, next_token: str | None) -> tuple[list[Conversation], str | None]:
        """Conversations in one status, newest activity first, a page at a time."""
        return self.store.inbox(licensee_id, status, INBOX_PAGE, next_token)

    def timeline(self, licensee_id: str, conversation_id: str) -> tuple[Conversation, list[Message], list[Note]]:
        conversation, messages, notes = self.store.timeline(licensee_id, conversation_id)
        if conversation is None:
            raise _not_found()
        return conversation, messages, notes

    def reply(self, licensee_id: str, agent: KeyRecord, conversation_id: str, text: str,
              client_id: str | None) -> Message:
        """An agent's reply, shown to the shopper on the next poll."""
        return self._send(licensee_id, conversation_id, Author.AGENT, text, client_id, agent_name=agent.agent_name)

    def note(self, licensee_id: str, agent: KeyRecord, conversation_id: str, text: str) -> Note:
        """A private note for the merchant's agents; never shown to the shopper."""
        now = self.clock.now()
        note = Note(new_id("note"), agent.key_id, agent.agent_name, text, now)
        try:
            self.store.add_note(licensee_id, conversation_id, note, now + self.retention(licensee_id))
        except Conflict as exc:
            raise _not_found() from exc
        return note

    def assign(self, licensee_id: str, actor: KeyRecord, conversation_id: str, agent_id: str | None) -> Conversation:
        """Give a conversation to an agent of the same merchant (or to nobody, with None)."""
        current = self._current(licensee_id, conversation_id)
        target = None
        if agent_id is not None:
            key = next((k for k in self.licensing.keys(licensee_id)
                        if k.key_id == agent_id and k.kind is KeyKind.AGENT and k.active), None)
            if key is None:
                raise NotFound("This shop has no such agent.", code="UNKNOWN_AGENT")
            known = {a.agent_id: a for a in self.store.agents(licensee_id)}
            target = known.get(agent_id) or Agent(agent_id, key.agent_name, Presence.AWAY, None, 0, 5)
            if target.agent_id == current.assignee_id:
                return current
        elif current.assignee_id is None:
            return current
        self.store.change(licensee_id, current, assignee=target, unassign=target is None, at=self.clock.now(),
                          audit=self._audit(licensee_id, "conversation.assigned", f"agent:{actor.key_id}", {
                              "conversation_id": conversation_id, "from": current.assignee_id,
                              "to": target.agent_id if target else None}))
        self._agents.forget(licensee_id)
        return self._current(licensee_id, conversation_id)

    def set_status(self, licensee_id: str, actor: KeyRecord, conversation_id: str, status: Status) -> Conversation:
        """Open, pending (waiting on the shopper) or resolved. Resolving frees a place in the agent's load."""
        current = self._current(licensee_id, conversation_id)
        if not model.can_change(current.status, status):
            return current
        tail = self.store.tail(licensee_id, conversation_id)
        now = self.clock.now()
        self.store.change(licensee_id, current, status=status, at=now, tail=tail,
                          expires_at=now + self.retention(licensee_id),
                          audit=self._audit(licensee_id, "conversation.status_changed", f"agent:{actor.key_id}", {
                              "conversation_id": conversation_id, "from": current.status.value,
                              "to": status.value}))
        self._tails.pop((licensee_id, conversation_id), None)
        self._agents.forget(licensee_id)
        return self._current(licensee_id, conversation_id)

    def set_presence(self, licensee_id: str, agent: KeyRecord, presence: Presence, capacity: int | None) -> Agent:
        """An agent's console says online or away (and again every minute, so a closed console goes offline)."""
        found = self.store.set_presence(licensee_id, agent.key_id, agent.agent_name, presence, self.clock.now(),
                                        capacity)
        self._agents.forget(licensee_id)
        return found

    # -- internals ---------------------------------------------------------------------------------------
    def _send(self, licensee_id: str, conversation_id: str, author: Author, text: str, client_id: str | None, *,
              visitor: Visitor | None = None, agent_name: str = "") -> Message:
        """One conditional PutItem of the next chain item, decided from the tail this process knows (or reads):
        the client id not among the latest messages, the shopper's messages in this minute under the limit.
        The conversation item is written only when a shopper reopens it or its activity enters new ten minutes."""
        now = self.clock.now()
        expires_at = now + self.retention(licensee_id)
        window = model.window(now, self.message_rule)
        client_hash = model.dedup_hash(client_id) if client_id else None
        tail = self._tails.get((licensee_id, conversation_id))
        for _ in range(5):
            if tail is None:
                tail = self.store.tail(licensee_id, conversation_id)
            if tail is None or (visitor is not None and tail.visitor_id != visitor.visitor_id):
                raise _not_found()
            if client_hash and client_hash in tail.sent:
                return tail.sent[client_hash]  # a retried send: the message it already made
            count = tail.rate_count if tail.rate_window == window else 0
            if author is Author.VISITOR:
                if count >= self.message_rule.limit:
                    raise self._rate_limited(now, self.message_rule, "TOO_MANY_MESSAGES",
                                             "Too many messages in a minute; wait a moment and send again.")
                count += 1
            message = Message(tail.number + 1, author, text, now, agent_name)
            if self.store.put_message(licensee_id, conversation_id, message, client_hash, expires_at, window, count):
                break
            tail = None  # someone else took that number: read the chain again
        else:
            raise Conflict("The conversation is busy; send again.", code="CONCURRENT_CHANGE")
        reopen = author is Author.VISITOR and (tail.status is not Status.OPEN or tail.stored_status is not Status.OPEN)
        sent = {**tail.sent, client_hash: message} if client_hash else dict(tail.sent)
        after = Tail(message.number, window, count, Status.OPEN if author is Author.VISITOR else tail.status,
                     tail.visitor_id, tail.bucket, dict(list(sent.items())[-TAIL_READ:]), tail.stored_status)
        bucket = activity_minute(now)
        if reopen or bucket != tail.bucket:
            touched = self.store.touch(licensee_id, conversation_id, at=now, number=message.number,
                                       expires_at=expires_at + BOOKKEEPING_SLACK, reopen=reopen)
            if reopen and touched is None:  # it was open already (reopened by another writer): activity only
                self.store.touch(licensee_id, conversation_id, at=now, number=message.number,
                                 expires_at=expires_at + BOOKKEEPING_SLACK, reopen=False)
            after.bucket = bucket
            if reopen:
                after.stored_status = Status.OPEN
                if touched is not None and touched.prior_status is Status.RESOLVED and touched.assignee_id:
                    self.store.reopened(licensee_id, touched.assignee_id, now)
        self._remember(licensee_id, conversation_id, after)
        self.metrics.count(CHAT_MESSAGES, author=author.value)
        return message

    def _remember(self, licensee_id: str, conversation_id: str, tail: Tail) -> None:
        if len(self._tails) > 10_000:
            self._tails.clear()
        self._tails[(licensee_id, conversation_id)] = tail

    def _current(self, licensee_id: str, conversation_id: str) -> Conversation:
        found = self.store.conversation(licensee_id, conversation_id)
        if found is None:
            raise _not_found()
        return found[0]

    def _assigned(self, licensee_id: str, conversation_id: str, assignee: Agent | None) -> list[AuditRecord]:
        if assignee is None:
            return []
        return [self._audit(licensee_id, "conversation.assigned", "system:round-robin", {
            "conversation_id": conversation_id, "from": None, "to": assignee.agent_id})]

    def _token(self, visitor: Visitor, lifetime: timedelta) -> str:
        return tokens.sign(visitor, self.chat_settings(visitor.licensee_id).token_secret, self.clock.now(), lifetime)

    def _rate_limited(self, now: datetime, rule: RateLimit, code: str, message: str) -> KefuError:
        self.metrics.count(CHAT_REFUSALS, code=code)
        wait = model.retry_after(now, rule)
        return KefuError(message, code=code, status=429, details={"retry_after": wait},
                         headers={"Retry-After": str(wait)})

    def _audit(self, licensee_id: str, action: str, actor: str, details: dict[str, Any]) -> AuditRecord:
        return AuditRecord(subject=f"chat:{licensee_id}", action=action, actor=actor, at=self.clock.now(),
                           details=details)


def _not_found() -> NotFound:
    # the same answer for "no such conversation" and "not yours": nobody learns which ids exist
    return NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
