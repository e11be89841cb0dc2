"""Events an asynchronously invoked function could not process after its retries, kept to be run again.

On AWS, Lambda puts each such event into the functions' on-failure destination (an SQS queue, infra/stack.py);
locally, the SMTP ingress keeps the event it could not hand over in a folder. Either way the record holds the
event exactly as the function received it, so it can be replayed through the same code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class FailedEvent:
    failed_at: datetime
    payload: dict[str, Any]  # the event as the function received it
    error: str               # the error type of the last attempt
    function: str            # which function failed (on AWS: its ARN)
    handle: str              # what `remove` needs (an SQS receipt handle, a file name)


class FailedEvents(Protocol):
    def pending(self) -> list[FailedEvent]:
        """Every failed event still kept, oldest first."""
        ...

    def remove(self, event: FailedEvent) -> None:
        """Forget an event once it has been processed."""
        ...


def destination_record(body: dict[str, Any], handle: str) -> FailedEvent:
    """A Lambda on-failure destination record (the shape Lambda sends to SQS) as a FailedEvent."""
    response = body.get("responsePayload") or {}
    return FailedEvent(failed_at=datetime.fromisoformat(str(body["timestamp"]).replace("Z", "+00:00")),
                       payload=dict(body.get("requestPayload") or {}),
                       error=str(response.get("errorType") or (body.get("requestContext") or {}).get("condition")),
                       function=str((body.get("requestContext") or {}).get("functionArn") or ""), handle=handle)
