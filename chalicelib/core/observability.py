"""One structured logger for the whole app: JSON lines with the request id and the merchant id.

Keys, secrets and personal data are never passed to it; ids are. Should one slip in anyway (an exception's
text, a path with a signed query), the redacting filter takes keys, tokens and signatures out of every line."""

from __future__ import annotations

import sys

from aws_lambda_powertools import Logger

from chalicelib.core.redaction import RedactingFilter

logger = Logger(service="kefu")
logger.registered_handler.addFilter(RedactingFilter())


def bind(**keys: str) -> None:
    """Add keys to every log line of the current request (thread-safe: chalice local is threaded)."""
    logger.thread_safe_append_keys(**keys)


def unbind() -> None:
    logger.thread_safe_clear_keys()


def log_to_stderr() -> None:
    """Command lines print their answers on stdout (`--json` for scripts): their log lines go to stderr."""
    logger.registered_handler.setStream(sys.stderr)  # type: ignore[attr-defined]
