"""Operations' scheduled jobs (clause 6.1), as app.py's functions call them through `chalicelib.functions`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.schedules import event_time

if TYPE_CHECKING:
    from chalicelib.bootstrap import Services


def backups(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """Nightly: back up every table, delete backups past the retention window."""
    return services.operations.back_up(event_time(event, services.clock.now())).as_dict()


def health(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """Every few minutes: ask the tables, the bucket and the mailer; each answer becomes a metric."""
    return services.operations.health(event_time(event, services.clock.now())).as_dict()
