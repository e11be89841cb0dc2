"""Push rules as pure functions: who listens to what, how long a connection record lives, how often typing
may be told, and what a client may say over its socket."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

AGENTS = "agents"
TYPING_EVERY = timedelta(seconds=3)  # typing is told at most once per connection in this long
MAX_CLIENT_MESSAGE = 2048           # bytes; a socket carries small signals, never messages (those go by HTTPS)


def conversation_audience(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def conversation_of(audience: str) -> str | None:
    return audience.removeprefix("conversation:") if audience.startswith("conversation:") else None


def connection_expiry(now: datetime, hours: int) -> datetime:
    """API Gateway closes a WebSocket connection after 2 hours at most; its record goes a little later."""
    return now + timedelta(hours=hours, minutes=5)


def may_tell_typing(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= TYPING_EVERY


@dataclass(frozen=True)
class Signal:
    """What a client said over its socket: `typing` (in a conversation, for agents) or `ping`."""

    action: str
    conversation_id: str | None = None


def read_signal(body: str | None) -> Signal | None:
    """A client's message, or None for anything that is not one we understand (ignored, never an error that
    closes the socket)."""
    if not body or len(body.encode()) > MAX_CLIENT_MESSAGE:
        return None
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("action") not in ("typing", "ping"):
        return None
    conversation = data.get("conversation_id")
    if conversation is not None and (not isinstance(conversation, str) or len(conversation) > 64):
        return None
    return Signal(str(data["action"]), conversation)
