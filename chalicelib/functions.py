"""Every event function's handler, by the function's name in app.py. app.py declares each function in one line
that hands its event and context to `handle`; the handler's module is imported on first use, so a cold
function loads only its own area. Every handler is called the same way: `handler(event, services, context)`.

Scheduled functions are named after their job in `chalicelib.schedules`; infra/ reads both."""

from __future__ import annotations

import importlib
import os
from typing import Any

HANDLERS: dict[str, str] = {
    # Email (SES receipt rule: S3 action, then this; SES bounce and complaint notifications through SNS).
    "mail_inbound": "chalicelib.mail.handler:on_inbound",
    "mail_delivery_events": "chalicelib.mail.handler:on_delivery_events",
    # Phone (EventBridge rule on Amazon Connect's contact events of voice calls).
    "phone_events": "chalicelib.phone.handler:on_connect_event",
    # Scheduled jobs: each gets the instant it stands for in the event's `time`.
    "backups": "chalicelib.operations.jobs:backups",
    "health": "chalicelib.operations.jobs:health",
    "billing-run": "chalicelib.billing.jobs:billing",
    "overdue-run": "chalicelib.billing.jobs:overdue",
    "renewal-run": "chalicelib.billing.jobs:renewal",
    "support-check": "chalicelib.support.jobs:check",
    "audit-digest": "chalicelib.audit.jobs:digest",
    "privacy-run": "chalicelib.privacy.jobs:run",
}


# The WebSocket API's functions, as infra/ names them (Chalice names them by route).
WEBSOCKET_FUNCTIONS = ("websocket_connect", "websocket_disconnect", "websocket_message")


def serves_api(function_name: str | None = None) -> bool:
    """Whether this process may serve the REST API: everywhere but in an event function's instance on AWS, which
    infra/ names in KEFU_FUNCTION (local mode, tests and `chalice package` have none: everything is there)."""
    name = function_name if function_name is not None else os.environ.get("KEFU_FUNCTION", "")
    return name not in HANDLERS and name not in WEBSOCKET_FUNCTIONS


def handle(name: str, event: dict[str, Any], context: Any) -> Any:
    """Run function ``name`` on one event, with the process's services."""
    from chalicelib.bootstrap import services

    module, attribute = HANDLERS[name].split(":")
    return getattr(importlib.import_module(module), attribute)(event, services(), context)
