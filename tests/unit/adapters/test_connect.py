"""The Connect adapter's one call, DescribeContact, against botocore's Stubber (the request is checked against
Connect's own service model): what it asks, what it returns, and a contact Connect no longer knows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from chalicelib.adapters import connect
from chalicelib.phone import model

REGION = "ap-southeast-1"


@pytest.fixture
def stubbed() -> Iterator[Stubber]:
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    connect._clients.clear()
    client = connect.client(REGION)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
    connect._clients.clear()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def contact() -> dict[str, Any]:
    return {"Id": "c-1", "Channel": "VOICE", "InitiationMethod": "INBOUND",
            "InitiationTimestamp": datetime(2026, 6, 15, 4, 0, tzinfo=UTC),
            "DisconnectTimestamp": datetime(2026, 6, 15, 4, 3, tzinfo=UTC),
            "QueueInfo": {"Id": "q-1", "EnqueueTimestamp": datetime(2026, 6, 15, 4, 0, 5, tzinfo=UTC)},
            "AgentInfo": {"Id": "agent-7", "ConnectedToAgentTimestamp": datetime(2026, 6, 15, 4, 0, 20, tzinfo=UTC)},
            "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+8613800138000"},
            "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+862112345678"},
            "Recordings": [{"StorageType": "S3", "MediaStreamType": "AUDIO",
                            "Location": "kefu-prod-mail-1/recordings/inst-1/c-1.wav"}]}


def test_describe_contact_asks_for_the_instance_and_contact_and_completes_the_event(stubbed: Stubber) -> None:
    stubbed.add_response("describe_contact", {"Contact": contact()}, {"InstanceId": "inst-1", "ContactId": "c-1"})
    described = connect.ConnectContacts(REGION).describe("inst-1", "c-1")
    assert described is not None
    event = model.from_connect({"eventType": "DISCONNECTED", "contactId": "c-1", "channel": "VOICE",
                                "instanceArn": "arn:aws:connect:ap-southeast-1:1:instance/inst-1"},
                               described, "recordings/")
    record = model.fold([event])
    assert (record.caller, record.callee, record.agent, record.queue) == (
        "+8613800138000", "+862112345678", "agent-7", "q-1")
    assert (record.outcome, record.waiting_seconds, record.talk_seconds) == (model.Outcome.ANSWERED, 15, 160)
    assert record.recording == "recordings/inst-1/c-1.wav"


def test_a_contact_connect_no_longer_knows_is_none_and_other_errors_raise(stubbed: Stubber) -> None:
    stubbed.add_client_error("describe_contact", "ResourceNotFoundException", http_status_code=404)
    stubbed.add_client_error("describe_contact", "ThrottlingException", http_status_code=429)
    contacts = connect.ConnectContacts(REGION)
    assert contacts.describe("inst-1", "gone") is None
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        contacts.describe("inst-1", "c-2")


def test_queue_and_agent_names_are_asked_once_and_then_cached(stubbed: Stubber) -> None:
    stubbed.add_response("describe_queue", {"Queue": {"Name": "售前咨询", "QueueId": "q-1"}},
                         {"InstanceId": "inst-1", "QueueId": "q-1"})
    stubbed.add_response("describe_user", {"User": {"Id": "agent-7", "Username": "wang.fang",
                                                    "IdentityInfo": {"FirstName": "芳", "LastName": "王"}}},
                         {"InstanceId": "inst-1", "UserId": "agent-7"})
    stubbed.add_response("describe_user", {"User": {"Id": "agent-8", "Username": "li.lei"}},
                         {"InstanceId": "inst-1", "UserId": "agent-8"})
    stubbed.add_response("describe_user", {"User": {"Id": "agent-9", "Username": "a.b", "IdentityInfo": {
        "FirstName": "Anna", "LastName": "Berg"}}}, {"InstanceId": "inst-1", "UserId": "agent-9"})
    contacts = connect.ConnectContacts(REGION)
    assert contacts.queue_name("inst-1", "q-1") == "售前咨询"
    assert contacts.queue_name("inst-1", "q-1") == "售前咨询"  # cached: the Stubber holds no second answer
    assert contacts.agent_name("inst-1", "agent-7") == "王芳"
    assert contacts.agent_name("inst-1", "agent-7") == "王芳"
    assert contacts.agent_name("inst-1", "agent-8") == "li.lei"  # no names in the user record: its user name
    assert contacts.agent_name("inst-1", "agent-9") == "Anna Berg"


def test_a_queue_connect_does_not_know_has_no_name(stubbed: Stubber) -> None:
    stubbed.add_client_error("describe_queue", "ResourceNotFoundException", http_status_code=404)
    assert connect.ConnectContacts(REGION).queue_name("inst-1", "q-gone") is None
