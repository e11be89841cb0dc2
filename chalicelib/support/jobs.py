"""The support area's scheduled job, as app.py's Lambda function calls it: the event's instant in, the check's
report out."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import Services
from chalicelib.schedules import event_time


def check(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """Every 15 minutes: breaches of support targets recorded once, approaching ones counted (clause 3.2)."""
    return services.support.check(event_time(event, services.clock.now()))
