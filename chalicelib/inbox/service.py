"""The inbox use case: read a view of the shop's chats and tickets, or what changed in it since a cursor.

Polling with the cursor is the fallback of live updates; a push channel delivers the same `Entry` shapes
(`InboxService.entry_of_*`) when something changes, and the console refreshes from either."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.chat.model import Conversation, Status
from chalicelib.chat.service import ChatService
from chalicelib.core.errors import InvalidInput
from chalicelib.inbox import model
from chalicelib.inbox import tags as tag_rules
from chalicelib.inbox.model import CHAT_STATUSES, TICKET_STATUSES, Entry, View
from chalicelib.licensing.model import Channel
from chalicelib.mail.model import Ticket
from chalicelib.mail.service import MailService

if TYPE_CHECKING:
    from chalicelib.inbox.tags_store import TagStore

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE = 50  # newest first, per status and channel: a view shows this many at most


class InboxService:
    def __init__(self, chat: ChatService, mail: MailService, tags: TagStore | None = None) -> None:
        self.chat = chat
        self.mail = mail
        self.tags = tags

    def entries(self, licensee_id: str, agent_id: str, chosen: View, channels: frozenset[Channel],
                since: datetime | None = None, tag: str | None = None) -> list[Entry]:
        """The view, newest activity first; with `since`, only the entries that moved after it; with `tag`,
        only those that carry it. Each entry with its tags."""
        if tag is not None:
            chosen_ones = model.select(self.tagged(licensee_id, tag, channels), chosen, agent_id, since, PAGE,
                                       statuses=True)
            return self.with_tags(licensee_id, chosen_ones)
        return self.with_tags(licensee_id, self._view(licensee_id, agent_id, chosen, channels, since))

    def _view(self, licensee_id: str, agent_id: str, chosen: View, channels: frozenset[Channel],
              since: datetime | None) -> list[Entry]:
        found: list[Entry] = []
        if Channel.CHAT in channels:
            conversations = [c for status in CHAT_STATUSES[chosen]
                             for c in self.chat.store.inbox(licensee_id, Status(status), PAGE, None)[0]]
            if since is not None:
                conversations = [c for c in conversations if c.last_activity > since]
            last = self.chat.store.last_messages(licensee_id, [(c.conversation_id, c.last_key)
                                                               for c in conversations])
            found += [entry_of_conversation(c, last.get(c.conversation_id, "")) for c in conversations]
        if Channel.EMAIL in channels:
            for status in TICKET_STATUSES[chosen]:
                tickets, _ = self.mail.store.list_tickets(licensee_id, status, PAGE, None)
                found += [entry_of_ticket(t) for t in tickets]
        return model.select(found, chosen, agent_id, since, PAGE)

    def tagged(self, licensee_id: str, tag: str, channels: frozenset[Channel]) -> list[Entry]:
        """The shop's chats and tickets that carry a tag (of the licensed channels), in no order."""
        if self.tags is None:
            return []
        keys = self.tags.tagged(licensee_id, tag)
        found: list[Entry] = []
        if Channel.CHAT in channels:
            for _, conversation_id in (k for k in keys if k[0] == "chat"):
                stored = self.chat.store.conversation(licensee_id, conversation_id)
                if stored is not None:  # a chat past the shop's retention is gone, its tag with it
                    found.append(entry_of_conversation(stored[0], ""))
        if Channel.EMAIL in channels:
            tickets = self.mail.store.tickets((licensee_id, i) for kind, i in keys if kind == "ticket")
            found += [entry_of_ticket(t) for t in tickets.values()]
        return found

    def with_tags(self, licensee_id: str, entries: list[Entry]) -> list[Entry]:
        """The entries with their tags (one BatchGet for the page)."""
        if self.tags is None or not entries:
            return entries
        known = self.tags.many(licensee_id, ((e.kind, e.entry_id) for e in entries if e.kind != "contact"))
        return [replace(e, tags=known.get((e.kind, e.entry_id), ())) for e in entries]

    def search(self, licensee_id: str, query: str, channels: frozenset[Channel]) -> list[Entry]:
        """The shop's tickets, chats and customers that a query finds, best first: exact hits (a ticket number,
        a customer's address, an order or phone number a customer mentioned) from lookups kept with every
        ticket, then words found in the subjects, names, addresses and last messages of the recent ones."""
        terms = model.search_terms(query)
        if not terms.text:
            return []
        exact: list[Entry] = []
        recent: list[Entry] = []
        named = tag_rules.searched_tag(query)
        if named is not None:  # `tag:退款`: exactly what carries the tag, nothing else
            return self.with_tags(licensee_id, model.rank(self.tagged(licensee_id, named, channels), [], ""))
        exact += self._tagged_as(licensee_id, terms.text, channels)
        if Channel.EMAIL in channels:
            ids: list[str] = []
            if terms.number is not None:
                found = self.mail.store.ticket_by_number(licensee_id, terms.number)
                ids += [found] if found else []
            for term in terms.lookups:
                ids += self.mail.store.find(licensee_id, term)
            exact += [entry_of_ticket(t) for t in self.mail.store.tickets(
                (licensee_id, i) for i in dict.fromkeys(ids)).values()]
            for status in ("open", "pending", "closed"):
                recent += [entry_of_ticket(t) for t in self.mail.store.list_tickets(licensee_id, status, PAGE, None)[0]]
            recent += [Entry("contact", c.address, "", c.name or c.address, "", _EPOCH, None, None, contact=c.address)
                       for c in self.mail.store.contacts(licensee_id)]
        if Channel.CHAT in channels:
            for status in Status:
                recent += [entry_of_conversation(c, "") for c in
                           self.chat.store.inbox(licensee_id, status, PAGE, None)[0]]
        return self.with_tags(licensee_id, model.rank(exact, recent, terms.text))

    def _tagged_as(self, licensee_id: str, text: str, channels: frozenset[Channel]) -> list[Entry]:
        """A query that is a tag finds what carries it among the exact hits."""
        try:
            return self.tagged(licensee_id, tag_rules.tag(text), channels)
        except InvalidInput:
            return []


def entry_of_conversation(conversation: Conversation, preview: str) -> Entry:
    status = "closed" if conversation.status is Status.RESOLVED else conversation.status.value
    return Entry("chat", conversation.conversation_id, status,
                 conversation.visitor_name or conversation.visitor_email or "", " ".join(preview.split())[:120],
                 conversation.last_activity, conversation.assignee_id, conversation.assignee_name or None,
                 contact=conversation.visitor_email)


def entry_of_ticket(ticket: Ticket) -> Entry:
    return Entry("ticket", ticket.ticket_id, ticket.status, ticket.subject, ticket.preview or "",
                 ticket.last_activity_at, ticket.assignee_id, ticket.assignee_name, ticket.number, ticket.contact)
