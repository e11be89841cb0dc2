"""Local mode's stand-in for Amazon Connect's DescribeContact: `./kefu phone simulate` tells it the contacts it
makes up, and the same handler that reads Connect on AWS reads them here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.ids import new_id

# The names the simulated calls' queue and agent have, as an instance's DescribeQueue and DescribeUser would say.
SIMULATED_NAMES = {"default": "售前咨询", "simulated-agent": "模拟坐席"}


class LocalContacts:
    def __init__(self) -> None:
        self._contacts: dict[tuple[str, str], dict[str, Any]] = {}
        self.names = dict(SIMULATED_NAMES)

    def queue_name(self, instance_id: str, queue_id: str) -> str | None:
        return self.names.get(queue_id)

    def agent_name(self, instance_id: str, user_id: str) -> str | None:
        return self.names.get(user_id)

    def add(self, instance_id: str, contact_id: str, contact: dict[str, Any]) -> None:
        self._contacts[(instance_id, contact_id)] = contact

    def describe(self, instance_id: str, contact_id: str) -> dict[str, Any] | None:
        return self._contacts.get((instance_id, contact_id))


def connect_events(instance_id: str, contact: str, start: datetime, *, answered_after: int | None,
                   duration: int, queue_name: str = "default", agent: str = "simulated-agent") -> list[dict[str, Any]]:
    """The EventBridge events Amazon Connect sends for one inbound voice call, in order: it rings, waits in
    a queue from 3 s on, is answered `answered_after` s later (or not) and ends `duration` s after that."""
    arn = f"arn:aws:connect:local:000000000000:instance/{instance_id}"
    queue = {"queueArn": f"{arn}/queue/{queue_name}", "enqueueTimestamp": (start + timedelta(seconds=3)).isoformat()}

    def event(kind: str, at: datetime, **detail: Any) -> dict[str, Any]:
        return {"version": "0", "id": new_id("evt"), "detail-type": "Amazon Connect Contact Event",
                "source": "aws.connect", "account": "000000000000", "time": at.isoformat(), "region": "local",
                "resources": [f"{arn}/contact/{contact}"],
                "detail": {"eventType": kind, "contactId": contact, "channel": "VOICE", "instanceArn": arn,
                           "initiationMethod": "INBOUND", "initiationTimestamp": start.isoformat(), **detail}}

    events = [event("INITIATED", start), event("QUEUED", start + timedelta(seconds=3), queueInfo=queue)]
    end = start + timedelta(seconds=3 + (answered_after or 0) + duration)
    if answered_after is not None:
        answered = start + timedelta(seconds=3 + answered_after)
        events.append(event("CONNECTED_TO_AGENT", answered, queueInfo=queue, agentInfo={
            "agentArn": f"{arn}/agent/{agent}", "connectedToAgentTimestamp": answered.isoformat()}))
    events.append(event("DISCONNECTED", end, queueInfo=queue, disconnectTimestamp=end.isoformat()))
    return events
