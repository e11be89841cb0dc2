"""Message stamps and the polling cursor: pure functions of facts, instants as arguments.

A message's key is its stamp: the millisecond it was sent (13 digits) and a tag of 10 characters that tells
apart messages of the same millisecond. Keys sort as the messages are shown; nothing a writer must learn from
another writer goes into them, so every send is one write wherever it runs."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.chat.model import Status
from chalicelib.core.errors import InvalidInput

STAMP_DIGITS = 13
TAG_CHARS = 10
_B32 = "0123456789abcdefghjkmnpqrstvwxyz"
# How far back a message's key may lie from the instant it was written: a client's own stamp (see
# `client_stamp`) is taken up to this far behind the server's clock. Server stamps never lie behind.
KEY_BEHIND = timedelta(seconds=20)
# How long a written message may take to show on the replica a poll reads, clock differences between function
# instances included. A poll hands out again what was written this close before the cursor and is not held.
SETTLE = timedelta(seconds=10)
CURSOR_MAX = 2000
_CLIENT_TIME = re.compile(r"(\d{13})-[A-Za-z0-9_-]{6,50}")
_TAG = re.compile(r"[0-9a-z]{1,10}")


def millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _base32(value: int, width: int) -> str:
    out = ""
    for _ in range(width):
        value, digit = divmod(value, 32)
        out = _B32[digit] + out
    return out


class Stamper:
    """The stamps of one process (a warm function instance): the server's millisecond, never going back, then a
    counter and a tag drawn once per process, so that its messages keep their order within a millisecond and
    never collide with another process's."""

    def __init__(self, tag: str | None = None) -> None:
        self.tag = tag if tag is not None else "".join(secrets.choice(_B32) for _ in range(TAG_CHARS - 4))
        self._ms = 0
        self._count = secrets.randbelow(32 ** 3)

    def next(self, now: datetime) -> str:
        self._ms = max(millis(now), self._ms)
        self._count = (self._count + 1) % 32 ** 4
        return f"{self._ms:0{STAMP_DIGITS}d}{_base32(self._count, 4)}{self.tag}"


def stamp_of_client(client: str | None) -> str | None:
    """The stamp a client id that carries its time (`<millisecond>-<random>`) stands for; None: it carries none."""
    found = _CLIENT_TIME.fullmatch(client) if client is not None else None
    if found is None:
        return None
    digest = int.from_bytes(hashlib.sha256(found.group(0).encode()).digest()[:8], "big")
    return f"{found.group(1)}{_base32(digest, TAG_CHARS)}"


def client_stamp(client: str | None, now: datetime) -> str | None:
    """The stamp a send with this client id always gets, whichever process takes it and however often: the
    widget and the console make their ids as `<millisecond>-<random>`, so a retried send lands on the same key
    and its write is refused (a retry, answered with the message it made). None when the id says no time or a
    time more than KEY_BEHIND back (that send is checked against the conversation's latest messages instead).
    A time ahead of the server's is taken as it is: it only moves the sender's own message later."""
    stamp = stamp_of_client(client)
    return stamp if stamp is not None and int(stamp[:STAMP_DIGITS]) >= millis(now - KEY_BEHIND) else None


def tag(key: str) -> str:
    return key[-TAG_CHARS:]


@dataclass(frozen=True)
class Cursor:
    """Where a poller stands: it holds every message written up to SETTLE before `at_ms` (a poll then read all
    that a replica shows), and of those written since, the ones whose tags are in `held`. None: from the start.

    Keys are not the cursor, because keys and writes are not in the same order: a message stamped a little
    earlier (another instance's clock, a client's stamp) may show after a later one was polled. The poll reads
    back over KEY_BEHIND + SETTLE from the cursor's instant and hands out only what the caller does not hold."""

    at_ms: int | None = None
    held: frozenset[str] = frozenset()

    def __str__(self) -> str:
        if self.at_ms is None:
            return "0"
        return ".".join([f"c{self.at_ms}", *sorted(self.held)])

    def read_from(self) -> str:
        """The stamp a poll's Query starts at (every message this cursor may lack has a key at or after it)."""
        if self.at_ms is None:
            return "0"
        return str(self.at_ms - int((SETTLE + KEY_BEHIND).total_seconds() * 1000)).zfill(STAMP_DIGITS)


def parse_cursor(value: str | None) -> Cursor:
    """A cursor as `poll_cursor` gave it out. `0` (or none) means from the start, and so does a plain number:
    the cursor of widgets from before message stamps (they show each message once, by its id)."""
    if value is None or value == "" or (value.isdigit() and len(value) <= 10):
        return Cursor()
    parts = value.split(".")
    head = parts[0]
    if len(value) > CURSOR_MAX or not head.startswith("c") or not head[1:].isdigit() or len(head) > 14 \
            or not all(_TAG.fullmatch(p) for p in parts[1:]):
        raise InvalidInput("The cursor is not one this API gave out.", code="INVALID_CURSOR")
    return Cursor(int(head[1:]), frozenset(parts[1:]))


def poll_cursor(cursor: Cursor, found: Sequence[tuple[str, datetime]], now: datetime) -> tuple[set[str], Cursor]:
    """What a poll hands out of the messages it read (their keys and when they were written) and the cursor
    it hands out with them: every message the caller may lack (written since SETTLE before the cursor and not
    held), and a cursor at `now` holding the tags of the messages written since SETTLE before `now`."""
    since = None if cursor.at_ms is None else cursor.at_ms - int(SETTLE.total_seconds() * 1000)
    new = {key for key, at in found if since is None or (millis(at) >= since and tag(key) not in cursor.held)}
    recent = millis(now - SETTLE)
    return new, Cursor(millis(now), frozenset(tag(key) for key, at in found if millis(at) >= recent))


def reopened_by(status: Status, status_key: str, visitor_keys: Iterable[str]) -> bool:
    """Whether a shopper message stands after the conversation's last change of status: its status is then
    open, whatever the conversation item still says (a message sent by a process that had not learnt of the
    change; the next reader puts it right). A conversation whose status changed before changes were stamped
    has no `status_key`: it stays as it is stored."""
    return status is not Status.OPEN and bool(status_key) and any(k > status_key for k in visitor_keys)
