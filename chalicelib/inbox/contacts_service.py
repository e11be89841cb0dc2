"""The contact view's use case: one customer's tickets, chats and calls together, of one shop only.

A contact is found by the address or number asked for, and one hop further: tickets that mention a phone number
add that number (and its calls), tickets found by a number add their customer's address (and its chats)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.chat.model import Status
from chalicelib.chat.service import ChatService
from chalicelib.inbox import contacts as rules
from chalicelib.inbox.model import Entry
from chalicelib.inbox.service import PAGE, InboxService, entry_of_conversation, entry_of_ticket
from chalicelib.licensing.model import Channel
from chalicelib.mail.service import MailService

CALL_PAGES = 5  # pages of the shop's newest calls read for one customer's (100 each)


@dataclass
class ContactView:
    who: rules.Who
    name: str = ""
    tickets: list[Entry] = field(default_factory=list)
    chats: list[Entry] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)


class ContactService:
    def __init__(self, chat: ChatService, mail: MailService, phone: Any, inbox: InboxService) -> None:
        self.chat, self.mail, self.phone, self.inbox = chat, mail, phone, inbox

    def view(self, licensee_id: str, contact_id: str, channels: frozenset[Channel]) -> ContactView:
        """Everything of the shop's about one customer, newest first in each list. A contact nobody knows is an
        empty view, not an error: the customer may simply not have written yet."""
        who = rules.read(contact_id)
        out = ContactView(who)
        if Channel.EMAIL in channels:
            out.tickets = self._tickets(licensee_id, who)
            for address in who.emails:
                known = self.mail.store.contact(licensee_id, address)
                if known is not None and known.name and not out.name:
                    out.name = known.name
        if Channel.CHAT in channels and who.emails:
            out.chats = self._chats(licensee_id, who)
            out.name = out.name or next((e.title for e in out.chats if e.title and "@" not in e.title), "")
        if Channel.PHONE in channels and who.phones and self.phone is not None:
            out.calls = self._calls(licensee_id, who)
        out.tickets = self.inbox.with_tags(licensee_id, out.tickets)
        out.chats = self.inbox.with_tags(licensee_id, out.chats)
        return out

    def _tickets(self, licensee_id: str, who: rules.Who) -> list[Entry]:
        by_phone = [t for t in (rules.mail_lookup(p) for p in who.phones) if t]
        by_email = [f"email:{e}" for e in who.emails]
        ids = [i for term in by_email + by_phone for i in self.mail.store.find(licensee_id, term)]
        tickets = list(self.mail.store.tickets((licensee_id, i) for i in dict.fromkeys(ids)).values())
        for ticket in tickets:  # one hop: the customer's address, numbers they wrote
            who.add_email(ticket.contact)
            for number in rules.mentioned_phones([ticket.subject, ticket.preview or ""]):
                who.add_phone(number)
        more = [f"email:{e}" for e in who.emails if f"email:{e}" not in by_email]
        extra = [i for term in more for i in self.mail.store.find(licensee_id, term) if i not in ids]
        if extra:
            tickets += self.mail.store.tickets((licensee_id, i) for i in dict.fromkeys(extra)).values()
        return sorted((entry_of_ticket(t) for t in tickets), key=lambda e: e.last_activity, reverse=True)

    def _chats(self, licensee_id: str, who: rules.Who) -> list[Entry]:
        # Conversations are kept by status and activity, not by address: the recent ones of each status are read.
        found = [c for status in Status for c in self.chat.store.inbox(licensee_id, status, PAGE * 2, None)[0]
                 if (c.visitor_email or "").lower() in who.emails or (c.handover_email or "").lower() in who.emails]
        return sorted((entry_of_conversation(c, "") for c in found), key=lambda e: e.last_activity, reverse=True)

    def _calls(self, licensee_id: str, who: rules.Who) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []
        for number in who.phones:
            cursor = None
            for _ in range(CALL_PAGES):
                page = self.phone.list_calls(licensee_id, 100, cursor, customer=number)
                calls += page["items"]
                cursor = page["next"]
                if not cursor:
                    break
        return sorted(calls, key=lambda c: c["started_at"] or "", reverse=True)
