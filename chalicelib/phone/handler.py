"""The phone channel's event handler, for the Lambda function in app.py: an EventBridge rule (infra/) sends Amazon
Connect's contact events of voice calls here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.bootstrap import Services


def on_connect_event(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """One Connect contact event folded into its call record; raising makes Lambda retry, which stores nothing
    twice."""
    return services.phone.connect_event(event)
