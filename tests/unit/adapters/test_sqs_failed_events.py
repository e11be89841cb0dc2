"""The on-failure destination queue as staff commands read it (moto: SQS is a control-plane adapter here)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

REGION = "ap-southeast-1"


@pytest.fixture
def queue() -> Iterator[str]:
    from moto import mock_aws

    from chalicelib.adapters import sqs

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    with mock_aws():
        sqs._clients.clear()
        sqs.client(REGION).create_queue(QueueName="kefu-test-failed-events")
        yield "kefu-test-failed-events"
        sqs._clients.clear()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def destination_message(ses_id: str, at: str) -> str:
    """What Lambda sends to an SQS on-failure destination after the last retry of an asynchronous event."""
    return json.dumps({
        "version": "1.0", "timestamp": at,
        "requestContext": {"requestId": "r1", "functionArn": "arn:aws:lambda:ap-southeast-1:1:function:f:$LATEST",
                           "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": {"Records": [{"ses": {"mail": {"messageId": ses_id}, "receipt": {}}}]},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "x", "errorType": "ConnectionError"}})


def test_pending_reads_every_failed_event_oldest_first_and_remove_deletes_one(queue: str) -> None:
    from chalicelib.adapters import sqs

    client = sqs.client(REGION)
    url = client.get_queue_url(QueueName=queue)["QueueUrl"]
    for i, at in enumerate(["2026-06-15T05:00:00.000Z", "2026-06-15T04:00:00.000Z"] + ["2026-06-15T06:00:00Z"] * 11):
        client.send_message(QueueUrl=url, MessageBody=destination_message(f"ses{i}", at))
    failed = sqs.SqsFailedEvents(queue, REGION)
    pending = failed.pending()
    assert len(pending) == 13  # more than one receive's batch of 10
    assert pending[0].payload["Records"][0]["ses"]["mail"]["messageId"] == "ses1"
    assert (pending[0].error, pending[0].function.split(":")[6]) == ("ConnectionError", "f")
    failed.remove(pending[0])
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                           "ApproximateNumberOfMessagesNotVisible"])
    counts = attributes["Attributes"]
    assert int(counts["ApproximateNumberOfMessages"]) + int(counts["ApproximateNumberOfMessagesNotVisible"]) == 12
