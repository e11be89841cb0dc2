"""The billing area's scheduled jobs, as app.py's Lambda functions call them: the event's instant in, the
run's report out (the report is what the local scheduler and `./kefu jobs run` print).

A run watches the time its invocation has left (Lambda's context). When it runs short, the run stops between two
accounts with a cursor, and the job continues it: on AWS by invoking its own function again, asynchronously,
with the same event and the cursor; elsewhere (the local scheduler, `./kefu jobs run`, a caller with a budget
of its own) in this process, until the run is done. Either way every account due that day is processed that
day, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.billing.model import RunReport
from chalicelib.bootstrap import Services
from chalicelib.core.budget import Budget, Deadline
from chalicelib.core.observability import logger
from chalicelib.schedules import event_time


class Invoker(Protocol):
    def invoke_async(self, function_name: str, event: dict[str, Any]) -> None: ...


def _runs(built: Services) -> dict[str, Callable[..., RunReport]]:
    return {"billing": built.billing.run_billing, "overdue": built.billing.run_overdue,
            "renewal": built.billing.run_renewals}


def billing(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """The billing run (clause 5)."""
    return run("billing", event, services, context)


def overdue(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """The overdue run (clauses 8, 13.5)."""
    return run("overdue", event, services, context)


def renewal(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """The renewal run (clause 4.2)."""
    return run("renewal", event, services, context)


def run(job: str, event: dict[str, Any] | None, built: Services, context: Any = None, *,
        budget: Budget | None = None, invoker: Invoker | None = None) -> dict[str, Any]:
    """Run one job for the event's instant. ``budget`` overrides the context's time left (tests);
    ``invoker`` is how a run that ran short continues on AWS (the services' Lambda adapter by default)."""
    event = dict(event or {})
    now = event_time(event, built.clock.now())
    dry_run = bool(event.get("dry_run", False))
    try:
        work = _runs(built)[job]
    except KeyError:
        raise ValueError(f"unknown billing job {job!r}") from None
    budget = budget or Deadline.of_context(context)
    report = work(now, dry_run=dry_run, budget=budget, cursor=event.get("cursor"))
    # Lambda's own context has both; local mode's stand-in (the scheduler, `./kefu jobs run`) has no time limit.
    function_name = getattr(context, "function_name", None)
    on_lambda = isinstance(function_name, str) and callable(getattr(context, "get_remaining_time_in_millis", None))
    if report.cursor is not None and on_lambda:
        # Another invocation of this function continues after the cursor, with a budget of its own.
        (invoker or built.invoker).invoke_async(str(function_name), {**event, "time": now.isoformat(),
                                                                     "cursor": report.cursor})
        logger.info("scheduled run continues in another invocation", extra={"job": job, "cursor": report.cursor})
    else:
        while report.cursor is not None:  # no function to invoke: this process continues after the cursor
            report = report.followed_by(work(now, dry_run=dry_run, cursor=report.cursor))
    logger.info("scheduled run finished", extra={"job": job, "day": report.day.isoformat(),
                                                  "invoices": len(report.invoices), "notices": report.notices,
                                                  "errors": len(report.errors), "dry_run": dry_run,
                                                  "continued": report.cursor is not None})
    return report.as_dict()
