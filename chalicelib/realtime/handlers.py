"""The WebSocket routes as API Gateway calls them ($connect, $disconnect, $default), taking its event shape
(`requestContext.routeKey`, `eventType`, `connectionId`, `queryStringParameters`, `headers`, `body`). On AWS
Chalice's websocket handlers call these; locally the loopback server builds the same events.

Who may connect: a shopper with the widget key, from one of its origins, with the visitor token of the
conversation it listens to (`?key=…&token=…&conversation=…`); an agent with their agent key (`?agent_key=…`),
listening to the merchant's consoles. A browser cannot set headers on a WebSocket, hence the query string."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import Services
from chalicelib.core.errors import Forbidden, KefuError, NotFound, Unauthorized
from chalicelib.core.observability import logger
from chalicelib.licensing.model import Channel, KeyKind, origin_allowed
from chalicelib.realtime import model

OK = {"statusCode": 200}


def route(event: dict[str, Any], services: Services) -> dict[str, Any]:
    """One entry point for the three routes, by the event's route key."""
    key = str(event.get("requestContext", {}).get("routeKey", "$default"))
    if key == "$connect":
        return on_connect(event, services)
    if key == "$disconnect":
        return on_disconnect(event, services)
    return on_message(event, services)


def on_connect(event: dict[str, Any], services: Services) -> dict[str, Any]:
    """Allow the connection (200) and remember it for its audience, or refuse it (403): API Gateway then
    never opens the socket."""
    connection_id = _connection_id(event)
    query = event.get("queryStringParameters") or {}
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    try:
        licensee_id, audience = _audience(services, query, headers.get("origin"))
    except KefuError as exc:
        logger.info("socket refused", extra={"connection": connection_id, "code": exc.code})
        return {"statusCode": exc.status if exc.status in (401, 403, 404) else 403, "body": exc.code}
    services.realtime.connected(connection_id, licensee_id, audience)
    logger.info("socket connected", extra={"connection": connection_id, "audience": audience.split(":")[0]})
    return OK


def on_disconnect(event: dict[str, Any], services: Services) -> dict[str, Any]:
    connection_id = _connection_id(event)
    services.realtime.disconnected(connection_id)
    logger.info("socket closed", extra={"connection": connection_id})
    return OK


def on_message(event: dict[str, Any], services: Services) -> dict[str, Any]:
    services.realtime.signal(_connection_id(event), event.get("body"))
    return OK


def _connection_id(event: dict[str, Any]) -> str:
    return str(event["requestContext"]["connectionId"])


def _in_force(validation: Any) -> None:
    if not validation.valid:  # suspended, terminated, expired, chat not licensed: no socket either
        raise Forbidden("The license does not allow chat now.", code=validation.code.value)


def _audience(services: Services, query: dict[str, str], origin: str | None) -> tuple[str, str]:
    if query.get("agent_key"):
        validation = services.licensing.validate(query["agent_key"], Channel.CHAT)
        if validation.key is None or validation.key.kind is not KeyKind.AGENT or validation.licensee_id is None:
            raise Unauthorized("Unknown agent key.", code="UNKNOWN_KEY")
        _in_force(validation)
        return validation.licensee_id, model.AGENTS
    secret, token, conversation_id = query.get("key"), query.get("token"), query.get("conversation")
    if not secret or not token or not conversation_id:
        raise Unauthorized("Connect with key, token and conversation.", code="MISSING_KEY")
    validation = services.licensing.validate(secret, Channel.CHAT)
    if validation.key is None or validation.key.kind is not KeyKind.WIDGET or validation.licensee_id is None:
        raise Unauthorized("Unknown widget key.", code="UNKNOWN_KEY")
    if not origin_allowed(validation.key, origin):
        raise Forbidden("This widget key may not be used from this site.", code="ORIGIN_NOT_ALLOWED")
    _in_force(validation)
    visitor = services.chat.visitor(validation.licensee_id, token)
    found = services.chat.store.conversation(validation.licensee_id, conversation_id)
    if found is None or found[0].visitor_id != visitor.visitor_id:
        raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
    return validation.licensee_id, model.conversation_audience(conversation_id)
