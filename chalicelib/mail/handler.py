"""The two event handlers of the email channel, shared by the Lambda functions in app.py and by local mode's
SMTP server (which hands over an SES-shaped event): the very same code path on AWS and locally."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.mail.model import delivery_events, inbound_events

if TYPE_CHECKING:
    from chalicelib.bootstrap import Services


def on_inbound(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """SES received mail (receipt rule: S3 action, then this). Reads each raw mail from the blob store by its
    SES message id, and delivers or keeps it. Raising makes Lambda retry, which stores nothing twice."""
    outcomes: list[dict[str, Any]] = []
    for record in inbound_events(event):
        outcomes.extend(asdict(o) for o in services.mail.receive(record))
    return {"outcomes": outcomes}


def on_delivery_events(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """SES bounce and complaint notifications (through SNS or EventBridge)."""
    # Notices to licensees (clause 13.1) are the notices area's; every other mail is the mail area's.
    matched = [services.notices.record_delivery_event(e) if services.notices.is_notice(e)
               else services.mail.record_delivery_event(e) for e in delivery_events(event)]
    return {"events": len(matched), "matched": sum(matched)}
