"""Amazon Connect: DescribeContact completes a contact event with the numbers, the queue, the agent and the
recording. One client per process, made lazily; the only Connect call kefu makes (its grant allows no other)."""

from __future__ import annotations

from typing import Any

_clients: dict[str, Any] = {}


def client(region: str) -> Any:
    if region not in _clients:
        import boto3

        _clients[region] = boto3.client("connect", region_name=region)
    return _clients[region]


class ConnectContacts:
    def __init__(self, region: str) -> None:
        self.region = region

    def describe(self, instance_id: str, contact_id: str) -> dict[str, Any] | None:
        """The contact as DescribeContact returns it, or None when Connect no longer knows it (or refuses):
        the event is then recorded with what it carries itself."""
        from botocore.exceptions import ClientError

        try:
            answer = client(self.region).describe_contact(InstanceId=instance_id, ContactId=contact_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("ResourceNotFoundException", "AccessDeniedException",
                                                              "InvalidParameterException"):
                return None
            raise
        contact: dict[str, Any] = answer.get("Contact") or {}
        return contact
