"""The SMTP mailer for local mode: hands each mail to an SMTP server (a local catcher such as MailHog, or
the developer's own relay) instead of writing it to the outbox."""

from __future__ import annotations

import smtplib

from chalicelib.core.clock import Clock
from chalicelib.core.mailer import OutboundMail, SentMail, new_message_id, to_mime


class SmtpMailer:
    def __init__(self, relay: str, clock: Clock, domain: str = "kefu.local", timeout: float = 10.0) -> None:
        host, _, port = relay.rpartition(":")
        self.host, self.port = host or relay, int(port or 25)
        self.clock = clock
        self.domain = domain
        self.timeout = timeout

    def check(self) -> None:
        """Health: the relay answers a NOOP."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.noop()

    def send(self, mail: OutboundMail) -> SentMail:
        message_id = new_message_id(self.domain)
        message = to_mime(mail, message_id, self.clock.now())
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message, to_addrs=list(mail.to))
        return SentMail(provider_id=message_id, message_id=message_id)
