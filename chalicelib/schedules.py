"""The catalogue of scheduled jobs: one place that says what runs when.

On AWS, `infra/` turns each entry into an EventBridge Scheduler schedule (in the entry's time zone) that
invokes the Lambda function of the same name declared in app.py. Locally, the scheduler of `make run` fires
the same functions on the same expressions, and `./kefu jobs run NAME --date D` fires one on demand.

Expressions use EventBridge Scheduler's syntax: `cron(minutes hours day-of-month month day-of-week year)`
or `rate(N unit)`. The event a job receives carries the instant it stands for (`{"time": ISO-8601}`), so a
job run for a past or future date behaves exactly as it would have then (time travel for demos and tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Job:
    name: str          # also the Lambda function's name in app.py
    expression: str    # EventBridge Scheduler expression
    description: str
    timezone: str = "Asia/Shanghai"
    memory_mb: int = 512
    timeout_seconds: int = 300


JOBS: tuple[Job, ...] = (
    # clause 6.1: nightly, after the day's work and before billing's early-morning runs.
    Job("backups", "cron(30 2 * * ? *)", "Back up every table; delete backups past the retention window",
        memory_mb=256, timeout_seconds=900),
    Job("health", "rate(5 minutes)", "Check the tables, the mail bucket and the mailer; publish the result",
        memory_mb=256, timeout_seconds=60),
    Job("billing-run", "cron(5 0 * * ? *)", "Issue every invoice that has come due (clause 5)"),
    Job("overdue-run", "cron(20 0 * * ? *)",
        "Payment reminders, late fees, suspension after the grace days and reinstatement (clause 8)"),
    Job("renewal-run", "cron(35 0 * * ? *)", "Renewal reminders before each agreement ends (clause 4.2)"),
    # clause 9: after the day's last writes, the day's chain heads go where nobody can edit them.
    Job("audit-digest", "cron(55 23 * * ? *)", "Write the day's digest of every audit chain head to the locked bucket",
        memory_mb=256, timeout_seconds=300),
    # clause 3.2: often enough that an approaching target is seen within its last business hour.
    Job("support-check", "rate(15 minutes)",
        "Record support targets breached, count those approaching; from 1 December, a missing holiday schedule",
        memory_mb=256, timeout_seconds=120),
    # clauses 7, 11.2: after the backups, before the working day; continues privacy requests left running.
    Job("privacy-run", "cron(50 2 * * ? *)",
        "Continue privacy requests; export-window notices and erasure after termination; retention periods",
        timeout_seconds=900),
)


def job(name: str) -> Job:
    for entry in JOBS:
        if entry.name == name:
            return entry
    raise KeyError(f"No scheduled job named {name!r}; known: {', '.join(j.name for j in JOBS) or 'none'}")


def event_time(event: dict[str, Any] | None, now: datetime) -> datetime:
    """The instant a scheduled event stands for: its ISO-8601 `time` (as EventBridge sends it), else now."""
    text = (event or {}).get("time")
    if not text:
        return now
    try:
        instant = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"The event's time {text!r} is not an ISO-8601 instant") from exc
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
