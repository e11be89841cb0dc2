"""One structured logger for the whole app: JSON lines with the request id and the merchant id, and on event
functions the Lambda context and a correlation id; one tracer (X-Ray through Powertools) for every function.

Keys, secrets and personal data are never passed to it; ids are. Should one slip in anyway (an exception's
text, a path with a signed query), the redacting filter takes keys, tokens and signatures out of every line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from chalicelib.core.redaction import RedactingFilter

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger(service="kefu")
logger.registered_handler.addFilter(RedactingFilter())
SERVICE = "kefu"
_tracer: Tracer | None = None


def bind(**keys: str) -> None:
    """Add keys to every log line of the current request (thread-safe: chalice local is threaded)."""
    logger.thread_safe_append_keys(**keys)


def unbind() -> None:
    logger.thread_safe_clear_keys()


def log_to_stderr() -> None:
    """Command lines print their answers on stdout (`--json` for scripts): their log lines go to stderr."""
    logger.registered_handler.setStream(sys.stderr)  # type: ignore[attr-defined]


def tracer() -> Tracer:
    """The process's tracer, made on first use (not at import: app.py's import stays small). It patches
    botocore only (boto3 and PynamoDB call through it), so every AWS call is a subsegment, and nothing else the
    X-Ray SDK could patch; outside Lambda (local mode, tests) Powertools disables it itself."""
    global _tracer
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        _tracer = Tracer(service=SERVICE, patch_modules=("botocore",))
    return _tracer


@dataclass(frozen=True)
class LocalContext:
    """What local mode hands a function instead of Lambda's context: the same fields the logger reads."""

    function_name: str
    memory_limit_in_mb: int = 0
    invoked_function_arn: str = "local"
    aws_request_id: str = "local"


def function_name(context: Any) -> str:
    """Chalice's name of the running function: KEFU_FUNCTION (infra sets it per function), else the context's."""
    return os.environ.get("KEFU_FUNCTION") or str(getattr(context, "function_name", "") or "-")


def correlation_id(function: str, event: Mapping[str, Any], timezones: Mapping[str, str]) -> str:
    """What ties one event's log lines together across functions and retries: the SES message id of a received
    mail (or of the sent mail a bounce is about), `connect:<contact id>` for a call, and `<job>:<date>` for a
    scheduled job (the date in the job's
    time zone, as `./kefu jobs run JOB --date` names it)."""
    ids = []
    for record in event.get("Records") or []:
        if not isinstance(record, Mapping):
            continue
        ses = record.get("ses")
        if isinstance(ses, Mapping):
            ids.append(str((ses.get("mail") or {}).get("messageId") or ""))
        sns = record.get("Sns")
        if isinstance(sns, Mapping):
            try:
                ids.append(str(json.loads(sns.get("Message") or "{}")["mail"]["messageId"]))
            except (ValueError, KeyError, TypeError):
                ids.append(f"sns:{sns.get('MessageId', '')}")
    if ids:
        return ",".join(i for i in ids if i) or "-"
    detail = event.get("detail")
    if event.get("source") == "aws.connect" and isinstance(detail, Mapping) and detail.get("contactId"):
        return f"connect:{detail['contactId']}"  # the phone channel: every event of one call
    at = event.get("time")
    if at and function in timezones:
        try:
            instant = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
            return f"{function}:{instant.astimezone(ZoneInfo(timezones[function])).date().isoformat()}"
        except ValueError:
            pass
    return f"{function}:-"


def event_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every event function (SES, SNS, schedules): the Lambda context and a correlation id on each log line,
    and the invocation traced. Registered once in app.py for all `@app.lambda_function`s."""
    from chalicelib.schedules import JOBS

    payload: dict[str, Any] = event.event if isinstance(event.event, dict) else {}
    context = event.context
    name = function_name(context)
    if context is None:
        context = LocalContext(name)

    def handler(raw: dict[str, Any], lambda_context: Any) -> Any:
        logger.set_correlation_id(correlation_id(name, raw, {job.name: job.timezone for job in JOBS}))
        logger.append_keys(function=name)
        return get_response(event)

    # The response stays out of the trace: reports may name addresses (clause 7, personal data).
    traced = tracer().capture_lambda_handler(logger.inject_lambda_context(handler, clear_state=True),
                                             capture_response=False)
    return traced(payload, context)


@contextmanager
def traced_request(route: str) -> Iterator[None]:
    """An HTTP request as one X-Ray subsegment named by its route (the template, never a path with ids)."""
    with tracer().provider.in_subsegment(f"## {route}") as subsegment:
        subsegment.put_annotation("route", route)
        yield
