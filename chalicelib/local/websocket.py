"""Push in local mode: a real WebSocket server on loopback (the `websockets` package) that calls the same
handlers API Gateway's WebSocket API calls on AWS, with events of the same shape, and posts to its own
connections the way the Management API does (a closed or unknown connection is `Gone`)."""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from chalicelib.adapters.apigateway import Gone
from chalicelib.bootstrap import Services
from chalicelib.realtime.handlers import route

READY_SECONDS = 2.0  # a post right after $connect waits this long for the handshake to finish


class LoopbackSockets:
    """The server and the `Sender` of local mode in one: `post()` writes to a socket it holds."""

    def __init__(self, services: Services, host: str = "127.0.0.1", port: int = 0) -> None:
        self.services = services
        self.host = host
        self.port = port
        self._open: dict[str, Any] = {}
        self._ready: dict[str, threading.Event] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def start(self) -> str:
        from websockets.sync.server import serve

        self._server = serve(self._session, self.host, self.port, process_request=self._connect,
                             ping_interval=30, max_size=4096)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="realtime", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the Sender ----------------------------------------------------------------------------------------
    def post(self, connection_id: str, data: bytes) -> None:
        ready = self._ready.get(connection_id)
        if ready is not None:
            ready.wait(READY_SECONDS)
        connection = self._open.get(connection_id)
        if connection is None:
            raise Gone(connection_id)
        from websockets.exceptions import ConnectionClosed

        try:
            with self._locks[connection_id]:
                connection.send(data.decode())
        except (ConnectionClosed, KeyError) as exc:
            raise Gone(connection_id) from exc

    # -- what API Gateway does -------------------------------------------------------------------------------
    def _event(self, route_key: str, connection_id: str, **extra: Any) -> dict[str, Any]:
        kinds = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}
        return {"requestContext": {"routeKey": route_key, "eventType": kinds.get(route_key, "MESSAGE"),
                                   "connectionId": connection_id, "domainName": f"{self.host}:{self.port}",
                                   "stage": "local", "apiId": "local",
                                   "requestTimeEpoch": int(time.time() * 1000)},
                "isBase64Encoded": False, **extra}

    def _connect(self, connection: Any, request: Any) -> Any:
        """The handshake is the $connect route: a refusal there is an HTTP refusal, as on API Gateway."""
        connection_id = uuid.uuid4().hex[:16] + "="
        query = dict(parse_qsl(urlsplit(request.path).query))
        headers = {k: v for k, v in request.headers.raw_items()}
        self._ready[connection_id] = threading.Event()
        answer = route(self._event("$connect", connection_id, queryStringParameters=query or None,
                                   headers=headers), self.services)
        status = int(answer.get("statusCode", 200))
        if status != 200:
            self._ready.pop(connection_id, None)
            return connection.respond(status, str(answer.get("body", "refused")) + "\n")
        connection.kefu_connection_id = connection_id
        self._open[connection_id] = connection
        self._locks[connection_id] = threading.Lock()
        return None

    def _session(self, connection: Any) -> None:
        connection_id = connection.kefu_connection_id
        ready = self._ready.pop(connection_id, None)
        if ready is not None:
            ready.set()
        try:
            for message in connection:
                route(self._event("$default", connection_id, body=str(message)), self.services)
        except Exception:  # noqa: S110 - a broken socket ends like a closed one
            pass
        finally:
            self._open.pop(connection_id, None)
            self._locks.pop(connection_id, None)
            route(self._event("$disconnect", connection_id), self.services)


Stop = Callable[[], None]


def serve_realtime(services: Services, host: str = "127.0.0.1", port: int = 0) -> tuple[LoopbackSockets, Stop]:
    """Start the loopback server and make it the push channel of these services: the widget is told its
    `ws://` address, chat publishes through it."""
    sockets = LoopbackSockets(services, host, port)
    url = sockets.start()
    services.realtime.use(sockets, url)
    services.chat.publish = services.realtime.publish
    services.mail.publish = services.realtime.publish  # new mail reaches the consoles too

    def stop() -> None:
        services.chat.publish = None
        services.mail.publish = None
        services.realtime.use(None, "")
        sockets.stop()

    return sockets, stop


def realtime_extra(services: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Stop]:
    """`make run`: push on loopback at --realtime-port."""
    port = int(getattr(args, "realtime_port", 0) or 0)
    try:
        sockets, stop = serve_realtime(services, "127.0.0.1", port)
    except OSError as exc:
        return f"push           not started ({exc.strerror or exc}); the widget polls", lambda: None
    demo["realtime"] = sockets.url
    return f"push           {sockets.url}   (WebSocket, API Gateway-shaped events)", stop
