"""Staff run failed inbound mail again (`./kefu mail replay`): the failed events Lambda kept (locally, the
SMTP ingress) go through the same `MailService.receive` as on arrival, reading the raw mail from the raw store
(S3 on AWS: the receiving region's raw-mail bucket; .data/blobs locally). Running again is harmless: the
Message-ID rule stores one copy only, so a mail that did arrive after all comes back as `duplicate`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.core.blobs import BlobNotFound
from chalicelib.core.failures import FailedEvent, FailedEvents
from chalicelib.core.observability import logger
from chalicelib.mail.model import InboundEvent, Verdicts, inbound_events, is_own_address

if TYPE_CHECKING:
    from chalicelib.mail.service import MailService

# Headers SES writes into the raw mail it stores: who it was delivered to is not among them, so a mail replayed
# from the raw store alone goes to the licensor's addresses its own headers name (Bcc recipients are not seen).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


def event_from_raw(ses_id: str, raw: bytes, domain: str) -> InboundEvent:
    """The receipt event of a stored mail whose event is no longer kept: recipients on our domain from its
    headers, SES's spam and virus verdicts from the headers SES adds (GRAY when absent)."""
    headers = BytesHeaderParser().parsebytes(raw)
    addresses = getaddresses([str(v) for name in RECIPIENT_HEADERS for v in headers.get_all(name) or []])
    recipients = tuple(dict.fromkeys(a.strip().lower() for _, a in addresses if is_own_address(a, domain)))

    def verdict(name: str) -> str:
        return str(headers.get(name) or "GRAY").strip().upper()

    return InboundEvent(ses_id, recipients, Verdicts(spam=verdict("X-SES-Spam-Verdict"),
                                                     virus=verdict("X-SES-Virus-Verdict")))


def replay(mail: MailService, failures: FailedEvents, at: datetime, actor: str, *, ses_ids: Sequence[str] = (),
           since: datetime | None = None) -> list[dict[str, Any]]:
    """Run failed inbound mail again: those named by SES message id, or every failure since `since`. Each mail
    processed is removed from the failed events and audited (`mail:<ses id>`, `mail.replayed`); one that fails
    again stays there, with its error in the answer."""
    if not ses_ids and since is None:
        raise ValueError("name the mails by SES message id, or give a time to replay every failure since")
    wanted = set(ses_ids)
    results: list[dict[str, Any]] = []
    for failed in failures.pending():
        records = inbound_events(failed.payload)
        ids = {r.ses_id for r in records}
        if not records or (wanted and not ids & wanted) or (not wanted and since and failed.failed_at < since):
            continue  # another function's event, or not asked for
        results += _run(mail, records, at, actor, "failed-events", failed, failures)
    for ses_id in sorted(wanted - {r["ses_id"] for r in results}):
        try:
            raw = mail.raw_mail.get(f"{mail.settings.inbound_prefix}{ses_id}")
        except BlobNotFound:
            results.append({"ses_id": ses_id, "result": "not_found", "source": "raw", "outcomes": []})
            continue
        results += _run(mail, [event_from_raw(ses_id, raw, mail.domain)], at, actor, "raw", None, failures)
    return results


def _run(mail: MailService, records: Sequence[InboundEvent], at: datetime, actor: str, source: str,
         failed: FailedEvent | None, failures: FailedEvents) -> list[dict[str, Any]]:
    done: list[dict[str, Any]] = []
    try:
        for record in records:
            outcomes = [asdict(o) for o in mail.receive(record)]
            done.append({"ses_id": record.ses_id, "result": "replayed", "source": source, "outcomes": outcomes})
    except Exception as exc:  # it stays among the failed events for another try
        logger.exception("replaying mail failed", extra={"source": source})
        return [*done, {"ses_id": ",".join(r.ses_id for r in records), "result": "failed", "source": source,
                        "error": type(exc).__name__, "outcomes": []}]
    if failed is not None:
        failures.remove(failed)
    for entry in done:
        audit_store.append(AuditRecord(f"mail:{entry['ses_id']}", "mail.replayed", actor, at,
                                       {"source": source, "outcomes": [o["result"] for o in entry["outcomes"]]}))
    return done
