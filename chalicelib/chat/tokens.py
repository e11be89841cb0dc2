"""Visitor tokens: who a shopper is to one merchant, signed with that merchant's token secret (HMAC-SHA256).

A token names a merchant and a visitor; it opens only the conversations of that visitor at that merchant.
Nothing is stored per token, so checking one reads nothing from the database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.core.errors import Unauthorized

VERSION = "v1"


@dataclass(frozen=True)
class Visitor:
    licensee_id: str
    visitor_id: str
    customer_id: str | None = None  # set when the merchant's backend vouched for the shopper (verified identity)

    @property
    def verified(self) -> bool:
        return self.customer_id is not None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(visitor: Visitor, secret: str, issued_at: datetime, lifetime: timedelta) -> str:
    payload = {"m": visitor.licensee_id, "v": visitor.visitor_id,
               "exp": int((issued_at + lifetime).timestamp())}
    if visitor.customer_id is not None:
        payload["c"] = visitor.customer_id
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = _b64(hmac.new(secret.encode(), f"{VERSION}.{body}".encode(), hashlib.sha256).digest())
    return f"{VERSION}.{body}.{mac}"


def verify(token: str, licensee_id: str, secret: str, now: datetime) -> Visitor:
    """The visitor a token stands for, if it is genuine, unexpired and issued by this merchant."""
    refused = Unauthorized("The visitor token is not valid here; start a new conversation.", code="INVALID_TOKEN")
    try:
        version, body, mac = token.split(".")
        expected = _b64(hmac.new(secret.encode(), f"{version}.{body}".encode(), hashlib.sha256).digest())
        if version != VERSION or not hmac.compare_digest(mac, expected):
            raise refused
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise refused from exc
    if payload.get("m") != licensee_id:
        raise refused
    if int(payload.get("exp", 0)) <= now.timestamp():
        raise Unauthorized("The visitor token has expired; start a new conversation.", code="TOKEN_EXPIRED")
    return Visitor(licensee_id, str(payload["v"]), payload.get("c"))
