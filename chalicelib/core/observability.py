"""One structured logger for the whole app: JSON lines with the request id and the merchant id.

Keys, secrets and personal data are never passed to it; ids are."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="kefu")


def bind(**keys: str) -> None:
    """Add keys to every log line of the current request (thread-safe: chalice local is threaded)."""
    logger.thread_safe_append_keys(**keys)


def unbind() -> None:
    logger.thread_safe_clear_keys()
