"""Open WebSocket connections, in the chat table. Per audience, `RT#<licensee>#<audience>` holds one item per
connection (a publish is one Query); per connection, `RTC#<connection id>` says whose it is (a disconnect
carries only the id). Both expire through the table's TTL shortly after API Gateway would have closed the
connection; a publish skips expired ones TTL has not removed yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.adapters import dynamodb
from chalicelib.chat.store import ChatItem


class ConnectionItem(ChatItem, discriminator="connection"):
    connection_id = UnicodeAttribute()
    licensee_id = UnicodeAttribute()
    audience = UnicodeAttribute()
    connected_at = UTCDateTimeAttribute()
    typing_at = UTCDateTimeAttribute(null=True)


@dataclass(frozen=True)
class Connection:
    connection_id: str
    licensee_id: str
    audience: str
    expires_at: datetime | None
    typing_at: datetime | None = None


def _audience_pk(licensee_id: str, audience: str) -> str:
    return f"RT#{licensee_id}#{audience}"


def _own_pk(connection_id: str) -> str:
    return f"RTC#{connection_id}"


def _connection(item: ConnectionItem) -> Connection:
    return Connection(item.connection_id, item.licensee_id, item.audience, item.expires_at, item.typing_at)


class ConnectionStore:
    def add(self, connection_id: str, licensee_id: str, audience: str, at: datetime, expires_at: datetime) -> None:
        with dynamodb.transaction("The connection is known already.") as tx:
            for pk, sk in ((_audience_pk(licensee_id, audience), f"C#{connection_id}"), (_own_pk(connection_id), "C")):
                tx.save(ConnectionItem(pk=pk, sk=sk, connection_id=connection_id, licensee_id=licensee_id,
                                       audience=audience, connected_at=at, expires_at=expires_at))

    def get(self, connection_id: str) -> Connection | None:
        item = dynamodb.get(ChatItem, _own_pk(connection_id), "C")
        return _connection(item) if isinstance(item, ConnectionItem) else None

    def remove(self, connection: Connection) -> None:
        with dynamodb.transaction("The connection changed meanwhile.") as tx:
            tx.delete(ConnectionItem(pk=_audience_pk(connection.licensee_id, connection.audience),
                                     sk=f"C#{connection.connection_id}"))
            tx.delete(ConnectionItem(pk=_own_pk(connection.connection_id), sk="C"))

    def listeners(self, licensee_id: str, audience: str) -> list[Connection]:
        return [_connection(i) for i in ChatItem.query(_audience_pk(licensee_id, audience))
                if isinstance(i, ConnectionItem)]

    def take_typing(self, connection_id: str, at: datetime, before: datetime) -> bool:
        """Note that this connection told typing now, unless it did after `before` (then False: too soon)."""
        item = ConnectionItem(pk=_own_pk(connection_id), sk="C")
        return dynamodb.conditionally(lambda: item.update(
            actions=[ConnectionItem.typing_at.set(at)],
            condition=ChatItem.pk.exists() & (ConnectionItem.typing_at.does_not_exist()
                                              | (ConnectionItem.typing_at < before))))
