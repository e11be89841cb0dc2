"""Every event function logs with the Lambda context and a correlation id, and is traced (Powertools)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from chalicelib.core.observability import LocalContext, correlation_id, logger
from chalicelib.mail.model import ses_event

TIMEZONES = {"billing-run": "Asia/Shanghai"}


def test_a_received_mail_is_correlated_by_its_ses_message_id() -> None:
    from datetime import UTC, datetime

    event = ses_event("abc123", ["help@kefu.local"], "a@b.c", datetime(2026, 6, 15, tzinfo=UTC))
    assert correlation_id("mail_inbound", event, TIMEZONES) == "abc123"


def test_a_bounce_is_correlated_by_the_ses_id_of_the_mail_it_is_about() -> None:
    event = {"Records": [{"Sns": {"MessageId": "n1", "Message": json.dumps({"mail": {"messageId": "sent-9"}})}}]}
    assert correlation_id("mail_delivery_events", event, TIMEZONES) == "sent-9"
    assert correlation_id("mail_delivery_events", {"Records": [{"Sns": {"MessageId": "n1", "Message": "x"}}]},
                          TIMEZONES) == "sns:n1"


def test_a_connect_contact_event_is_correlated_by_its_contact() -> None:
    event = {"source": "aws.connect", "detail-type": "Amazon Connect Contact Event", "time": "2026-06-15T04:00:00Z",
             "detail": {"eventType": "QUEUED", "contactId": "c-42"}}
    assert correlation_id("phone_events", event, TIMEZONES) == "connect:c-42"


def test_a_scheduled_job_is_correlated_by_its_name_and_its_day_in_its_time_zone() -> None:
    # 00:05 in Shanghai on 16 June is 16:05 UTC on the 15th: the run is the 16th's.
    assert correlation_id("billing-run", {"time": "2026-06-15T16:05:00Z"}, TIMEZONES) == "billing-run:2026-06-16"
    assert correlation_id("billing-run", {}, TIMEZONES) == "billing-run:-"


def test_every_lambda_function_of_app_logs_its_context_and_correlation_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through Chalice's own middleware chain, as Lambda calls the function."""
    from app import app


    @app.lambda_function(name="observed_probe")
    def probe(event: dict[str, Any], context: Any) -> dict[str, Any]:
        logger.info("inside")
        return {"ok": True}

    stream = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        monkeypatch.delenv("KEFU_FUNCTION", raising=False)
        assert probe({"time": "2026-06-15T16:05:00Z"}, LocalContext("billing-run")) == {"ok": True}
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
        app.pure_lambda_functions[:] = [f for f in app.pure_lambda_functions if f.name != "observed_probe"]
    seen = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    [inside] = [s for s in seen if s["message"] == "inside"]
    assert inside["correlation_id"] == "billing-run:2026-06-16"
    assert inside["function_name"] == "billing-run" and inside["function"] == "billing-run"
    assert "function_request_id" in inside and "cold_start" in inside


def test_every_event_function_of_app_goes_through_the_middleware() -> None:
    """Each handler Lambda loads by its handler string is Chalice's event handler, which runs the app's
    `pure_lambda` middleware (local mode calls the same handlers). Checked without building the chain: Chalice
    builds it once, on the first call, from a generator that must not be consumed before."""
    from chalice.app import EventSourceHandler

    import app as module
    from chalicelib.core.observability import event_middleware
    from chalicelib.local.scheduler import lambda_functions

    assert (event_middleware, "pure_lambda") in module.app.middleware_handlers
    assert module.app.pure_lambda_functions
    for function in module.app.pure_lambda_functions:
        handler = getattr(module, function.handler_string.split(".", 1)[1])
        assert isinstance(handler, EventSourceHandler), function.name
        assert lambda_functions()[function.name] is handler
