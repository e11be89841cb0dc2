"""One mailer interface for everything kefu sends: replies to customers, notices to licensees.

On AWS it is SES; locally an outbox folder (files one can open) or an SMTP server. Callers build an
`OutboundMail` and keep the `SentMail` they get back (its ids thread replies and match bounce events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from enum import StrEnum
from typing import Protocol

from chalicelib.core.text import one_line


class Delivery(StrEnum):
    """What became of a mail kefu sends (a reply to a customer, a notice to a licensee)."""

    PENDING = "pending"  # recorded, not tried yet
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # the mailer refused it
    NOT_DELIVERED = "not_delivered"  # a permanent bounce
    DELAYED = "delayed"  # a transient bounce
    COMPLAINED = "complained"  # the recipient marked it as spam


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutboundMail:
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    # Extra headers such as In-Reply-To, References, Auto-Submitted.
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[MailAttachment, ...] = ()
    # Labels that come back with delivery events (e.g. licensee, kind of mail); no personal data.
    tags: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        # Names and subjects come from people (a licensee's name, a customer's subject): a line break in a
        # header would end it and start another, or make every mail of that merchant fail. One line each.
        object.__setattr__(self, "sender", one_line(self.sender))
        object.__setattr__(self, "subject", one_line(self.subject))
        if self.reply_to is not None:
            object.__setattr__(self, "reply_to", one_line(self.reply_to))
        object.__setattr__(self, "headers", tuple((one_line(n), one_line(v)) for n, v in self.headers))


@dataclass(frozen=True)
class SentMail:
    provider_id: str   # what the provider calls it (SES MessageId; the outbox file name)
    message_id: str    # the RFC 5322 Message-ID the recipient sees, without <>


class Mailer(Protocol):
    def send(self, mail: OutboundMail) -> SentMail:
        """Send one mail, or raise; never half-sends."""
        ...


def to_mime(mail: OutboundMail, message_id: str, sent_at: datetime) -> EmailMessage:
    """The mail as MIME, as the SMTP and outbox mailers send it (SES builds its own from the same fields)."""
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = f"<{message_id}>"
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    for name, value in mail.headers:
        message[name] = value
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=attachment.filename)
    return message


def new_message_id(domain: str) -> str:
    return make_msgid(domain=domain).strip("<>")
