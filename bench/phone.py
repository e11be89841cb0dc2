"""Phone: DynamoDB capacity per Connect contact event and per call (four events: initiated, queued,
connected, disconnected), what a retried event costs, and the handler's median per event as a ratio to a bare
PutItem of an event-sized item on the same DynamoDB Local in the same run."""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

from bench.harness import BenchEnv, Capacity, Figure
from chalicelib.licensing.model import Channel
from chalicelib.local.connect import connect_events
from tests.factories import Factory

CALLS = 100


def run(env: BenchEnv) -> list[Figure]:
    from chalicelib.phone.store import PhoneItem

    built = env.build()
    merchant = Factory(built).merchant(channels=(Channel.CHAT, Channel.EMAIL, Channel.PHONE))
    instance = built.phone.set_instance(merchant.licensee_id, "inst-bench", "bench")
    client = PhoneItem._get_connection().connection.client
    table = PhoneItem.Meta.table_name

    events_total, retried = Capacity(), Capacity()
    handler, bare = [], []
    sample = ""
    for n in range(CALLS):
        built.clock.advance(timedelta(minutes=5))
        start = built.clock.now()
        events = connect_events(instance, f"bench-{n:06d}", start, answered_after=None if n % 5 == 0 else 12,
                                duration=90)
        for event in events:
            sample = json.dumps(event)
            with env.capacity() as one:
                began = time.perf_counter()
                built.phone.connect_event(event)
                handler.append(time.perf_counter() - began - one.pricing_seconds)
            events_total.add(one)
            began = time.perf_counter()
            client.put_item(TableName=table, Item={"pk": {"S": f"BENCH#{n}"}, "sk": {"S": "X"},
                                                   "raw": {"S": sample}, "type": {"S": "bench"}})
            bare.append(time.perf_counter() - began)
        with env.capacity() as again:  # EventBridge delivers at least once: the last event again
            built.phone.connect_event(events[-1])
        retried.add(again)
    count = len(handler)
    ratio = statistics.median(handler) / statistics.median(bare)
    return [
        Figure("write capacity per contact event", events_total.write / count, "WCU"),
        Figure("read capacity per contact event", events_total.read / count, "RCU"),
        Figure("write capacity per call (4 events, a callback task for 1 in 5)", events_total.write / CALLS, "WCU"),
        Figure("read capacity per call", events_total.read / CALLS, "RCU"),
        Figure("DynamoDB calls per contact event", events_total.total_calls / count, "calls"),
        Figure("write capacity of a retried event", retried.write / CALLS, "WCU", "0", retried.write == 0),
        Figure("handler median per event ÷ bare PutItem median", ratio, "x",
               note=f"p95 handler {sorted(handler)[int(0.95 * len(handler))] * 1000:.1f} ms"),
    ]
