"""An audit record is a fact about a change; it is written with the change, in the same transaction.

Clause 9: the trail is evidence, so it must show when it was edited. Each subject's records form a hash chain:
an entry carries its number in the chain, the hash of the entry before it and its own hash over its content and
that link. Editing, deleting or inserting an entry breaks the chain at that entry; a chain head (the last number
and hash) written in the same transaction, and a daily digest of the heads kept where nobody can change it,
show an entry removed from the end. Everything here is pure: hashing and checking, no storage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of a chain's first entry


@dataclass(frozen=True)
class AuditRecord:
    subject: str       # what changed, e.g. "licensee:lic_…"
    action: str        # e.g. "agreement.signed", "key.revoked"
    actor: str         # who: "staff:alice", "cli:root", "system:billing"
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """One stored entry as the chain sees it: its content exactly as stored, its place and its hashes."""

    subject: str
    entry: str
    seq: int | None
    prev: str | None
    hash: str | None
    action: str
    actor: str
    at: datetime
    details: str  # the stored JSON text, hashed as it is


@dataclass(frozen=True)
class Head:
    subject: str
    seq: int
    hash: str


@dataclass(frozen=True)
class Verdict:
    """The result of checking one chain: how many entries held, and the first broken link if any."""

    subject: str
    entries: int
    broken_at: str | None = None  # the entry key (or "head") where the chain first breaks
    reason: str = ""
    unchained: int = 0  # entries written before the trail was chained (schema 1): listed, not provable

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "entries": self.entries, "intact": self.intact,
                "broken_at": self.broken_at, "reason": self.reason, "unchained": self.unchained}


def instant(at: datetime) -> str:
    """An instant as the table stores it (UTC, microseconds), so the hash of a stored entry can be recomputed."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f%z")


def entry_hash(subject: str, entry: str, seq: int, prev: str, action: str, actor: str, at: datetime,
               details: str) -> str:
    content = json.dumps([subject, entry, seq, prev, action, actor, instant(at), details], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def link_hash(link: Link) -> str:
    return entry_hash(link.subject, link.entry, link.seq or 0, link.prev or "", link.action, link.actor, link.at,
                      link.details)


def verify(subject: str, links: Iterable[Link], head: Head | None, digest: Head | None = None) -> Verdict:
    """Check one chain: numbers run 1, 2, 3… without a gap, each entry links to the hash of the one before and its
    own hash matches its content, and the head (and a digest taken earlier, if given) agree with the last entry."""
    every = list(links)
    chained = sorted((link for link in every if link.seq is not None), key=lambda link: link.seq or 0)
    unchained = sum(1 for link in every if link.seq is None)
    prev, count = GENESIS, 0
    for expected, link in enumerate(chained, start=1):
        if link.seq != expected:
            return Verdict(subject, count, link.entry, f"entry number {link.seq} where {expected} belongs "
                           "(an entry is missing or was added)", unchained)
        if link.prev != prev:
            return Verdict(subject, count, link.entry, "it does not link to the entry before it", unchained)
        if link.hash != link_hash(link):
            return Verdict(subject, count, link.entry, "its content does not match its hash (edited)", unchained)
        prev, count = link.hash, expected
    if head is None:
        if chained:
            return Verdict(subject, count, "head", "the chain has no head", unchained)
    elif head.seq != count or head.hash != prev:
        return Verdict(subject, count, "head", f"the head says {head.seq} entries, {count} are there "
                       "(entries were removed from the end, or the head was changed)", unchained)
    if digest is not None and not _agrees(digest, chained):
        return Verdict(subject, count, "digest", f"the digest of an earlier day says entry {digest.seq} had "
                       "another hash, or the chain was shorter than the digest says", unchained)
    return Verdict(subject, count, None, "", unchained)


def _agrees(digest: Head, chained: list[Link]) -> bool:
    """A chain only grows: the entry a digest of an earlier day named is still there with the same hash."""
    if digest.seq == 0:
        return True
    return digest.seq <= len(chained) and chained[digest.seq - 1].hash == digest.hash
