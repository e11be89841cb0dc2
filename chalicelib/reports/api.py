"""`GET /v1/agent/reports?from=&to=`: the shop's report (see chalicelib/reports/model.py for the definitions)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import json_response, script_response
from chalicelib.licensing.guard import require_agent

reports_api = Blueprint(__name__)
STATIC = Path(__file__).parent / "static"


@cache
def _script() -> str:
    return (STATIC / "reports.js").read_text(encoding="utf-8")


@reports_api.route("/console-reports.js", methods=["GET"])
def console_script() -> Response:
    """The console's Reports tab, added through the console's tab hook."""
    return script_response(_script())


@reports_api.route("/v1/agent/reports", methods=["GET"])
def reports() -> Response:
    """`from` and `to` as YYYY-MM-DD in the shop's time zone (default: the last seven days)."""
    from chalicelib.reports import model
    from chalicelib.reports.service import ReportService

    built = services()
    principal = require_agent(reports_api.current_request, built.licensing, None)
    query: Mapping[str, str] = reports_api.current_request.query_params or {}
    tz_today = built.clock.now().astimezone(built.settings.timezone).date()
    start, end = model.period(_day(query, "from"), _day(query, "to"), tz_today)
    return json_response(ReportService(built.chat, built.mail).report(principal.licensee_id, start, end,
                                                                      principal.validation.channels))


def _day(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"'{name}' is a date as YYYY-MM-DD.", code="INVALID_DATE",
                           details={"field": name}) from None
