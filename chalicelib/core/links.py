"""Short-lived signed links: a browser may fetch a merchant's file (an attachment, a recording) without the
agent key, for a while, through a link that an agent's own view handed out. The link names the merchant, its
expiry and an HMAC over both and what it points at; nothing else about the agent."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def signature(secret: bytes, context: bytes, payload: str, expires: int) -> str:
    """The HMAC of one link; `context` keeps the kinds of link apart (`kefu/attachment/v1`, …)."""
    return hmac.new(secret, context + b"\x00" + f"{payload}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def valid(secret: bytes, context: bytes, payload: str, expires: int, presented: str, now: float) -> bool:
    """Whether a presented link is unexpired and was signed for exactly this payload."""
    if expires < now:
        return False
    return hmac.compare_digest(presented, signature(secret, context, payload, expires))


def from_query(query: Mapping[str, str]) -> tuple[str, int, str]:
    """The merchant, expiry and signature a link carries as `?m=&exp=&sig=` (expiry 0 when unreadable)."""
    try:
        expires = int(query.get("exp", ""))
    except ValueError:
        expires = 0
    return query.get("m", ""), expires, query.get("sig", "")


def query(licensee_id: str, expires: int, signed: str) -> str:
    from urllib.parse import quote

    return f"m={quote(licensee_id)}&exp={expires}&sig={signed}"
