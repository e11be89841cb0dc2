"""Invoking a Lambda function asynchronously: how a long scheduled run hands its cursor on to a new invocation
of itself. One client per process, made lazily."""

from __future__ import annotations

import json
from typing import Any

_clients: dict[str, Any] = {}


def client(region: str) -> Any:
    if region not in _clients:
        import boto3

        _clients[region] = boto3.client("lambda", region_name=region)
    return _clients[region]


class LambdaInvoker:
    def __init__(self, region: str) -> None:
        self.region = region

    def invoke_async(self, function_name: str, event: dict[str, Any]) -> None:
        """Queue an invocation with ``event`` (InvocationType Event): Lambda retries it on failure, and the
        caller does not wait for it."""
        response = client(self.region).invoke(FunctionName=function_name, InvocationType="Event",
                                              Payload=json.dumps(event).encode())
        if response.get("StatusCode") != 202:
            raise RuntimeError(f"Lambda did not accept the invocation of {function_name}: {response.get('StatusCode')}")
