"""Amazon Connect: DescribeContact completes a contact event with the numbers, the queue, the agent and the
recording; DescribeQueue and DescribeUser name the queue and the agent its events carry by id (cached per
process: names rarely change, and a busy queue would otherwise cost a call per event). One client per process,
made lazily; the only Connect calls kefu makes (its grant allows no others)."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.core.cache import TtlCache

NAMES_TTL_SECONDS = 3600.0
UNKNOWN_NAME_TTL_SECONDS = 300.0
_REFUSED = ("ResourceNotFoundException", "AccessDeniedException", "InvalidParameterException")

_clients: dict[str, Any] = {}


def client(region: str) -> Any:
    if region not in _clients:
        import boto3

        _clients[region] = boto3.client("connect", region_name=region)
    return _clients[region]


class ConnectContacts:
    def __init__(self, region: str) -> None:
        self.region = region
        self._names: TtlCache[str | None] = TtlCache(NAMES_TTL_SECONDS, time.monotonic,
                                                     negative_ttl_seconds=UNKNOWN_NAME_TTL_SECONDS)

    def queue_name(self, instance_id: str, queue_id: str) -> str | None:
        """The queue's name (DescribeQueue), or None when Connect does not say."""
        def load() -> str | None:
            answer = self._ask("describe_queue", InstanceId=instance_id, QueueId=queue_id)
            return str((answer.get("Queue") or {}).get("Name") or "") or None if answer else None

        return self._names.get(f"queue|{instance_id}|{queue_id}", load)

    def agent_name(self, instance_id: str, user_id: str) -> str | None:
        """The agent's name as Connect's user record has it (first and last name, else the user name)."""
        def load() -> str | None:
            answer = self._ask("describe_user", InstanceId=instance_id, UserId=user_id)
            user = (answer or {}).get("User") or {}
            identity = user.get("IdentityInfo") or {}
            first, last = identity.get("FirstName") or "", identity.get("LastName") or ""
            # Chinese names read family name first, without a space (王芳); others first name first.
            cjk = any("\u4e00" <= c <= "\u9fff" for c in first + last)
            full = f"{last}{first}" if cjk else " ".join(p for p in (first, last) if p)
            return full or user.get("Username") or None

        return self._names.get(f"user|{instance_id}|{user_id}", load)

    def _ask(self, operation: str, **params: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            answer: dict[str, Any] = getattr(client(self.region), operation)(**params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _REFUSED:
                return None
            raise
        return answer

    def describe(self, instance_id: str, contact_id: str) -> dict[str, Any] | None:
        """The contact as DescribeContact returns it, or None when Connect no longer knows it (or refuses):
        the event is then recorded with what it carries itself."""
        from botocore.exceptions import ClientError

        try:
            answer = client(self.region).describe_contact(InstanceId=instance_id, ContactId=contact_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _REFUSED:
                return None
            raise
        contact: dict[str, Any] = answer.get("Contact") or {}
        return contact
