"""SES's events as the mail functions receive them (plain dicts in, plain data out): mail received (a receipt
rule's Lambda action, or its S3 action's notification through SNS), bounces and complaints about mail we sent,
and the receipt event local mode's SMTP server builds. No storage, no AWS."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Verdicts:
    """SES's receipt verdicts: PASS, FAIL, GRAY or PROCESSING_FAILED (and DISABLED where scanning is off)."""

    spam: str = "GRAY"
    virus: str = "GRAY"
    spf: str = "GRAY"
    dkim: str = "GRAY"
    dmarc: str = "GRAY"
    dmarc_policy: str = ""  # none | quarantine | reject, when SES reports it

    def as_dict(self) -> dict[str, str]:
        return {"spam": self.spam, "virus": self.virus, "spf": self.spf, "dkim": self.dkim, "dmarc": self.dmarc}


@dataclass(frozen=True)
class InboundEvent:
    """One received mail as SES announces it: its id (the S3 object name) and the envelope recipients."""

    ses_id: str
    recipients: tuple[str, ...]
    verdicts: Verdicts = field(default_factory=Verdicts)


def inbound_events(event: Mapping[str, Any]) -> list[InboundEvent]:
    """The mails of an SES receipt event, in either shape SES hands over: a receipt rule's Lambda action
    (`Records[].ses`), or its S3 action's notification through SNS (`Records[].Sns.Message`, the JSON of
    `{"notificationType": "Received", "mail", "receipt"}`), which is how mail received in another region
    reaches the main one. Records that are neither are skipped."""
    found = []
    for record in event.get("Records") or []:
        receipt = _received(record) if isinstance(record, Mapping) else None
        if receipt is not None:
            found.append(receipt)
    return found


def _received(record: Mapping[str, Any]) -> InboundEvent | None:
    ses = record.get("ses")
    if ses is None:  # SNS: SES's notification of a mail its S3 action stored
        message = _sns_message(record)
        ses = message if isinstance(message, Mapping) and message.get("notificationType") == "Received" else None
    if not isinstance(ses, Mapping):
        return None
    mail, receipt = ses.get("mail") or {}, ses.get("receipt") or {}
    ses_id = str(mail.get("messageId") or "")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,200}", ses_id):
        return None
    recipients = receipt.get("recipients") or mail.get("destination") or []

    def status(name: str) -> str:
        verdict = receipt.get(name) or {}
        return str(verdict.get("status", "GRAY")).upper() if isinstance(verdict, Mapping) else "GRAY"

    verdicts = Verdicts(spam=status("spamVerdict"), virus=status("virusVerdict"), spf=status("spfVerdict"),
                        dkim=status("dkimVerdict"), dmarc=status("dmarcVerdict"),
                        dmarc_policy=str(receipt.get("dmarcPolicy") or "").lower())
    return InboundEvent(ses_id, tuple(dict.fromkeys(str(r).strip().lower() for r in recipients)), verdicts)


def _sns_message(record: Mapping[str, Any]) -> Any:
    """The parsed JSON message of an SNS record, or None."""
    sns = record.get("Sns")
    body = sns.get("Message") if isinstance(sns, Mapping) else None
    try:
        return json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return None


def ses_event(ses_id: str, recipients: Iterable[str], source: str, at: datetime,
              verdicts: Verdicts | None = None) -> dict[str, Any]:
    """An SES-shaped receipt event, as local mode's SMTP server hands it to the same handler."""
    verdicts = verdicts or Verdicts()
    rcpts = list(recipients)
    receipt: dict[str, Any] = {
        "timestamp": at.isoformat(), "recipients": rcpts, "spamVerdict": {"status": verdicts.spam},
        "virusVerdict": {"status": verdicts.virus}, "spfVerdict": {"status": verdicts.spf},
        "dkimVerdict": {"status": verdicts.dkim}, "dmarcVerdict": {"status": verdicts.dmarc},
        "action": {"type": "Lambda", "invocationType": "Event"}}
    if verdicts.dmarc_policy:
        receipt["dmarcPolicy"] = verdicts.dmarc_policy  # SES adds it only when DMARC failed
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {
        "mail": {"timestamp": at.isoformat(), "source": source, "messageId": ses_id, "destination": rcpts},
        "receipt": receipt}}]}


@dataclass(frozen=True)
class DeliveryEvent:
    """A bounce or complaint about a mail we sent through SES."""

    kind: str  # bounce | complaint
    provider_id: str  # SES MessageId of the mail we sent
    recipients: tuple[str, ...]
    permanent: bool
    detail: str
    tags: Mapping[str, str]


def delivery_events(event: Mapping[str, Any]) -> list[DeliveryEvent]:
    """Bounces and complaints from an SNS-delivered SES notification (classic `notificationType` or
    configuration-set `eventType`), or an EventBridge event (`detail`). Anything else is skipped."""
    messages: list[Mapping[str, Any]] = []
    for record in event.get("Records") or []:
        parsed = _sns_message(record) if isinstance(record, Mapping) else None
        if isinstance(parsed, Mapping):
            messages.append(parsed)
    if isinstance(event.get("detail"), Mapping):
        messages.append(event["detail"])
    found = []
    for message in messages:
        kind = str(message.get("eventType") or message.get("notificationType") or "").lower()
        mail = message.get("mail") or {}
        provider_id = str(mail.get("messageId") or "")
        if kind not in ("bounce", "complaint") or not provider_id:
            continue
        tags = {str(k): str(v[0] if isinstance(v, list) and v else v) for k, v in (mail.get("tags") or {}).items()}
        if kind == "bounce":
            bounce = message.get("bounce") or {}
            people = bounce.get("bouncedRecipients") or []
            permanent = str(bounce.get("bounceType", "")) == "Permanent"
            detail = f"{bounce.get('bounceType', 'Bounce')}/{bounce.get('bounceSubType', '')}".rstrip("/")
        else:
            complaint = message.get("complaint") or {}
            people = complaint.get("complainedRecipients") or []
            permanent = True
            detail = f"Complaint/{complaint.get('complaintFeedbackType', '')}".rstrip("/")
        recipients = tuple(str(p.get("emailAddress", "")).strip().lower() for p in people
                           if isinstance(p, Mapping) and p.get("emailAddress"))
        found.append(DeliveryEvent(kind, provider_id, recipients, permanent, detail, tags))
    return found


