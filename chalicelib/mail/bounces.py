"""A delivery report about a mail we sent, read from the report itself, and recorded on the reply it is about.

SES reports the bounces of what it sends as events (service.record_delivery_event). Some mail servers answer the
address in From or Reply-To instead, with a report of their own: RFC 3464 (a message/delivery-status part, and the
original or its headers beside it) or free text (qmail, Yahoo: the reason, then "--- Below this line is a copy of
the message."). Either way the report names the Message-ID we gave our mail, which is what finds the reply. The
report itself never becomes a customer's message: it stays held as a delivery report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesParser, HeaderParser
from email.policy import compat32
from typing import TYPE_CHECKING

from chalicelib.core.mailer import Delivery
from chalicelib.core.observability import logger
from chalicelib.mail.headers import message_ids
from chalicelib.mail.loops import Classification, MailKind
from chalicelib.mail.model import HoldReason, lookup_hashes
from chalicelib.mail.parsing import ParsedMail

if TYPE_CHECKING:
    from chalicelib.mail.store import MailStore

_ORIGINAL_PARTS = {"message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers"}
_STATUS_PARTS = {"message/delivery-status", "message/global-delivery-status"}
_MESSAGE_ID_LINE = re.compile(r"^message-id:[ \t]*(<[^<>\s]{1,900}>)", re.IGNORECASE | re.MULTILINE)
_ANGLED_ADDRESS_LINE = re.compile(r"^<([^<>\s@]{1,200}@[^<>\s@]{1,200})>:\s*$", re.MULTILINE)
_ENHANCED_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_SMTP_REPLY = re.compile(r"(?:^|\s)([45])\d\d[ :-]", re.MULTILINE)
_MAX_DETAIL = 300
_MAX_IDS = 5


@dataclass(frozen=True)
class BounceReport:
    original_message_ids: tuple[str, ...]  # of the mail that did not arrive, without <>
    recipients: tuple[str, ...]  # the addresses it did not reach, lower case
    permanent: bool  # failed for good (5.x.x), not delayed (4.x.x)
    detail: str  # status and diagnostic, for an agent to read


def read_report(parsed: ParsedMail) -> BounceReport:
    """What a delivery report says: which of our mails, to whom, for good or for now, and why."""
    ids: list[str] = []
    recipients: list[str] = []
    statuses: list[tuple[str, str, str]] = []  # (action, status, diagnostic)
    for part in parsed.attachments:
        data = part.data or b""
        if part.content_type in _STATUS_PARTS:
            recipients_of, statuses_of = _delivery_status(data)
            recipients += recipients_of
            statuses += statuses_of
        elif part.content_type in _ORIGINAL_PARTS:
            original = BytesParser(policy=compat32).parsebytes(data, headersonly=True)
            ids += message_ids(str(original.get("message-id", "")))
    if not ids:  # qmail, Yahoo: the original's headers are quoted in the text
        ids += [found for match in _MESSAGE_ID_LINE.finditer(parsed.text) for found in message_ids(match.group(1))]
    if not recipients:
        recipients += parsed.headers.get("x-failed-recipients", "").replace(";", ",").split(",")
        recipients += _ANGLED_ADDRESS_LINE.findall(parsed.text)
    text = parsed.text.lower()
    if statuses:
        permanent = any(action == "failed" and not status.startswith("4") for action, status, _ in statuses)
        detail = "; ".join(" ".join(x for x in (status, diagnostic) if x) for _, status, diagnostic in statuses)
    else:
        found = _ENHANCED_STATUS.search(parsed.text) or _SMTP_REPLY.search(parsed.text)
        permanent = (found is not None and found.group(1) == "5") or "permanent error" in text
        # the line of the text that gives the server's answer, e.g. "Remote host said: 550 5.1.1 Sorry, no mailbox"
        detail = _line_at(parsed.text, found.start(1)) if found else parsed.subject
    return BounceReport(tuple(dict.fromkeys(ids))[:_MAX_IDS],
                        tuple(dict.fromkeys(r.strip().lower() for r in recipients if "@" in r)),
                        permanent, (detail or "delivery report")[:_MAX_DETAIL])


def _line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return " ".join(text[start : end if end >= 0 else len(text)].split())


def _delivery_status(data: bytes) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The per-recipient fields of an RFC 3464 message/delivery-status body (blocks of header lines)."""
    recipients, statuses = [], []
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    for block in re.split(r"\n[ \t]*\n", text)[1:]:  # the first block is about the reporting MTA
        fields = HeaderParser(policy=compat32).parsestr(block.strip() + "\n", headersonly=True)
        recipient = str(fields.get("final-recipient") or fields.get("original-recipient") or "")
        if not recipient:
            continue
        recipients.append(recipient.split(";", 1)[-1].strip())
        diagnostic = " ".join(str(fields.get("diagnostic-code", "")).split(";", 1)[-1].split())
        statuses.append((str(fields.get("action", "")).strip().lower(), str(fields.get("status", "")).strip(),
                         diagnostic))
    return recipients, statuses


def keep_back(store: MailStore, licensee_id: str, parsed: ParsedMail, classification: Classification,
              now: datetime, screened: HoldReason | None) -> HoldReason | None:
    """Why a mail is kept back from the merchant's agents: what the screen found (`screened`), or, for a machine
    answering our mail, that it is one. A delivery report is first recorded on the reply it is about."""
    if screened is not None and screened is not HoldReason.DELIVERY_REPORT:
        return screened  # a virus, spam or forged sender: nothing in it is believed
    if classification.kind is MailKind.BOUNCE:
        record(store, licensee_id, parsed, classification, now)
    if classification.kept_back:
        # neither is releasable: no customer wrote them
        return HoldReason.DELIVERY_REPORT if classification.kind is MailKind.BOUNCE else HoldReason.AUTO_REPLY
    return screened


def record(store: MailStore, licensee_id: str, parsed: ParsedMail, classification: Classification,
           now: datetime) -> bool:
    """Mark the reply a delivery report is about as not delivered (or delayed), and its recipient as one mail
    does not reach when the failure is for good. Only our own outbound mail, of this merchant, is ever marked;
    marking it again changes nothing. Whether anything was found."""
    if classification.kind is not MailKind.BOUNCE:
        return False
    report = read_report(parsed)
    marked = False
    for message_id in report.original_message_ids:
        for ticket_id, message_key in store.seen(licensee_id, lookup_hashes(message_id)).values():
            message = store.message(licensee_id, ticket_id, message_key) if ticket_id and message_key else None
            if message is None or message.direction != "outbound":
                continue  # a report about a mail a customer wrote, or forged about one: not ours to mark
            delivery = Delivery.NOT_DELIVERED if report.permanent else Delivery.DELAYED
            store.mark_delivery(licensee_id, message.ticket_id, message.message_key, delivery, report.detail)
            if report.permanent:
                sent_to = {address.lower() for address in message.to}
                for address in (a for a in report.recipients if a in sent_to):
                    store.mark_undeliverable(licensee_id, address, report.detail, now)
            marked = True
    logger.info("delivery report read", extra={"merchant": licensee_id, "matched": marked,
                                                "permanent": report.permanent, "code": classification.code})
    return marked
