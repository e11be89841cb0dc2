"""Gathers the facts of a report from the chat and mail areas and hands them to the pure `report`.

It reads the conversations and tickets active since the period's first day (newest first, so it stops at
the first older one) and each one's thread: fine for a shop's days and weeks; a shop with tens of thousands
of items a month wants counters kept on write instead (the facts stay the same)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from chalicelib.audit import store as audit_store
from chalicelib.chat.model import Author, Status
from chalicelib.chat.service import ChatService
from chalicelib.licensing.model import Channel
from chalicelib.mail.service import MailService
from chalicelib.reports import model
from chalicelib.reports.model import Facts

Item = TypeVar("Item")
PAGE = 100
MAX_ITEMS = 2000  # per channel and status: a bound on what one request reads


class ReportService:
    def __init__(self, chat: ChatService, mail: MailService) -> None:
        self.chat = chat
        self.mail = mail

    def report(self, licensee_id: str, start: date, end: date, channels: frozenset[Channel]) -> dict[str, Any]:
        """The shop's report for the days start..end, in the shop's time zone."""
        tz = ZoneInfo(self.chat.chat_settings(licensee_id).timezone)
        since = datetime.combine(start, time.min, tz)
        facts: list[Facts] = []
        if Channel.CHAT in channels:
            facts += self._chats(licensee_id, since)
        if Channel.EMAIL in channels:
            facts += self._tickets(licensee_id, since)
        return model.report(facts, start, end, tz)

    def _chats(self, licensee_id: str, since: datetime) -> list[Facts]:
        out = []
        for status in Status:
            for conversation in _since(partial(self.chat.store.inbox, licensee_id, status, PAGE),
                                       attrgetter("last_activity"), since):
                if conversation.created_at < since:
                    continue
                _, messages, _ = self.chat.store.timeline(licensee_id, conversation.conversation_id)
                answer = next((m for m in messages if m.author is Author.AGENT), None)
                resolved = next((at for value, at in self.chat.store.statuses(
                    licensee_id, conversation.conversation_id) if value == Status.RESOLVED.value), None)
                out.append(Facts("chat", conversation.created_at, answer.created_at if answer else None,
                                 answer.agent_name if answer else None, resolved,
                                 handed_over=bool(conversation.handover_email)))
        return out

    def _tickets(self, licensee_id: str, since: datetime) -> list[Facts]:
        closed: dict[str, datetime] = {}
        for record in audit_store.history(f"licensee:{licensee_id}", since):
            ticket_id = record.details.get("ticket_id")
            if record.action == "ticket.closed" and ticket_id and ticket_id not in closed:
                closed[ticket_id] = record.at
        out = []
        for status in ("open", "pending", "closed"):
            for ticket in _since(partial(self.mail.store.list_tickets, licensee_id, status, PAGE),
                                 attrgetter("last_activity_at"), since):
                if ticket.created_at < since:
                    continue
                messages = self.mail.store.messages(licensee_id, ticket.ticket_id)
                agent_started = bool(messages) and messages[0].direction == "outbound"
                answer = next((m for m in messages if m.direction == "outbound" and m.kind == "reply"
                               and (m.author or "").startswith("agent:")), None)
                out.append(Facts("ticket", ticket.created_at, answer.created_at if answer else None,
                                 answer.author_name if answer else None, closed.get(ticket.ticket_id),
                                 agent_started=agent_started))
        return out


def _since(fetch: Callable[[str | None], tuple[list[Item], str | None]], activity: Callable[[Item], datetime],
           since: datetime) -> Iterator[Item]:
    """Pages of a newest-first list until one reaches back before `since` (or MAX_ITEMS were read)."""
    following: str | None = None
    seen = 0
    while seen < MAX_ITEMS:
        page, following = fetch(following)
        seen += len(page)
        yield from page
        if not following or (page and activity(page[-1]) < since):
            return
