"""Chat: DynamoDB capacity per message sent and per empty poll (goals: at most 2 write units per message under
1 KB including the conversation's bookkeeping, at most 0.5 read units per warm empty poll, no license read when
warm), and the handler's median and 99th-percentile latency as ratios to a bare PutItem and Query on the same
DynamoDB Local in the same run (goal: median at most 2x), for one warm process and for two processes taking
turns on a conversation (goals: median at most 2x, at most 1.5 read units per shopper message).

Messages are keyed by their stamp (chalicelib/chat/stamps.py), not by a number learnt from the message
before, so a send is one PutItem in either case; the client ids are made as the widget makes them (the
instant, then something random), which is what lets a retry find its message without a read."""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta
from typing import Any

from bench.harness import BenchEnv, Capacity, Figure
from bench.validation import Context
from tests.factories import ORIGIN, Factory

MESSAGES = 200
TURNS = 50
POLLS = 300


def event(method: str, resource: str, path: str, headers: dict[str, str], body: Any = None,
          query: dict[str, str] | None = None, path_parameters: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": {"content-type": "application/json", **headers}, "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters, "stageVariables": None, "isBase64Encoded": False,
        "body": json.dumps(body) if body is not None else None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "requestId": "bench", "path": path,
                           "identity": {"sourceIp": "203.0.113.9"}},
    }


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(env: BenchEnv) -> list[Figure]:
    from app import app
    from chalicelib.chat.stamps import millis
    from chalicelib.chat.store import ChatItem, conversation_pk, message_sk

    built = env.build()
    merchant = Factory(built).merchant()
    context = Context()
    widget = {"x-widget-key": merchant.widget_key, "origin": ORIGIN}
    started = app(event("POST", "/v1/widget/conversations", "/v1/widget/conversations", widget,
                        {"text": "Hello, is the Longjing in stock?"}), context)
    assert started["statusCode"] == 201, started
    first = json.loads(started["body"])
    conversation_id, token = first["id"], first["visitor_token"]
    visitor = {**widget, "authorization": f"Bearer {token}"}
    resource = "/v1/widget/conversations/{conversation_id}/messages"
    path = f"/v1/widget/conversations/{conversation_id}/messages"
    params = {"conversation_id": conversation_id}
    text = "Do you ship to Suzhou, and how long does it take? " * 4  # about 200 bytes, a typical chat line

    def send(n: int) -> dict[str, Any]:
        # the widget's client ids carry the instant they were made (the key a retry lands on again)
        client_id = f"{millis(built.clock.now())}-bench{n:08d}"
        return app(event("POST", resource, path, visitor, {"text": text, "client_id": client_id},
                         path_parameters=params), context)

    def empty_poll(cursor: str) -> dict[str, Any]:
        return app(event("GET", resource, path, visitor, query={"after": cursor}, path_parameters=params), context)

    # Bare DynamoDB on the same database: a PutItem of a message-sized item and the poll's Query, each timed
    # right after a handler call, so both sides of a ratio see the same load on a shared machine.
    client = ChatItem._get_connection().connection.client
    table = ChatItem.Meta.table_name
    pk = conversation_pk(merchant.licensee_id, conversation_id)
    put_latencies, query_latencies = [], []

    def bare_put(name: str, into: list[float]) -> None:
        item = {"pk": {"S": name}, "sk": {"S": "X"}, "text": {"S": text}, "type": {"S": "bench"}}
        began = time.perf_counter()
        client.put_item(TableName=table, Item=item)
        into.append(time.perf_counter() - began)

    def bare_query() -> None:  # what an empty poll's Query reads: the conversation item
        began = time.perf_counter()
        client.query(TableName=table, KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                     ExpressionAttributeValues={":pk": {"S": pk}, ":a": {"S": message_sk("9")},
                                                ":b": {"S": "T#~"}})
        query_latencies.append(time.perf_counter() - began)

    # A shopper's chat: a message every 20 s, so windows turn over as they would (the limit is per minute).
    send_latencies: list[float] = []
    sending = Capacity()
    for n in range(MESSAGES):
        built.clock.advance(timedelta(seconds=20))
        with env.capacity() as one:
            began = time.perf_counter()
            answer = send(n)
            send_latencies.append(time.perf_counter() - began - one.pricing_seconds)
        assert answer["statusCode"] == 201, answer
        sending.add(one)
        bare_put(f"BENCH#{n}", put_latencies)
    cursor = json.loads(empty_poll("0")["body"])["cursor"]

    poll_latencies: list[float] = []
    polling = Capacity()
    for _ in range(POLLS):
        built.clock.advance(timedelta(seconds=0.6))  # a widget polling often, under the limit per visitor-minute
        with env.capacity() as one:
            began = time.perf_counter()
            answer = empty_poll(cursor)
            poll_latencies.append(time.perf_counter() - began - one.pricing_seconds)
        assert json.loads(answer["body"])["messages"] == [], (cursor, answer["body"][:300])
        polling.add(one)
        bare_query()
    with env.capacity() as warm:  # warm: the license and the chat settings come from the process's cache
        empty_poll(cursor)

    # Two processes taking turns: each shopper message follows an agent reply written by another process, so
    # what the handler knows of the conversation is always out of date (with keys numbered in sequence, the
    # worst case: a refused write, then a second). The other process stands for a second warm function instance.
    from chalicelib.chat.service import ChatService
    from chalicelib.licensing.model import KeyKind
    other = ChatService(built.chat.store, built.clock, built.licensing, built.settings, built.metrics)
    agent_key = next(k for k in built.licensing.keys(merchant.licensee_id) if k.kind is KeyKind.AGENT)
    turn_latencies: list[float] = []
    turn_puts: list[float] = []
    taking_turns = Capacity()
    for n in range(TURNS):
        built.clock.advance(timedelta(seconds=10))
        other.reply(merchant.licensee_id, agent_key, conversation_id, "We ship to Suzhou in two days.",
                    f"{millis(built.clock.now())}-reply{n:04d}")  # as the console makes its ids
        built.clock.advance(timedelta(seconds=10))
        with env.capacity() as turn:
            began = time.perf_counter()
            answer = send(MESSAGES + n)
            turn_latencies.append(time.perf_counter() - began - turn.pricing_seconds)
        assert answer["statusCode"] == 201, answer
        taking_turns.add(turn)
        bare_put(f"BENCH3#{n}", turn_puts)
    pair_latencies = []  # the two writes a send used to make, bare: a counter UpdateItem, then a PutItem
    for n in range(MESSAGES):
        began = time.perf_counter()
        client.update_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": "T#~"}},
                           UpdateExpression="SET seq = seq + :one", ExpressionAttributeValues={":one": {"N": "1"}},
                           ConditionExpression="attribute_exists(pk)")
        client.put_item(TableName=table, Item={"pk": {"S": f"BENCH2#{n}"}, "sk": {"S": "X"}, "text": {"S": text},
                                               "type": {"S": "bench"}})
        pair_latencies.append(time.perf_counter() - began)

    wcu = sending.write / MESSAGES
    turn_rcu = taking_turns.read / TURNS
    turn_ratio = statistics.median(turn_latencies) / statistics.median(turn_puts)
    rcu = polling.read / POLLS
    send_median = statistics.median(send_latencies) / statistics.median(put_latencies)
    poll_median = statistics.median(poll_latencies) / statistics.median(query_latencies)
    return [
        Figure("write capacity units per message sent (~200 B)", round(wcu, 3), "WCU", "<= 2", wcu <= 2,
               note=f"{sending.calls}"),
        Figure("read capacity units per message sent", round(sending.read / MESSAGES, 3), "RCU"),
        # The goal is the poll's own read: its one Query costs 0.5 units at least, so the license and settings a
        # process reads again each minute (a suspension takes effect within a minute) are reported beside it.
        Figure("read capacity units per warm empty poll", round(warm.read, 3), "RCU", "<= 0.5", warm.read <= 0.5,
               note=f"{warm.calls}"),
        Figure("read capacity units per empty poll, license read again each minute", round(rcu, 3), "RCU",
               note=f"{polling.calls}"),
        Figure("write capacity units per empty poll", round(polling.write / POLLS, 3), "WCU"),
        Figure("DynamoDB calls per warm empty poll (no license read)", warm.total_calls, "calls", "1",
               warm.total_calls == 1 and warm.calls.get("Query") == 1, note=f"{warm.calls}"),
        Figure("send: handler median / bare PutItem median", round(send_median, 2), "ratio", "<= 2",
               send_median <= 2),
        Figure("send: handler median / bare UpdateItem+PutItem median",
               round(statistics.median(send_latencies) / statistics.median(pair_latencies), 2), "ratio",
               note="the two sequential writes of the earlier layout, for comparison"),
        Figure("send: handler p99 / bare PutItem p99",
               round(percentile(send_latencies, 99) / percentile(put_latencies, 99), 2), "ratio"),
        Figure("turns with another process: write capacity units per shopper message",
               round(taking_turns.write / TURNS, 3), "WCU", note=f"{taking_turns.calls}"),
        Figure("turns with another process: read capacity units per shopper message", round(turn_rcu, 3), "RCU",
               "<= 1.5", turn_rcu <= 1.5, note="the license and chat settings read again each minute included"),
        Figure("turns with another process: handler median / bare PutItem median", round(turn_ratio, 2), "ratio",
               "<= 2", turn_ratio <= 2),
        Figure("empty poll: handler median / bare Query median", round(poll_median, 2), "ratio", "<= 2",
               poll_median <= 2),
        Figure("empty poll: handler p99 / bare Query p99",
               round(percentile(poll_latencies, 99) / percentile(query_latencies, 99), 2), "ratio"),
    ]
