"""Checking the evidence trail (clause 9) and keeping a daily digest of its chain heads where nobody can edit it.

`verify` walks each chain and names the first broken link (staff on demand; the daily digest job walks the chains
that changed and a seventh of the others); the digest of the newest earlier day, when there is one, shows
entries removed from the end of a chain together with its head. The digest is one JSON document per
day under `digests/<day>.json` in the digest store: an S3 bucket with Object Lock in compliance mode on AWS."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from chalicelib.audit import store
from chalicelib.audit.model import Head, Verdict, verify
from chalicelib.core.blobs import BlobNotFound, BlobStore
from chalicelib.core.clock import Clock
from chalicelib.core.observability import logger
from chalicelib.metrics import AUDIT_BROKEN_CHAINS, AUDIT_DIGESTS, MetricsSink

PREFIX = "digests/"
LOOKBACK_DAYS = 7  # how far back verification looks for the newest digest
ROTATION = 7  # the daily check walks the unchanged chains in turn: each at least once in this many days


def _turn(subject: str) -> int:
    """The day (modulo ROTATION) an unchanged chain is walked: stable across runs and processes."""
    return int(hashlib.sha256(subject.encode()).hexdigest()[:8], 16) % ROTATION


def subject_of(licensee_id: str) -> str:
    return f"licensee:{licensee_id}"


class AuditService:
    def __init__(self, digests: BlobStore, clock: Clock, metrics: MetricsSink) -> None:
        self.digests = digests
        self.clock = clock
        self.metrics = metrics

    def verify(self, licensee_id: str | None = None, day: date | None = None) -> list[Verdict]:
        """Check one licensee's chain, or every chain; each verdict names the first broken link, if any."""
        digest = self._latest_digest(day or self.clock.now().date())
        subjects = [subject_of(licensee_id)] if licensee_id else sorted(
            {h.subject for h in store.heads()} | set(digest))
        verdicts = []
        for subject in subjects:
            links, head = store.chain(subject)
            verdicts.append(verify(subject, links, head, digest.get(subject)))
        broken = sum(1 for v in verdicts if not v.intact)
        self.metrics.count(AUDIT_BROKEN_CHAINS, broken, check="verify")
        return verdicts

    def digest(self, day: date) -> dict[str, Any]:
        """Write the day's digest of every chain head (idempotent: the same day's key again is the same
        document only while nothing was added; a locked object is never overwritten, so a second run of a day
        keeps the first), after checking the chains that changed since the last digest and one in
        `ROTATION` of the others, so every chain is walked in full at least once a week without staff asking."""
        heads = sorted(store.heads(), key=lambda h: h.subject)
        key = f"{PREFIX}{day.isoformat()}.json"
        try:
            self.digests.get(key)
            return {"key": key, "chains": len(heads), "written": False}  # the day's run walked the chains already
        except BlobNotFound:
            pass
        checked = self.check_scheduled(day, heads)
        document = {"day": day.isoformat(), "taken_at": self.clock.now().isoformat(),
                    "chains": {h.subject: {"seq": h.seq, "hash": h.hash} for h in heads}}
        self.digests.put(key, json.dumps(document, sort_keys=True, ensure_ascii=False).encode(), "application/json")
        self.metrics.count(AUDIT_DIGESTS, result="written")
        return {"key": key, "chains": len(heads), "written": True, **checked}

    def check_scheduled(self, day: date, heads: list[Head]) -> dict[str, Any]:
        """Walk the chains whose head moved since the newest earlier digest (or that the digest knew and that
        have no head now), and the unchanged ones whose turn it is today. Broken ones are counted in
        `AuditBrokenChains` (check=scheduled, alarmed) and named in the result and the log."""
        digest = self._latest_digest(day)
        now = {h.subject: h for h in heads}
        changed = {s for s, h in now.items() if digest.get(s) != h} | (set(digest) - set(now))
        turn = {s for s in now if s not in changed and _turn(s) == day.toordinal() % ROTATION}
        broken = []
        for subject in sorted(changed | turn):
            links, head = store.chain(subject)
            verdict = verify(subject, links, head, digest.get(subject))
            if not verdict.intact:
                broken.append(subject)
                logger.error("audit chain broken", extra={"subject": subject, "broken_at": verdict.broken_at,
                                                           "reason": verdict.reason})
        self.metrics.count(AUDIT_BROKEN_CHAINS, len(broken), check="scheduled")
        return {"verified": len(changed | turn), "broken": broken}

    def _latest_digest(self, day: date) -> dict[str, Head]:
        for back in range(1, LOOKBACK_DAYS + 1):
            earlier = date.fromordinal(day.toordinal() - back)
            try:
                document = json.loads(self.digests.get(f"{PREFIX}{earlier.isoformat()}.json"))
            except BlobNotFound:
                continue
            return {subject: Head(subject, int(v["seq"]), str(v["hash"]))
                    for subject, v in document.get("chains", {}).items()}
        return {}
