"""The privacy area's scheduled job, `privacy-run`, as app.py's Lambda function calls it: continue the privacy
requests an earlier invocation left running, close the export windows that have ended (clause 11.2), then apply
every merchant's retention periods (clause 7). Short of time, it stops with a cursor and continues in another
invocation of itself on AWS, or in this process elsewhere, as billing's runs do."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import Services
from chalicelib.core.budget import Budget, Deadline
from chalicelib.core.observability import logger
from chalicelib.privacy.model import add_counts
from chalicelib.schedules import event_time


def run(event: dict[str, Any], services: Services, context: Any = None, *, budget: Budget | None = None,
        invoker: Any = None) -> dict[str, Any]:
    event = dict(event or {})
    now = event_time(event, services.clock.now())
    budget = budget or Deadline.of_context(context)
    privacy = services.privacy
    report: dict[str, Any] = {"time": now.isoformat()}
    if event.get("cursor") is None:  # a continuation goes straight on with retention
        report.update(privacy.continue_running(budget))
        report.update(privacy.run_windows(now, budget))
    erased, cursor = privacy.apply_retention(now, budget, event.get("cursor"))
    function_name = getattr(context, "function_name", None)
    if cursor is not None and isinstance(function_name, str):
        (invoker or services.invoker).invoke_async(function_name, {**event, "time": now.isoformat(), "cursor": cursor})
        logger.info("privacy run continues in another invocation", extra={"cursor": cursor})
    while cursor is not None and not isinstance(function_name, str):  # no function to invoke: continue here
        more, cursor = privacy.apply_retention(now, None, cursor)
        erased = add_counts(erased, more)
    report["retention"] = erased
    report["continued"] = cursor is not None
    logger.info("privacy run finished", extra={k: v for k, v in report.items() if k != "time"})
    return report
