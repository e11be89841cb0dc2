"""License validation: DynamoDB read capacity per validation, cold and warm (goal: 0 reads when warm), and
validations per second through the Lambda handler, as a ratio to bare GetItems on the same DynamoDB Local."""

from __future__ import annotations

import json
import time
from typing import Any

from bench.harness import BenchEnv, Figure
from chalicelib.licensing.model import Channel

REQUESTS = 2000


def event(key: str) -> dict[str, Any]:
    return {
        "resource": "/v1/licenses/validate", "path": "/v1/licenses/validate", "httpMethod": "POST",
        "headers": {"content-type": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None, "isBase64Encoded": False, "body": json.dumps({"key": key, "channel": "chat"}),
        "requestContext": {"resourcePath": "/v1/licenses/validate", "httpMethod": "POST", "requestId": "bench",
                           "path": "/v1/licenses/validate"},
    }


class Context:
    aws_request_id = "bench"
    function_name = "kefu-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:000000000000:function:kefu-api"


def run(env: BenchEnv) -> list[Figure]:
    from tests.factories import Factory

    built = env.build()
    merchant = Factory(built).merchant()
    fresh = env.build(built.clock)  # a new process: empty caches
    with env.capacity() as cold:
        assert fresh.licensing.validate(merchant.agent_key, Channel.CHAT).valid
    with env.capacity() as warm:
        for _ in range(100):
            fresh.licensing.validate(merchant.agent_key, Channel.CHAT)

    from app import app

    handler_event, context = event(merchant.agent_key), Context()
    assert json.loads(app(handler_event, context)["body"])["code"] == "VALID"
    started = time.perf_counter()
    for _ in range(REQUESTS):
        app(handler_event, context)
    per_second = REQUESTS / (time.perf_counter() - started)

    from chalicelib.licensing.store import LicensingItem

    started = time.perf_counter()
    for _ in range(200):
        LicensingItem.get(f"LICENSEE#{merchant.licensee_id}", "AGREEMENT")
    get_items_per_second = 200 / (time.perf_counter() - started)

    return [
        Figure("read capacity units, cold validation", cold.read, "RCU", note=f"{cold.calls}"),
        Figure("read capacity units per warm validation", warm.read / 100, "RCU", "0", warm.read == 0),
        Figure("DynamoDB calls per warm validation", warm.total_calls / 100, "calls", "0", warm.total_calls == 0),
        Figure("validations/s through the handler", round(per_second), "per s"),
        Figure("handler validations/s / bare GetItem/s", round(per_second / get_items_per_second, 2), "ratio",
               note=f"{get_items_per_second:.0f} GetItem/s on DynamoDB Local"),
    ]
