"""Push use cases: a client connects (allowed by its key and token), disconnects, signals typing; any area
publishes an event to an audience of a merchant."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.core.clock import Clock
from chalicelib.core.observability import logger
from chalicelib.metrics import REALTIME_PUSHES, MetricsSink
from chalicelib.realtime import model
from chalicelib.realtime.store import Connection, ConnectionStore


class Sender(Protocol):
    """Posts bytes to one connection; raises `chalicelib.adapters.apigateway.Gone` for a closed one."""

    def post(self, connection_id: str, data: bytes) -> None: ...


@dataclass(frozen=True)
class Published:
    delivered: int
    gone: int


class RealtimeService:
    def __init__(self, store: ConnectionStore, sender: Sender | None, clock: Clock, metrics: MetricsSink,
                 url: str = "", connection_hours: int = 2) -> None:
        self.store = store
        self.sender = sender
        self.url = url if sender is not None else ""  # what the widget is told to connect to; "" = push off
        self.clock = clock
        self.metrics = metrics
        self.connection_hours = connection_hours

    def use(self, sender: Sender | None, url: str) -> None:
        """Another channel (local mode's loopback server once it listens, or none)."""
        self.sender = sender
        self.url = url if sender is not None else ""

    def connected(self, connection_id: str, licensee_id: str, audience: str) -> None:
        """Remember an allowed connection for its audience until API Gateway would have closed it."""
        now = self.clock.now()
        self.store.add(connection_id, licensee_id, audience, now,
                       model.connection_expiry(now, self.connection_hours))

    def disconnected(self, connection_id: str) -> Connection | None:
        """Forget a closed connection (a second disconnect of the same id finds nothing and does nothing)."""
        found = self.store.get(connection_id)
        if found is not None:
            self.store.remove(found)
        return found

    def publish(self, licensee_id: str, audience: str, event: dict[str, Any]) -> Published:
        """Send an event to every open connection of one audience of a merchant; connections that have gone
        are forgotten on the way. One Query, one post per listener."""
        if self.sender is None:
            return Published(0, 0)
        now = self.clock.now()
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        delivered = gone = 0
        from chalicelib.adapters.apigateway import Gone

        for connection in self.store.listeners(licensee_id, audience):
            if connection.expires_at is not None and connection.expires_at <= now:
                continue  # TTL has not removed it yet
            try:
                self.sender.post(connection.connection_id, data)
                delivered += 1
            except Gone:
                gone += 1
                self.store.remove(connection)
        if delivered or gone:
            self.metrics.count(REALTIME_PUSHES, value=delivered, result="delivered")
        if gone:
            self.metrics.count(REALTIME_PUSHES, value=gone, result="gone")
        logger.debug("pushed", extra={"audience": audience.split(":")[0], "delivered": delivered, "gone": gone})
        return Published(delivered, gone)

    def signal(self, connection_id: str, body: str | None) -> bool:
        """A client's message over its socket. `typing` is told to the other side of the conversation, at most
        once per connection every few seconds; anything else is ignored. True when something was told."""
        signal = model.read_signal(body)
        if signal is None or signal.action != "typing":
            return False
        connection = self.store.get(connection_id)
        if connection is None:
            return False
        conversation = model.conversation_of(connection.audience)
        if conversation is not None:
            target, author = model.AGENTS, "visitor"
        elif connection.audience == model.AGENTS and signal.conversation_id:
            conversation, target, author = signal.conversation_id, \
                model.conversation_audience(signal.conversation_id), "agent"
        else:
            return False
        now = self.clock.now()
        if not self.store.take_typing(connection_id, now, now - model.TYPING_EVERY):
            return False
        self.publish(connection.licensee_id, target,
                     {"type": "typing", "conversation_id": conversation, "author": author})
        return True
