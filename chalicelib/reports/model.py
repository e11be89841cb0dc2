"""Reports as a pure function of facts, with the definitions written down (docs/chat.md repeats them):

- The period is `from`..`to`, whole days in the shop's time zone, both included. A chat or ticket belongs to
  the day (and the period) it was started on.
- First response: for a chat, from its start (the shopper's first message) to the first agent message; for a
  ticket, from the customer's first mail to the first reply an agent sent (automatic acknowledgements are
  not answers). A ticket an agent opened with a mail of their own has no first response. Items not answered
  yet count as `unanswered` and do not enter the times.
- Resolution: from the start to the first time a chat was resolved or a ticket closed. Items not resolved
  yet count as `unresolved`.
- Median and p90 use the nearest-rank method on whole seconds (p90 of 10 values is the 9th smallest).
- Per agent: the items whose first response that agent gave, and their median first response.
- Hand-overs: chats of the period that went over to email because nobody could answer.
- Satisfaction ratings: counted when the widget collects them; none are collected yet (count 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core.errors import InvalidInput

MAX_DAYS = 92


@dataclass(frozen=True)
class Facts:
    """One chat or ticket as a report sees it."""

    kind: str                           # chat | ticket
    started_at: datetime
    first_response_at: datetime | None  # None: not answered yet (or opened by an agent: `agent_started`)
    responder: str | None               # the agent name of the first response
    resolved_at: datetime | None
    handed_over: bool = False
    agent_started: bool = False


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days asked for: the last 7 by default, at most MAX_DAYS, never backwards."""
    end = end or today
    start = start or end - timedelta(days=6)
    if start > end:
        raise InvalidInput("'from' is after 'to'.", code="INVALID_PERIOD")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days.", code="INVALID_PERIOD")
    return start, end


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def _times(seconds: Sequence[float]) -> dict[str, Any]:
    return {"count": len(seconds), "median_seconds": percentile(seconds, 0.5), "p90_seconds": percentile(seconds, 0.9)}


def report(facts: Iterable[Facts], start: date, end: date, tz: ZoneInfo) -> dict[str, Any]:
    """The merchant's report for the days start..end in the time zone `tz`."""
    days = [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    by_day: dict[str, dict[str, Any]] = {d: {"date": d, "chats": 0, "tickets": 0} for d in days}
    chosen = [f for f in facts if start <= f.started_at.astimezone(tz).date() <= end]
    first: dict[str, list[float]] = {"chat": [], "ticket": []}
    resolution: dict[str, list[float]] = {"chat": [], "ticket": []}
    agents: dict[str, list[float]] = {}
    unanswered = unresolved = handovers = 0
    for f in chosen:
        by_day[f.started_at.astimezone(tz).date().isoformat()]["chats" if f.kind == "chat" else "tickets"] += 1
        if f.first_response_at is not None and not f.agent_started:
            seconds = (f.first_response_at - f.started_at).total_seconds()
            first[f.kind].append(seconds)
            agents.setdefault(f.responder or "", []).append(seconds)
        elif not f.agent_started:
            unanswered += 1
        if f.resolved_at is not None:
            resolution[f.kind].append((f.resolved_at - f.started_at).total_seconds())
        else:
            unresolved += 1
        handovers += f.handed_over
    return {
        "from": start.isoformat(), "to": end.isoformat(), "timezone": str(tz),
        "by_day": list(by_day.values()),
        "totals": {"chats": sum(d["chats"] for d in by_day.values()),
                   "tickets": sum(d["tickets"] for d in by_day.values()),
                   "unanswered": unanswered, "unresolved": unresolved, "handovers": handovers},
        "first_response": {"all": _times(first["chat"] + first["ticket"]), "chat": _times(first["chat"]),
                           "ticket": _times(first["ticket"])},
        "resolution": {"all": _times(resolution["chat"] + resolution["ticket"]), "chat": _times(resolution["chat"]),
                       "ticket": _times(resolution["ticket"])},
        "agents": [{"name": name, "first_responses": len(times),
                    "median_first_response_seconds": percentile(times, 0.5)}
                   for name, times in sorted(agents.items(), key=lambda a: (-len(a[1]), a[0]))],
        "ratings": {"count": 0, "average": None},
    }
