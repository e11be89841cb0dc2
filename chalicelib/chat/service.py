"""Chat use cases: what the storefront widget asks for a shopper and what agents do in the console.

Every function takes the merchant (licensee) first, as the guard established it from the key; nothing here
trusts a merchant id from a request body."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import chalicelib.i18n as i18n
from chalicelib.audit.model import AuditRecord
from chalicelib.chat import model, stamps, tokens
from chalicelib.chat.files import FILE_LINK_SECONDS as FILE_LINK_SECONDS  # where callers found it
from chalicelib.chat.files import Files
from chalicelib.chat.model import (
    Agent,
    Author,
    ChatSettings,
    Conversation,
    Known,
    Message,
    NewConversation,
    Note,
    Presence,
    RateLimit,
    Status,
)
from chalicelib.chat.sending import Sending
from chalicelib.chat.shop import ShopSettings
from chalicelib.chat.store import ChatStore, StartTaken, activity_minute, start_pk
from chalicelib.chat.tokens import Visitor
from chalicelib.core.blobs import BlobStore
from chalicelib.core.cache import TtlCache
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, Forbidden, KefuError, NotFound
from chalicelib.core.ids import new_id
from chalicelib.core.limits import WindowLimiter
from chalicelib.core.observability import logger
from chalicelib.licensing.model import KeyKind, KeyRecord
from chalicelib.licensing.service import LicensingService
from chalicelib.metrics import CHAT_CONVERSATIONS, CHAT_MESSAGES, CHAT_REFUSALS, MetricsSink
from chalicelib.settings import Settings

VERIFIED_TOKEN_LIFETIME = timedelta(days=1)  # the storefront identifies a signed-in shopper again on each visit
INBOX_PAGE = 25


@dataclass(frozen=True)
class Started:
    conversation: Conversation
    first: Message
    visitor_token: str
    unavailable: model.Unavailable | None
    replayed: bool = False  # the same first message sent again: the conversation it opened the first time


@dataclass(frozen=True)
class Poll:
    messages: list[Message]
    cursor: str
    conversation: Conversation


class EmailChannel(Protocol):
    """What chat asks of the email channel when a conversation is handed over (the mail area implements it)."""

    def open_ticket_from_chat(self, licensee_id: str, conversation_id: str, contact: str, name: str,
                              transcript: str, first_line: str, locale: str,
                              files: tuple[model.Attachment, ...] = ()) -> tuple[str, bool]: ...

    def reply_from_chat(self, licensee_id: str, ticket_id: str, conversation_id: str, number: int | str,
                        text: str, author: str, files: tuple[model.Attachment, ...] = (),
                        locale: str = i18n.DEFAULT) -> bool: ...


Publish = Callable[[str, str, dict[str, Any]], object]  # (licensee, audience, event): the realtime service's


class ChatService(ShopSettings, Files, Sending):
    """Chat's use cases; the merchant's settings (chat/shop.py) and files (chat/files.py) are its parts too."""

    def __init__(self, store: ChatStore, clock: Clock, licensing: LicensingService, settings: Settings,
                 metrics: MetricsSink, email: EmailChannel | None = None, blobs: BlobStore | None = None) -> None:
        self.store = store
        self.email = email
        self.blobs = blobs
        self.publish: Publish | None = None  # set by bootstrap when push is on
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
        # What this process knows of each conversation it wrote to or read lately: a warm send is one write.
        # What another process changed meanwhile costs nothing here: keys do not depend on it (see `_send`).
        self._known: dict[tuple[str, str], Known] = {}
        self.stamps = stamps.Stamper()


    # -- availability ------------------------------------------------------------------------------------
    def agents(self, licensee_id: str, fresh: bool = False) -> list[Agent]:
        if fresh:
            self._agents.forget(licensee_id)
        return self._agents.get(licensee_id, lambda: self.store.agents(licensee_id))

    def available_agents(self, licensee_id: str) -> list[tuple[str, str]]:
        """(id, name) of the agents online now, under capacity and holding an active key: who may take new
        work from another channel (email tickets go to them in turn)."""
        lic = self.licensing.license(licensee_id)
        holders = frozenset(k.key_id for k in (lic.keys if lic else ()) if k.kind is KeyKind.AGENT and k.active)
        now = self.clock.now()
        return [(a.agent_id, a.name) for a in self.agents(licensee_id)
                if model.is_online(a, now) and a.open_count < a.capacity and a.agent_id in holders]

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
              client_id: str | None = None, client_ip: str = "", email_licensed: bool = False,
              locale: str = i18n.DEFAULT) -> Started:
        """A shopper's first message opens a conversation. It goes to the next online agent with room
        (round robin); when nobody can answer and the email channel is licensed, the address the shopper
        left takes the conversation over to email."""
        now = self.clock.now()
        start_key = start_pk(licensee_id, visitor.visitor_id if visitor else None, client_id) \
            if client_id else None
        if start_key is not None:  # a retry is answered before it counts against the address's limit
            taken = self.store.started(start_key)
            if taken is not None:
                return self._restarted(licensee_id, visitor, *taken)
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
        first = Message(self.stamps.next(now), Author.VISITOR, text, now)
        client_hash = model.dedup_hash(client_id) if client_id else None
        new = NewConversation(licensee_id, conversation_id, visitor.visitor_id, visitor.customer_id, name, email,
                              now, now + retention, first, client_hash, model.window(now, self.message_rule),
                              handover, start_key, locale)
        audits = []
        if handover:
            audits.append(self._audit(licensee_id, "conversation.handed_over", "system:chat", {
                "conversation_id": conversation_id, "reason": reason.value if reason else ""}))
        try:
            try:
                self.store.create(new, assignee, audits + self._assigned(licensee_id, conversation_id, assignee))
            except Conflict:
                if assignee is None:
                    raise
                assignee = None  # that agent filled up meanwhile: the conversation waits in the open queue
                self.store.create(new, None, audits)
        except StartTaken as taken:  # the same first message, sent at the same time by another instance
            return self._restarted(licensee_id, visitor, taken.conversation_id, taken.visitor_id)
        self._agents.forget(licensee_id)
        self._remember(licensee_id, conversation_id, Known(
            visitor.visitor_id, Status.OPEN, "", activity_minute(now), {client_hash: first} if client_hash else {},
            rate_window=new.rate_window, rate_count=1))
        self.metrics.count(CHAT_CONVERSATIONS,
                           outcome="handed_over" if handover else "assigned" if assignee else "unassigned")
        self.metrics.count(CHAT_MESSAGES, author=Author.VISITOR.value)
        conversation = Conversation(conversation_id, Status.OPEN, visitor.visitor_id, now, now, 1,
                                    visitor.customer_id, name, email, assignee.agent_id if assignee else None,
                                    assignee.name if assignee else "", handover, now if handover else None,
                                    locale=locale, last_key=first.key)
        if handover:
            conversation = replace(conversation, ticket_id=self._open_ticket(licensee_id, conversation, [first]))
        self._published(licensee_id, "agents", {"type": "conversation", "conversation_id": conversation_id,
                                                "message": self._event_message(licensee_id, first)})
        lifetime = VERIFIED_TOKEN_LIFETIME if visitor.verified else retention
        return Started(conversation, first, self._token(visitor, lifetime), reason)

    def _restarted(self, licensee_id: str, visitor: Visitor | None, conversation_id: str,
                   visitor_id: str) -> Started:
        """The answer to a first message sent again: the conversation it opened and a token for its visitor."""
        conversation, messages, _ = self.store.timeline(licensee_id, conversation_id)
        if conversation is None or not messages or conversation.visitor_id != visitor_id:
            raise _not_found()
        owner = visitor if visitor is not None and visitor.visitor_id == visitor_id else \
            Visitor(licensee_id, visitor_id, conversation.customer_id)
        lifetime = VERIFIED_TOKEN_LIFETIME if owner.verified else self.retention(licensee_id)
        reason = self.unavailable(licensee_id) if conversation.assignee_id is None else None
        if conversation.handover_email and not conversation.ticket_id:  # the first attempt stopped half way
            conversation = replace(conversation, ticket_id=self._open_ticket(licensee_id, conversation, messages))
        return Started(conversation, messages[0], self._token(owner, lifetime), reason, replayed=True)

    def hand_over(self, licensee_id: str, visitor: Visitor, conversation_id: str, email: str,
                  email_licensed: bool) -> Conversation:
        """The shopper asks to be answered by email (nobody answered, or they would rather): the conversation
        becomes a ticket with its transcript. Asking again changes nothing."""
        if not email_licensed:
            raise Forbidden("This shop does not answer by email.", code="EMAIL_NOT_LICENSED")
        conversation, messages, _ = self.store.timeline(licensee_id, conversation_id)
        if conversation is None or conversation.visitor_id != visitor.visitor_id:
            raise _not_found()
        now = self.clock.now()
        if not conversation.handover_email:
            self.store.hand_over(licensee_id, conversation_id, email, now, now + self.retention(licensee_id),
                                 self._audit(licensee_id, "conversation.handed_over", "visitor", {
                                     "conversation_id": conversation_id, "reason": "shopper_chose_email"}))
            found = self.store.conversation(licensee_id, conversation_id)
            assert found is not None
            conversation = found[0]
        if not conversation.ticket_id:
            conversation = replace(conversation, ticket_id=self._open_ticket(licensee_id, conversation, messages))
        return conversation

    def end(self, licensee_id: str, visitor: Visitor, conversation_id: str) -> Conversation:
        """The shopper ends the chat: it is resolved (and may then be rated). Ending it again changes nothing."""
        current = self._current(licensee_id, conversation_id)
        if current.visitor_id != visitor.visitor_id:
            raise _not_found()
        if current.status is Status.RESOLVED:
            return current
        self._change_status(licensee_id, current, Status.RESOLVED, "visitor")
        self._agents.forget(licensee_id)
        self._published(licensee_id, "agents", {"type": "status", "conversation_id": conversation_id,
                                                "status": Status.RESOLVED.value})
        return self._current(licensee_id, conversation_id)

    def rate(self, licensee_id: str, visitor: Visitor, conversation_id: str, rating: int, comment: str) -> None:
        """The shopper's satisfaction (1 to 5, and a comment) once the conversation is resolved; once."""
        current = self._current(licensee_id, conversation_id)
        if current.visitor_id != visitor.visitor_id:
            raise _not_found()
        if current.status is not Status.RESOLVED:
            raise Conflict("A conversation can be rated once it has ended.", code="NOT_RESOLVED")
        if not self.store.rate(licensee_id, conversation_id, rating, comment, self.clock.now(),
                               self._audit(licensee_id, "conversation.rated", "visitor", {
                                   "conversation_id": conversation_id, "rating": rating})):
            raise Conflict("This conversation has been rated already.", code="ALREADY_RATED")

    def _open_ticket(self, licensee_id: str, conversation: Conversation, messages: list[Message]) -> str:
        """The email ticket of a handed-over conversation (the mail side keys it by conversation: once)."""
        if self.email is None:
            return ""
        locale = conversation.locale or i18n.DEFAULT
        labels = {Author.VISITOR: conversation.visitor_name or i18n.text("widget", "mail.transcript.visitor", locale),
                  Author.AGENT: i18n.text("widget", "mail.transcript.agent", locale)}
        text = model.transcript(messages, labels, labels[Author.AGENT])
        first = messages[0].text.splitlines()[0] if messages else ""
        files = tuple(m.attachment for m in messages if m.attachment is not None)  # kept with the transcript
        ticket_id, _ = self.email.open_ticket_from_chat(licensee_id, conversation.conversation_id,
                                                        conversation.handover_email, conversation.visitor_name,
                                                        text, first, locale, files)
        self.store.link_ticket(licensee_id, conversation.conversation_id, ticket_id)
        known = self._known.get((licensee_id, conversation.conversation_id))
        if known is not None:
            known.ticket_id = ticket_id
        return ticket_id

    def send_as_visitor(self, licensee_id: str, visitor: Visitor, conversation_id: str, text: str,
                        client_id: str | None) -> Message:
        """A shopper's message. A resolved conversation reopens; the same client_id twice is one message."""
        return self._send(licensee_id, conversation_id, Author.VISITOR, text, client_id, visitor=visitor)

    def poll(self, licensee_id: str, visitor: Visitor, conversation_id: str, after: stamps.Cursor) -> Poll:
        """What is new in a conversation since the cursor: one Query, half a read unit when nothing is. The
        Query reads back a little from the cursor (stamps.Cursor): what it finds there that the caller does not
        hold (a message stamped earlier than one polled before, or late on this replica) is handed out too."""
        wait = self.polls.take(f"{licensee_id}|{visitor.visitor_id}")
        if wait is not None:
            self.metrics.count(CHAT_REFUSALS, code="TOO_MANY_POLLS")
            seconds = max(1, int(wait + 0.999))
            raise KefuError("This conversation is asked too often; wait a little.", code="TOO_MANY_POLLS",
                            status=429, details={"retry_after": seconds}, headers={"Retry-After": str(seconds)})
        conversation, messages = self.store.poll(licensee_id, conversation_id, after.read_from())
        if conversation is None or conversation.visitor_id != visitor.visitor_id:
            raise _not_found()
        new, cursor = stamps.poll_cursor(after, [(m.key, m.created_at) for m in messages], self.clock.now())
        conversation = self._repaired(licensee_id, conversation, messages)
        return Poll([m for m in messages if m.key in new], str(cursor), conversation)

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
        return self._repaired(licensee_id, conversation, messages), messages, notes

    def reply(self, licensee_id: str, agent: KeyRecord, conversation_id: str, text: str,
              client_id: str | None) -> Message:
        """An agent's reply: pushed to the shopper (or seen on their next poll) and, when the conversation was
        handed over to email, sent as email on its ticket's thread, once per chat message."""
        message = self._send(licensee_id, conversation_id, Author.AGENT, text, client_id,
                             agent_name=agent.agent_name)
        self.mail_on_ticket(licensee_id, conversation_id, message, f"agent:{agent.key_id}")
        return message

    def mail_on_ticket(self, licensee_id: str, conversation_id: str, message: Message, author: str,
                       conversation: Conversation | None = None) -> None:
        """An agent's message (text, or a file) in a conversation handed over to email goes out on its ticket's
        thread, once per chat message (the mail side keys it by the message). `conversation`, when the caller
        read it, says whether it was handed over; else what this process knows, and a process that knows
        nothing of it (a retry landing on another instance) reads it, so that a send cut short is completed."""
        if self.email is None:
            return
        known = self._known.get((licensee_id, conversation_id))
        if conversation is None and known is None:
            conversation = self._current(licensee_id, conversation_id)
        ticket_id = conversation.ticket_id if conversation is not None else known.ticket_id if known else ""
        if not ticket_id:
            return
        files = (message.attachment,) if message.attachment is not None else ()
        locale = (conversation.locale if conversation is not None else "") or i18n.DEFAULT
        self.email.reply_from_chat(licensee_id, ticket_id, conversation_id, message.key, message.text, author,
                                   files, locale)

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
        self._change_status(licensee_id, current, status, f"agent:{actor.key_id}")
        self._published(licensee_id, f"conversation:{conversation_id}",
                        {"type": "status", "conversation_id": conversation_id, "status": status.value})
        return self._current(licensee_id, conversation_id)

    def set_presence(self, licensee_id: str, agent: KeyRecord, presence: Presence, capacity: int | None) -> Agent:
        """An agent's console says online or away (and again every minute, so a closed console goes offline)."""
        found = self.store.set_presence(licensee_id, agent.key_id, agent.agent_name, presence, self.clock.now(),
                                        capacity)
        self._agents.forget(licensee_id)
        return found

    # -- internals ---------------------------------------------------------------------------------------
    def message_dict(self, licensee_id: str, message: Message) -> dict[str, Any]:
        """A message as the widget and the console see it (polls and pushes alike)."""
        out: dict[str, Any] = {"id": message.message_id, "author": message.author.value, "text": message.text,
                               "created_at": message.created_at.isoformat()}
        if message.agent_name:
            out["agent_name"] = message.agent_name
        if message.attachment is not None:
            out["file"] = self.file_dict(licensee_id, message.attachment)
        return out

    def _event_message(self, licensee_id: str, message: Message) -> dict[str, Any]:
        """A message as pushed: what the widget's poll gives (its id sorts as the conversation's messages do:
        a client shows it in its place; the next poll hands out whatever a push missed)."""
        return self.message_dict(licensee_id, message)

    def _published(self, licensee_id: str, audience: str, event: dict[str, Any]) -> None:
        """Push an event to whoever listens (shoppers' widgets, agents' consoles). Push is a shortcut: the
        message is stored already and every client catches up from its cursor, so a failed push is only logged."""
        if self.publish is None:
            return
        try:
            self.publish(licensee_id, audience, event)
        except Exception:
            logger.exception("push failed", extra={"audience": audience.split(":")[0]})

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


_not_found = model.conversation_not_found
