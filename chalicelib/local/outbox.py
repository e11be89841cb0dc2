"""The local mailer: every mail kefu sends is written as an .eml file under .data/outbox/, one can open it.

Beside each mail, a small .json says who it went to and the tags it was sent with, so the console can list
a merchant's own mail without reading every file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chalicelib.core.clock import Clock
from chalicelib.core.mailer import OutboundMail, SentMail, new_message_id, to_mime


class OutboxMailer:
    def __init__(self, folder: Path, clock: Clock, domain: str = "kefu.local") -> None:
        self.folder = folder
        self.clock = clock
        self.domain = domain

    def check(self) -> None:
        """Health: the outbox folder exists (made if need be) and this process may write into it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise PermissionError(f"cannot write into {self.folder}")

    def send(self, mail: OutboundMail) -> SentMail:
        sent_at = self.clock.now()
        message_id = new_message_id(self.domain)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{sent_at.strftime('%Y%m%dT%H%M%S%f')}-{message_id.split('@')[0].replace('.', '-')}.eml"
        path = self.folder / name
        temporary = path.with_suffix(".part")
        temporary.write_bytes(bytes(to_mime(mail, message_id, sent_at)))
        temporary.rename(path)  # a reader never sees half a mail
        path.with_suffix(".json").write_text(json.dumps({
            "id": name, "to": list(mail.to), "subject": mail.subject, "created_at": sent_at.isoformat(),
            "message_id": message_id, "tags": dict(mail.tags)}, ensure_ascii=False))
        return SentMail(provider_id=name, message_id=message_id)

    def entries(self, tag: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest mails first, only those sent with `tag` (name, value) when given."""
        found: list[dict[str, Any]] = []
        for meta in sorted(self.folder.glob("*.json"), reverse=True) if self.folder.exists() else []:
            try:
                entry = json.loads(meta.read_text())
            except (OSError, ValueError):
                continue
            if tag is None or entry.get("tags", {}).get(tag[0]) == tag[1]:
                found.append(entry)
            if len(found) >= limit:
                break
        return found

    def read(self, name: str) -> bytes | None:
        """One mail's bytes by its file name; None for anything that is not a mail in this outbox."""
        if "/" in name or "\\" in name or not name.endswith(".eml") or name.startswith("."):
            return None
        path = self.folder / name
        return path.read_bytes() if path.is_file() else None
