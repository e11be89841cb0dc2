"""Identifiers and secrets. Ids sort by creation time; secrets come from the OS's CSPRNG."""

from __future__ import annotations

import hashlib
import os
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    """A time-ordered unique id such as `lic_01h…`: 48 bits of milliseconds and 80 random bits."""
    millis = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_b32(millis, 10)}{_b32(rand, 16)}"


def keyed_id(prefix: str, seed: str, millis: int | None = None, separator: str = "_") -> str:
    """An id made from `seed` rather than chance, so that doing one thing again names the same record: 26
    characters of its hash, or, with `millis`, a time-ordered id whose last 16 characters come from the seed."""
    digest = int.from_bytes(hashlib.sha256(seed.encode("utf-8", "surrogatepass")).digest()[:17], "big")
    if millis is None:
        return f"{prefix}{separator}{_b32(digest >> 6, 26)}"
    return f"{prefix}{separator}{_b32(millis, 10)}{_b32(digest >> 56, 16)}"


def new_secret(prefix: str, nbytes: int = 24) -> str:
    """A bearer secret with a readable prefix (so leaked keys are recognisable by scanners)."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def secret_hash(secret: str) -> str:
    """How a key is stored and looked up. Keys carry ≥192 random bits, so a fast hash is enough."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
