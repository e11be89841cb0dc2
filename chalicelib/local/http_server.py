"""Local mode's HTTP server: Chalice's, with two differences that API Gateway's gateway responses make on AWS
(infra/stack.py): an unknown route answers 404 in the API's error shape (Chalice's own answer is a 403 that
echoes the Authorization header), and the access log is redacted (no keys, tokens or link signatures)."""

from __future__ import annotations

import json
import sys
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalDevServer, LocalGatewayException

from chalicelib.core.redaction import redact

UNKNOWN_ROUTE = {"error": {"code": "NOT_FOUND", "message": "There is no such route in this API."}}
UNKNOWN_METHOD = {"error": {"code": "METHOD_NOT_ALLOWED", "message": "This API does not take that method."}}
_JSON = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}


class KefuRequestHandler(ChaliceRequestHandler):
    def _send_error_response(self, error: LocalGatewayException) -> None:
        if isinstance(error, ForbiddenError):  # the local gateway found no route for the path
            body = json.dumps(UNKNOWN_ROUTE).encode()
            self._send_http_response(404, dict(_JSON), body)
            return
        super()._send_error_response(error)

    def _unknown_method(self) -> None:
        """TRACE, QUERY and any other method no route takes (API Gateway refuses them too)."""
        self._parse_payload()
        self._send_http_response(405, dict(_JSON), json.dumps(UNKNOWN_METHOD).encode())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # http.server answers 501 (a 5xx) for a method it has no do_ for
            return self._unknown_method
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(redact(f"{self.address_string()} - - [{self.log_date_time_string()}] {format % args}")
                         + "\n")


def create_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    return LocalDevServer(app, config, host, port, handler_cls=KefuRequestHandler)
