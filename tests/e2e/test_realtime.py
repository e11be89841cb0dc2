"""Push over a real WebSocket server on loopback, calling the same handlers API Gateway calls: who may connect,
what reaches whom, connections forgotten on disconnect or when they have gone, typing told at a measured pace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chalicelib import bootstrap
from chalicelib.adapters.apigateway import Gone
from chalicelib.core.clock import FixedClock
from chalicelib.local.websocket import LoopbackSockets, serve_realtime
from chalicelib.realtime import handlers
from tests.e2e.conftest import Api
from tests.e2e.test_chat_api import agent, online, start, widget
from tests.factories import ORIGIN, Factory, Merchant


@pytest.fixture
def sockets(services: bootstrap.Services) -> Iterator[LoopbackSockets]:
    server, stop = serve_realtime(services)
    try:
        yield server
    finally:
        stop()


def _widget_socket(sockets: LoopbackSockets, merchant: Merchant, started: dict[str, Any],
                   origin: str = ORIGIN) -> Any:
    query = urlencode({"key": merchant.widget_key, "token": started["visitor_token"], "conversation": started["id"]})
    return connect(f"{sockets.url}/?{query}", origin=origin, open_timeout=5)  # type: ignore[arg-type]


def _next(socket: Any) -> dict[str, Any]:
    return dict(json.loads(socket.recv(timeout=5)))


def test_the_config_names_the_socket_only_when_push_is_on(api: Api, factory: Factory,
                                                          sockets: LoopbackSockets) -> None:
    merchant = factory.merchant()
    _, config, _ = api.call("GET", "/v1/widget/config", headers=widget(merchant))
    assert config["realtime"]["url"] == sockets.url


def test_an_agents_reply_reaches_the_shoppers_socket_and_the_shoppers_message_the_console(
        api: Api, factory: Factory, sockets: LoopbackSockets) -> None:
    merchant = factory.merchant()
    online(api, merchant.agent_key)
    started = start(api, merchant)
    with _widget_socket(sockets, merchant, started) as shopper, \
            connect(f"{sockets.url}/?agent_key={merchant.agent_key}", open_timeout=5) as console:
        api.call("POST", f"/v1/agent/conversations/{started['id']}/messages", {"text": "您好，有货。"},
                 agent(merchant.agent_key))
        pushed = _next(shopper)
        assert pushed["type"] == "message" and pushed["message"]["text"] == "您好，有货。"
        assert pushed["message"]["id"] > "m" and pushed["message"]["author"] == "agent"  # its id sorts it
        api.call("POST", f"/v1/widget/conversations/{started['id']}/messages", {"text": "太好了"},
                 widget(merchant, started["visitor_token"]))
        told = _next(console)
        assert (told["conversation_id"], told["message"]["text"]) == (started["id"], "太好了")


@pytest.mark.parametrize("what", ["wrong_token", "wrong_origin", "other_conversation", "nothing"])
def test_a_socket_is_refused_without_the_right_key_origin_and_token(
        api: Api, factory: Factory, sockets: LoopbackSockets, what: str) -> None:
    merchant = factory.merchant()
    mine, theirs = start(api, merchant), start(api, merchant)
    query = {"key": merchant.widget_key, "token": mine["visitor_token"], "conversation": mine["id"]}
    origin = ORIGIN
    if what == "wrong_token":
        query["token"] = "v1.forged.token"
    elif what == "wrong_origin":
        origin = "https://evil.example"
    elif what == "other_conversation":
        query["conversation"] = theirs["id"]
    else:
        query = {}
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{sockets.url}/?{urlencode(query)}", origin=origin, open_timeout=5)  # type: ignore[arg-type]
    assert refused.value.response.status_code in (401, 403, 404)


def test_a_suspended_merchants_sockets_are_refused(api: Api, factory: Factory, sockets: LoopbackSockets,
                                                  services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    services.licensing.suspend(merchant.licensee_id, "late payment", "staff:alice")
    with pytest.raises(InvalidStatus) as refused:
        _widget_socket(sockets, merchant, started)
    assert refused.value.response.status_code == 403


def test_a_closed_socket_is_forgotten_and_one_that_has_gone_is_dropped_on_the_next_push(
        api: Api, factory: Factory, sockets: LoopbackSockets, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    audience = f"conversation:{started['id']}"
    with _widget_socket(sockets, merchant, started):
        assert len(services.realtime.store.listeners(merchant.licensee_id, audience)) == 1
    for _ in range(50):  # $disconnect runs when the server notices the close
        if not services.realtime.store.listeners(merchant.licensee_id, audience):
            break
        import time
        time.sleep(0.05)
    assert services.realtime.store.listeners(merchant.licensee_id, audience) == []

    # a connection API Gateway has closed without telling us: GoneException on the next post
    services.realtime.connected("gone-connection=", merchant.licensee_id, audience)
    published = services.realtime.publish(merchant.licensee_id, audience, {"type": "status"})
    assert (published.delivered, published.gone) == (0, 1)
    assert services.realtime.store.listeners(merchant.licensee_id, audience) == []
    with pytest.raises(Gone):
        sockets.post("gone-connection=", b"{}")


def test_connection_records_expire_with_the_tables_ttl_and_expired_ones_are_skipped(
        factory: Factory, services: bootstrap.Services, clock: FixedClock) -> None:
    posted: list[str] = []

    class Recorder:
        def post(self, connection_id: str, data: bytes) -> None:
            posted.append(connection_id)

    merchant = factory.merchant()
    services.realtime.use(Recorder(), "ws://example.invalid")
    try:
        services.realtime.connected("c-old=", merchant.licensee_id, "agents")
        record = services.realtime.store.get("c-old=")
        assert record is not None and record.expires_at == clock.now() + timedelta(hours=2, minutes=5)
        clock.advance(timedelta(hours=3))
        services.realtime.connected("c-new=", merchant.licensee_id, "agents")
        services.realtime.publish(merchant.licensee_id, "agents", {"type": "status"})
    finally:
        services.realtime.use(None, "")
    assert posted == ["c-new="]


def test_typing_is_told_to_the_other_side_at_most_once_every_few_seconds(
        api: Api, factory: Factory, sockets: LoopbackSockets, services: bootstrap.Services,
        clock: FixedClock) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    with _widget_socket(sockets, merchant, started) as shopper, \
            connect(f"{sockets.url}/?agent_key={merchant.agent_key}", open_timeout=5) as console:
        shopper.send(json.dumps({"action": "typing"}))
        assert _next(console) == {"type": "typing", "conversation_id": started["id"], "author": "visitor"}
        shopper.send(json.dumps({"action": "typing"}))  # too soon: not told
        shopper.send("not json at all")                  # ignored, the socket stays open
        clock.advance(timedelta(seconds=4))
        shopper.send(json.dumps({"action": "typing"}))
        assert _next(console)["author"] == "visitor"
        console.send(json.dumps({"action": "typing", "conversation_id": started["id"]}))
        assert _next(shopper) == {"type": "typing", "conversation_id": started["id"], "author": "agent"}


def test_the_handlers_take_api_gateway_shaped_events(factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    event = {"requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "abc=",
                                "domainName": "x.execute-api.ap-southeast-1.amazonaws.com", "stage": "v1",
                                "apiId": "x"},
             "queryStringParameters": {"agent_key": merchant.agent_key}, "headers": {"Host": "x"}}
    assert handlers.route(event, services) == {"statusCode": 200}
    assert services.realtime.store.get("abc=") is not None
    gone = {**event, "requestContext": {**event["requestContext"], "routeKey": "$disconnect",
                                         "eventType": "DISCONNECT"}}
    assert handlers.route(gone, services) == {"statusCode": 200}
    assert handlers.route(gone, services) == {"statusCode": 200}  # a second disconnect does nothing
    assert services.realtime.store.get("abc=") is None
