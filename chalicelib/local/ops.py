"""The licensor's dashboard in `make run`: `/ops` on the local API, drawn from the same definition as the
CloudWatch dashboard (chalicelib/operations/board.py) with the EMF lines this run keeps. Only local mode
registers these routes; the data answer only to the run's operations key (in .data/demo.json)."""

from __future__ import annotations

import argparse
import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response

from chalicelib.bootstrap import Services
from chalicelib.core.errors import KefuError
from chalicelib.core.http import json_response

ops_api = Blueprint(__name__)
STATIC = Path(__file__).parent / "static"
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
            "Cache-Control": "no-cache"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_config: dict[str, Any] = {"key": None, "metrics_file": None}


def configure(key: str, metrics_file: Path | None) -> None:
    _config.update(key=key, metrics_file=metrics_file)


def emf_lines(path: Path | None) -> Iterator[dict[str, Any]]:
    if path is None or not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                yield json.loads(line)
            except ValueError:
                continue  # a line cut short by a stop mid-write


@ops_api.route("/ops", methods=["GET"])
def page() -> Response:
    return Response(body=(STATIC / "ops.html").read_text(encoding="utf-8"), status_code=200,
                    headers={**_HEADERS, "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP})


@ops_api.route("/ops.js", methods=["GET"])
def script() -> Response:
    return Response(body=(STATIC / "ops.js").read_text(encoding="utf-8"), status_code=200,
                    headers={**_HEADERS, "Content-Type": "application/javascript; charset=utf-8"})


@ops_api.route("/ops/data", methods=["GET"])
def data() -> Response:
    """The dashboard's graphs as of now, in the language asked for (`?lang=en`), else the browser's, else zh-CN."""
    import time

    from chalicelib.operations.board import board_data

    request = ops_api.current_request
    given = request.headers.get("x-staff-key") or ""
    if not _config["key"] or not hmac.compare_digest(given.encode(), str(_config["key"]).encode()):
        raise KefuError("The operations page needs the operations key of this run (see .data/demo.json).",
                        code="STAFF_KEY_REQUIRED", status=403)
    from chalicelib import i18n

    params: dict[str, str] = dict(request.query_params or {})
    lang = i18n.negotiate(params.get("lang"), i18n.accept_language(request.headers.get("accept-language")))
    return json_response(board_data(emf_lines(_config["metrics_file"]), int(time.time() * 1000), lang))


def ops_extra(services: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    """The `make run` entry: the routes on the local API, and the run's operations key kept in demo.json."""
    from app import app

    key = demo.setdefault("ops_key", secrets.token_urlsafe(24))
    configure(key, services.settings.metrics_file)
    app.register_blueprint(ops_api)
    url = f"http://127.0.0.1:{args.api_port}/ops#key={key}"
    demo["ops_url"] = url
    return f"ops dashboard  {url}", lambda: None
