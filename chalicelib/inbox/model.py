"""The inbox as pure rules: which views there are, how a chat and a ticket look side by side, what a view
holds and what changed since a cursor. No storage here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.core.errors import InvalidInput


class View(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    CLOSED = "closed"            # a chat's "resolved", a ticket's "closed"
    MINE = "mine"                # open or pending, assigned to the asking agent
    UNASSIGNED = "unassigned"    # open or pending, nobody's


# Which stored statuses a view reads, per channel.
CHAT_STATUSES = {View.OPEN: ("open",), View.PENDING: ("pending",), View.CLOSED: ("resolved",),
                 View.MINE: ("open", "pending"), View.UNASSIGNED: ("open", "pending")}
TICKET_STATUSES = {View.OPEN: ("open",), View.PENDING: ("pending",), View.CLOSED: ("closed",),
                   View.MINE: ("open", "pending"), View.UNASSIGNED: ("open", "pending")}


# The statuses an entry (chat or ticket, as the list shows them) has in each view.
_VIEW_STATUSES = {View.OPEN: ("open",), View.PENDING: ("pending",), View.CLOSED: ("closed",),
                  View.MINE: ("open", "pending"), View.UNASSIGNED: ("open", "pending")}


@dataclass(frozen=True)
class Entry:
    """A chat or a ticket as the list shows it."""

    kind: str                    # chat | ticket
    entry_id: str
    status: str                  # open | pending | closed
    title: str
    preview: str
    last_activity: datetime
    assignee_id: str | None
    assignee_name: str | None
    number: int | None = None    # tickets only
    contact: str = ""
    tags: tuple[str, ...] = ()


def view(value: str | None) -> View:
    try:
        return View(value or View.OPEN.value)
    except ValueError:
        raise InvalidInput("view is one of open, pending, closed, mine, unassigned.", code="INVALID_CHOICE",
                           details={"field": "view", "choices": [v.value for v in View]}) from None


def select(entries: Iterable[Entry], chosen: View, agent_id: str, since: datetime | None, limit: int,
           statuses: bool = False) -> list[Entry]:
    """The view's entries, newest activity first: mine and unassigned filter by assignee; with a cursor, only
    what moved after it. With `statuses`, entries read by id (a tag's) are kept only in their view's statuses."""
    kept = [e for e in entries
            if (not statuses or e.status in _VIEW_STATUSES[chosen])
            and (chosen is not View.MINE or e.assignee_id == agent_id)
            and (chosen is not View.UNASSIGNED or e.assignee_id is None)
            and (since is None or e.last_activity > since)]
    kept.sort(key=lambda e: (e.last_activity, e.entry_id), reverse=True)
    return kept[:limit]


def cursor(entries: Iterable[Entry], previous: datetime | None) -> datetime | None:
    """What the next poll sends: the latest activity seen so far."""
    return max([e.last_activity for e in entries] + ([previous] if previous else []), default=None)


@dataclass(frozen=True)
class SearchTerms:
    text: str                    # what was typed, trimmed and folded to lower case
    number: int | None           # "#12" or "12": a ticket number
    lookups: tuple[str, ...]     # exact lookups kept with tickets: email:…, order:…, phone:…


def search_terms(query: str) -> SearchTerms:
    """What a search box entry can mean. Every reading is tried; the ranking puts exact hits first."""
    text = " ".join(query.split()).lower()[:100]
    bare = text.lstrip("#")
    number = int(bare) if bare.isdigit() and len(bare) <= 9 else None
    lookups: list[str] = []
    if "@" in text:
        lookups.append(f"email:{text}")
    elif len(bare) >= 4 and all(ch.isalnum() or ch in "-+ " for ch in bare):
        lookups.append(f"order:{bare}")
        digits = "".join(ch for ch in bare if ch.isdigit())
        if len(digits) >= 7:
            lookups.append(f"phone:{digits[-11:]}")
    return SearchTerms(text, number, tuple(lookups))


def rank(exact: Iterable[Entry], recent: Iterable[Entry], text: str, limit: int = 30) -> list[Entry]:
    """Exact hits first, then the recent entries where every word of the query appears (in the title, the
    customer's address or the preview); each entry once, newest first within each group."""
    words = text.split()
    seen: set[tuple[str, str]] = set()
    out: list[Entry] = []
    for group in (sorted(exact, key=lambda e: e.last_activity, reverse=True),
                  sorted((e for e in recent if all(w in f"{e.title} {e.contact} {e.preview}".lower() for w in words)),
                         key=lambda e: e.last_activity, reverse=True)):
        for entry in group:
            if (entry.kind, entry.entry_id) not in seen:
                seen.add((entry.kind, entry.entry_id))
                out.append(entry)
    return out[:limit]
