"""The local mailer: every mail kefu sends is written as an .eml file under .data/outbox/, one can open it."""

from __future__ import annotations

from pathlib import Path

from chalicelib.core.clock import Clock
from chalicelib.core.mailer import OutboundMail, SentMail, new_message_id, to_mime


class OutboxMailer:
    def __init__(self, folder: Path, clock: Clock, domain: str = "kefu.local") -> None:
        self.folder = folder
        self.clock = clock
        self.domain = domain

    def send(self, mail: OutboundMail) -> SentMail:
        sent_at = self.clock.now()
        message_id = new_message_id(self.domain)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{sent_at.strftime('%Y%m%dT%H%M%S%f')}-{message_id.split('@')[0].replace('.', '-')}.eml"
        path = self.folder / name
        temporary = path.with_suffix(".part")
        temporary.write_bytes(bytes(to_mime(mail, message_id, sent_at)))
        temporary.rename(path)  # a reader never sees half a mail
        return SentMail(provider_id=name, message_id=message_id)
