"""Page cursors: opaque, signed, bound to the list they page through (clause 7.1).

A store turns DynamoDB's LastEvaluatedKey into a cursor with `encode(key, scope)` and back with
`decode(cursor, scope)`. The scope names the caller's list (merchant and list, e.g. "chat-inbox|lic_1|open"),
so a cursor from one merchant's list is refused in another's, and a forged or edited cursor is refused
before anything reaches DynamoDB. The signing key is set once per process by bootstrap (`use_secret`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from typing import Any

from chalicelib.core.errors import InvalidInput

MAX_LENGTH = 2048
_VERSION = "c1"
_PROCESS_SECRET: bytes = os.urandom(32)  # until bootstrap names the stage's secret: cursors of this process only
_secret: Callable[[], bytes] = lambda: _PROCESS_SECRET  # noqa: E731 - replaced by bootstrap


def use_secret(secret: Callable[[], bytes]) -> None:
    """Where the signing key comes from (read when a cursor is made or checked, not at start-up)."""
    global _secret
    _secret = secret


def _mac(scope: str, payload: bytes) -> str:
    key = hmac.new(_secret(), b"kefu/cursor/v1", hashlib.sha256).digest()
    digest = hmac.new(key, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode(key: dict[str, Any] | None, scope: str) -> str | None:
    """The cursor of the next page (None when there is none)."""
    if not key:
        return None
    payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{_VERSION}.{body}.{_mac(scope, payload)}"


def decode(cursor: str | None, scope: str) -> dict[str, Any] | None:
    """The key a cursor of this scope stands for; InvalidInput for anything this API did not hand out here."""
    if not cursor:
        return None
    refused = InvalidInput("The 'next' cursor is not one this list gave out.", code="INVALID_CURSOR",
                           details={"field": "next"})
    if len(cursor) > MAX_LENGTH or cursor.count(".") != 2:
        raise refused
    version, body, mac = cursor.split(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise refused from None
    if version != _VERSION or not hmac.compare_digest(mac, _mac(scope, payload)):
        raise refused
    key = json.loads(payload)
    if not isinstance(key, dict):
        raise refused
    return key
