"""The widget: what it costs to keep 1,000 shopper-hours up to date by polling and by push, with the prices
written down and every DynamoDB unit measured on DynamoDB Local in this run (goal: push at most 1/20 of
polling for active chat); how long an agent's reply takes to reach the shopper's socket on the local stack
(median and p99); and widget.js as the browser receives it (gzipped).

The mix of an hour of shoppers with the widget on the page: ACTIVE (panel open, chatting), IDLE (panel closed,
a conversation under way) and HIDDEN (tab in the background). Polling is today's widget without a socket:
every 2 s active, 30 s idle, 60 s hidden. Push: one socket per shopper for the hour (reconnected every
2 hours, when API Gateway closes it, and on each of PAGE_LOADS page loads), one catch-up poll per connect and
one safety poll every 5 minutes, and per hour AGENT_REPLIES pushed replies and TYPING typing signals each way.
Sending messages costs the same in both and is left out of both."""

from __future__ import annotations

import gzip
import json
import statistics
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from bench.chat import event, percentile
from bench.harness import BenchEnv, Figure
from bench.validation import Context
from tests.factories import ORIGIN, Factory

# -- prices (USD, on-demand, us-east-1 list prices; ap-southeast-1 is within ~15 %) -----------------------------
REST_PER_MILLION = Decimal("3.50")          # API Gateway REST API requests (first 333 M a month)
WS_MESSAGE_PER_MILLION = Decimal("1.00")    # API Gateway WebSocket messages, in 32 KB units, either way
WS_MINUTE_PER_MILLION = Decimal("0.25")     # API Gateway WebSocket connection minutes
LAMBDA_PER_MILLION = Decimal("0.20")        # Lambda requests
LAMBDA_GB_SECOND = Decimal("0.0000166667")  # Lambda duration (x86)
LAMBDA_MEMORY_GB = Decimal("0.25")          # 256 MB
LAMBDA_SECONDS = Decimal("0.030")           # billed duration of a warm poll or socket event (1 ms granularity)
READ_PER_MILLION = Decimal("0.125")         # DynamoDB on-demand read request units
WRITE_PER_MILLION = Decimal("0.625")        # DynamoDB on-demand write request units

# -- the mix of an hour -------------------------------------------------------------------------------------
ACTIVE, IDLE, HIDDEN = Decimal("0.2"), Decimal("0.5"), Decimal("0.3")
POLLS_PER_HOUR = {"active": 1800, "idle": 120, "hidden": 60}
PAGE_LOADS = 2            # per shopper-hour: each one opens a new socket
AGENT_REPLIES = 30        # pushed to the shopper per active hour
TYPING = 20               # typing signals per active hour, each way
SAFETY_POLLS = 12         # one every 5 minutes while the socket is open

LATENCY_SENDS = 100
MILLION = Decimal(1_000_000)


def _invocation() -> Decimal:
    return LAMBDA_PER_MILLION / MILLION + LAMBDA_MEMORY_GB * LAMBDA_SECONDS * LAMBDA_GB_SECOND


def _units(read: float, write: float) -> Decimal:
    return Decimal(str(read)) * READ_PER_MILLION / MILLION + Decimal(str(write)) * WRITE_PER_MILLION / MILLION


def run(env: BenchEnv) -> list[Figure]:
    from websockets.sync.client import connect

    from app import app
    from chalicelib.local.websocket import serve_realtime

    built = env.build()
    merchant = Factory(built).merchant()
    context = Context()
    widget = {"x-widget-key": merchant.widget_key, "origin": ORIGIN}
    agent = {"authorization": f"Bearer {merchant.agent_key}"}
    started = json.loads(app(event("POST", "/v1/widget/conversations", "/v1/widget/conversations", widget,
                                   {"text": "你好"}), context)["body"])
    conversation, token = started["id"], started["visitor_token"]
    visitor = {**widget, "authorization": f"Bearer {token}"}
    resource = "/v1/widget/conversations/{conversation_id}/messages"
    path = f"/v1/widget/conversations/{conversation}/messages"
    params = {"conversation_id": conversation}

    def poll() -> None:
        answer = app(event("GET", resource, path, visitor, query={"after": "1"}, path_parameters=params), context)
        assert answer["statusCode"] == 200, answer

    poll()
    with env.capacity() as empty:
        for _ in range(20):
            poll()
    poll_read, poll_write = empty.read / 20, empty.write / 20

    sockets, stop = serve_realtime(built)
    latencies: list[float] = []
    try:
        query = urlencode({"key": merchant.widget_key, "token": token, "conversation": conversation})
        with env.capacity() as connecting:
            shopper = connect(f"{sockets.url}/?{query}", origin=ORIGIN, open_timeout=5)  # type: ignore[arg-type]
        console = connect(f"{sockets.url}/?agent_key={merchant.agent_key}", open_timeout=5)
        with env.capacity() as typing:
            built.realtime.signal(next(iter(sockets._open)), json.dumps({"action": "typing"}))
        typing_read, typing_write = typing.read, typing.write
        with env.capacity() as publishing:
            built.realtime.publish(merchant.licensee_id, f"conversation:{conversation}", {"type": "status"})
        shopper.recv(timeout=5)
        reply = "/v1/agent/conversations/{conversation_id}/messages"
        for n in range(LATENCY_SENDS):
            sent = time.perf_counter()
            answer = app(event("POST", reply, f"/v1/agent/conversations/{conversation}/messages", agent,
                               {"text": f"第 {n} 条回复"}, path_parameters=params), context)
            assert answer["statusCode"] == 201, answer
            pushed = json.loads(shopper.recv(timeout=5))
            latencies.append((time.perf_counter() - sent) * 1000)
            assert pushed["message"]["text"] == f"第 {n} 条回复"
        shopper.close()
        console.close()
    finally:
        stop()
    built.realtime.connected("bench-closing=", merchant.licensee_id, f"conversation:{conversation}")
    with env.capacity() as closing:  # what $disconnect does: read whose it is, delete both records
        built.realtime.disconnected("bench-closing=")
    connect_read, connect_write = connecting.read, connecting.write
    disconnect_read, disconnect_write = closing.read, closing.write

    poll_cost = REST_PER_MILLION / MILLION + _invocation() + _units(poll_read, poll_write)
    polling = {state: POLLS_PER_HOUR[state] * poll_cost for state in POLLS_PER_HOUR}
    polling_mix = ACTIVE * polling["active"] + IDLE * polling["idle"] + HIDDEN * polling["hidden"]

    socket_event = WS_MESSAGE_PER_MILLION / MILLION  # one WebSocket message
    connects = PAGE_LOADS
    push_hour = (60 * WS_MINUTE_PER_MILLION / MILLION
                 + connects * (2 * _invocation() + _units(connect_read, connect_write)
                               + _units(disconnect_read, disconnect_write) + poll_cost)
                 + SAFETY_POLLS * poll_cost)
    publish_units = _units(publishing.read, publishing.write)
    # a typing signal: a message in, a $default invocation, its units (the publish's Query included), a message out
    typing_signal = 2 * socket_event + _invocation() + _units(typing_read, typing_write)
    push_active = push_hour + AGENT_REPLIES * (socket_event + publish_units) + 2 * TYPING * typing_signal
    push_mix = ACTIVE * push_active + (IDLE + HIDDEN) * push_hour
    ratio = push_active / polling["active"]

    script = (Path(__file__).resolve().parent.parent / "chalicelib" / "chat" / "static" / "widget.js").read_bytes()
    gzipped = len(gzip.compress(script, 9))
    median, p99 = statistics.median(latencies), percentile(latencies, 99)
    thousand = Decimal(1000)
    return [
        Figure("empty poll, DynamoDB read units", poll_read, "RRU", "<= 0.5", poll_read <= 0.5),
        Figure("socket connect, DynamoDB units (read + write)", connect_read + connect_write, "units",
               note=f"{connect_read:g} read, {connect_write:g} write"),
        Figure("socket disconnect, DynamoDB units (read + write)", disconnect_read + disconnect_write, "units",
               note=f"{disconnect_read:g} read, {disconnect_write:g} write"),
        Figure("typing signal, DynamoDB units (read + write)", typing_read + typing_write, "units",
               note=f"{typing_read:g} read, {typing_write:g} write, then one Query per push"),
        Figure("publish to one audience, DynamoDB read units", publishing.read, "RRU"),
        Figure("polling: active chat, USD per 1,000 shopper-hours", float(polling["active"] * thousand), "USD"),
        Figure("push: active chat, USD per 1,000 shopper-hours", float(push_active * thousand), "USD"),
        Figure("push / polling, active chat", float(ratio), "ratio", "<= 0.05", ratio <= Decimal("0.05")),
        Figure("polling: the mix, USD per 1,000 shopper-hours", float(polling_mix * thousand), "USD",
               note="20 % active, 50 % idle, 30 % hidden"),
        Figure("push: the mix, USD per 1,000 shopper-hours", float(push_mix * thousand), "USD"),
        Figure("push latency, agent's send to shopper's socket, median", median, "ms",
               note=f"{LATENCY_SENDS} replies through the app and the loopback server"),
        Figure("push latency, agent's send to shopper's socket, p99", p99, "ms"),
        Figure("widget.js gzipped", gzipped / 1024, "KiB", "<= 12", gzipped <= 12 * 1024,
               note=f"{len(script) / 1024:.1f} KiB raw; loaded with async, it never blocks the page"),
    ]
