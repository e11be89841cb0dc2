from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from chalicelib.bootstrap import Services
from chalicelib.licensing.model import Channel
from chalicelib.local.connect import connect_events
from tests.factories import Factory, Merchant

INSTANCE = "inst-0001"


@dataclass
class PhoneMerchant:
    merchant: Merchant
    number: str
    instance: str

    @property
    def licensee_id(self) -> str:
        return self.merchant.licensee_id


@pytest.fixture
def phone_merchant(factory: Factory, services: Services) -> PhoneMerchant:
    merchant = factory.merchant(channels=(Channel.CHAT, Channel.EMAIL, Channel.PHONE))
    suffix = merchant.licensee_id[-8:]
    number = "+8621" + str(int(suffix, 36) % 10**8).zfill(8)
    services.phone.add_number(merchant.licensee_id, number, "test:factory")
    instance = services.phone.set_instance(merchant.licensee_id, f"inst-{suffix}", "test:factory")
    return PhoneMerchant(merchant, number, instance)


def contact_event(kind: str, contact_id: str, instance: str, at: datetime, **detail: Any) -> dict[str, Any]:
    """An EventBridge `Amazon Connect Contact Event` as Connect sends it."""
    arn = f"arn:aws:connect:ap-southeast-1:111122223333:instance/{instance}"
    body: dict[str, Any] = {"eventType": kind, "contactId": contact_id, "channel": "VOICE", "instanceArn": arn,
                            "initiationMethod": "INBOUND", "initiationTimestamp": at.isoformat(), **detail}
    return {"version": "0", "id": f"{contact_id}-{kind}", "detail-type": "Amazon Connect Contact Event",
            "source": "aws.connect", "account": "111122223333", "time": at.isoformat(),
            "region": "ap-southeast-1", "resources": [f"{arn}/contact/{contact_id}"], "detail": body}


def call_events(contact_id: str, instance: str, start: datetime, *, answered_after: int | None,
                duration: int = 120) -> list[dict[str, Any]]:
    """INITIATED, QUEUED, (CONNECTED_TO_AGENT,) DISCONNECTED for one call, as the simulator sends them."""
    return connect_events(instance, contact_id, start, answered_after=answered_after, duration=duration,
                          queue_name="presales", agent="agent-1")
