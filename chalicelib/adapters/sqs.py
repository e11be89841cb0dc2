"""The on-failure destination queue of the asynchronously invoked functions, read by staff commands."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.failures import FailedEvent, destination_record

_clients: dict[str, Any] = {}
# How long the messages read stay hidden from another reader while a replay runs; those not removed come back.
VISIBILITY_SECONDS = 300


def client(region: str) -> Any:
    if region not in _clients:
        import boto3

        _clients[region] = boto3.client("sqs", region_name=region)
    return _clients[region]


class SqsFailedEvents:
    def __init__(self, queue_name: str, region: str) -> None:
        self.queue_name = queue_name
        self.region = region
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = str(client(self.region).get_queue_url(QueueName=self.queue_name)["QueueUrl"])
        return self._url

    def pending(self) -> list[FailedEvent]:
        found: list[FailedEvent] = []
        while True:
            batch = client(self.region).receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                                        VisibilityTimeout=VISIBILITY_SECONDS, WaitTimeSeconds=0)
            messages = batch.get("Messages") or []
            if not messages:
                return sorted(found, key=lambda e: e.failed_at)
            found += [destination_record(json.loads(m["Body"]), m["ReceiptHandle"]) for m in messages]

    def remove(self, event: FailedEvent) -> None:
        client(self.region).delete_message(QueueUrl=self.url, ReceiptHandle=event.handle)
