"""The billing area's scheduled jobs, as app.py's Lambda functions call them: the event's instant in, the
run's report out (the report is what the local scheduler and `./kefu jobs run` print)."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import services
from chalicelib.core.observability import logger
from chalicelib.schedules import event_time


def run(job: str, event: dict[str, Any] | None) -> dict[str, Any]:
    built = services()
    now = event_time(event, built.clock.now())
    dry_run = bool((event or {}).get("dry_run", False))
    billing = built.billing
    if job == "billing":
        report = billing.run_billing(now, dry_run=dry_run)
    elif job == "overdue":
        report = billing.run_overdue(now, dry_run=dry_run)
    elif job == "renewal":
        report = billing.run_renewals(now, dry_run=dry_run)
    else:
        raise ValueError(f"unknown billing job {job!r}")
    logger.info("scheduled run finished", extra={"job": job, "day": report.day.isoformat(),
                                                  "invoices": len(report.invoices), "notices": report.notices,
                                                  "errors": len(report.errors), "dry_run": dry_run})
    return report.as_dict()
