"""The audit trail's scheduled job, as app.py's Lambda function calls it."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import Services
from chalicelib.core.clock import local_date
from chalicelib.schedules import event_time


def digest(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """Daily: the digest of every chain head, under the day it stands for (clause 9)."""
    now = event_time(event, services.clock.now())
    return services.audit.digest(local_date(now, services.settings.timezone))
