"""Signed reply addresses (reply+<token>@domain) and the [#123] ticket tag in subjects.

The token lets a reply find its ticket even when the client dropped In-Reply-To and the subject
tag; the signature stops anyone from guessing a token for a ticket they were never sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence

REPLY_PREFIX = "reply+"
# 80 bits of HMAC-SHA256: 16 base32 characters, no padding.
_MAC_BYTES = 10
_MAC_CHARS = 16
_CONTEXT = b"kefu/reply-token/v1\x00"
# RFC 5321 limits a local part to 64 octets, and "reply+" takes 6 of them.
MAX_TOKEN_CHARS = 64 - len(REPLY_PREFIX)
_MIN_SECRET_BYTES = 16
# How the id rides in the token, shortest first: lower-case ids as they are ("l"); upper-case ones,
# such as ULIDs, lower-cased and upper-cased again on reading ("u"); any other as base32 of its UTF-8
# ("b"). The signature covers the exact id, so a token can only ever name the id it was made for.
_LOWER_ID = re.compile(r"^[0-9a-z-]+$")
_UPPER_ID = re.compile(r"^[0-9A-Z-]+$")
_TOKEN = re.compile(r"^[lub][0-9a-z-]+-[a-z2-7]{16}$")
_SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")


def make_token(ticket_id: str, secret: bytes) -> str:
    """A token for reply+<token>@domain that names `ticket_id` and cannot be forged without `secret`.

    Only lower-case letters, digits and "-", so it survives servers that lower-case local parts.
    Raises ValueError for an empty or too long id, or a secret shorter than 16 bytes.
    """
    _check_secret(secret)
    if not ticket_id:
        raise ValueError("a reply token needs a ticket id")
    if _LOWER_ID.match(ticket_id):
        carried = "l" + ticket_id
    elif _UPPER_ID.match(ticket_id):
        carried = "u" + ticket_id.lower()
    else:
        carried = "b" + _b32(ticket_id.encode("utf-8"))
    token = f"{carried}-{_mac(ticket_id, secret)}"
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError(f"ticket id too long for a reply address: {len(token)} > {MAX_TOKEN_CHARS}")
    return token


def read_token(token: str, secret: bytes | Sequence[bytes]) -> str | None:
    """The ticket id a genuine token names, or None for anything forged, damaged or foreign.

    `secret` may be several secrets (newest first) while one is being rotated out.
    """
    secrets = [secret] if isinstance(secret, bytes) else list(secret)
    for key in secrets:
        _check_secret(key)
    if not isinstance(token, str):
        return None
    token = token.strip().lower()
    if len(token) > MAX_TOKEN_CHARS or not _TOKEN.match(token):
        return None
    carried, mac = token.rsplit("-", 1)
    kind, body = carried[0], carried[1:]
    if kind == "l":
        ticket_id = body
    elif kind == "u":
        ticket_id = body.upper()
    else:
        try:
            ticket_id = base64.b32decode(body.upper() + "=" * (-len(body) % 8)).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
    matched = False
    for key in secrets:
        # compare every secret, so timing tells nothing about which one matched
        matched |= hmac.compare_digest(mac, _mac(ticket_id, key))
    return ticket_id if matched else None


def extract_reply_token(addresses: Iterable[str], domain: str) -> str | None:
    """The token of the first reply+<token>@`domain` among `addresses` (not yet verified)."""
    domain = domain.strip().lower().rstrip(".")
    for address in addresses:
        local, at, host = address.strip().strip("<>").lower().rpartition("@")
        if at and host.rstrip(".") == domain and local.startswith(REPLY_PREFIX):
            token = local[len(REPLY_PREFIX) :]
            if token:
                return token
    return None


def subject_tag(ticket_number: int) -> str:
    """The tag put in subjects of mail about a ticket: "[#1234]"."""
    if isinstance(ticket_number, bool) or not isinstance(ticket_number, int) or ticket_number < 0:
        raise ValueError(f"ticket number must be a non-negative int, not {ticket_number!r}")
    return f"[#{ticket_number}]"


def find_subject_tag(subject: str) -> int | None:
    """The ticket number of the first "[#1234]" tag in `subject`, or None."""
    match = _SUBJECT_TAG.search(subject or "")
    return int(match.group(1)) if match else None


def _mac(ticket_id: str, secret: bytes) -> str:
    digest = hmac.new(secret, _CONTEXT + ticket_id.encode("utf-8"), hashlib.sha256).digest()
    return _b32(digest[:_MAC_BYTES])[:_MAC_CHARS]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"the reply-token secret must be at least {_MIN_SECRET_BYTES} bytes")
