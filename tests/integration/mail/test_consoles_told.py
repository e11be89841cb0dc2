"""On AWS, new mail reaches the merchant's consoles through API Gateway's Management API, as chat does: the
inbound-mail function finds the agents' open connections and posts to each (locally the loopback WebSocket
server plugs itself in instead)."""

from __future__ import annotations

import json
from dataclasses import replace
from unittest import mock

from chalicelib import bootstrap
from chalicelib.adapters import apigateway
from chalicelib.core.clock import FixedClock
from chalicelib.metrics import MemorySink
from chalicelib.settings import Settings
from tests.mail_helpers import deliver, mail_merchant, raw_mail

ENDPOINT = "https://abc123.execute-api.ap-southeast-1.amazonaws.com/v1"


def test_new_mail_is_posted_to_the_agents_open_connections(services: bootstrap.Services, factory: object,
                                                           settings: Settings, clock: FixedClock) -> None:
    merchant, address = mail_merchant(services, factory)
    on_aws = bootstrap.build(replace(settings, realtime_endpoint=ENDPOINT), clock, MemorySink())
    on_aws.realtime.connected("agent-socket=", merchant.licensee_id, "agents")
    with mock.patch.object(apigateway.client(ENDPOINT, settings.region), "post_to_connection") as post:
        deliver(on_aws, raw_mail("buyer@example.org", address, subject="退货"), [address])
    [call] = post.call_args_list
    assert call.kwargs["ConnectionId"] == "agent-socket="
    event = json.loads(call.kwargs["Data"])
    [ticket] = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
    assert event["type"] == "inbox" and event["kind"] == "ticket" and event["id"] == ticket["id"]
