"""Email use cases (clauses 1.1.2, 3.1): mail in through SES (or local SMTP) into threaded tickets, agents'
replies out through the one mailer, bounces and complaints back. Every function takes the merchant first.

The use cases live by family: what agents read (tickets.py), what they send (agent.py), mail that arrives and
held mail (inbound.py); this class joins them and holds the merchant's mail settings."""

from __future__ import annotations

from typing import Any

from chalicelib.audit.model import AuditRecord
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.mail import model
from chalicelib.mail.agent import MAX_REPLY_CHARS
from chalicelib.mail.inbound import RELEASABLE, RELEASABLE_BY_MERCHANT, InboundMail
from chalicelib.mail.model import (
    MailSettings,
)
from chalicelib.mail.tickets import LINK_SECONDS

__all__ = ["LINK_SECONDS", "MAX_REPLY_CHARS", "RELEASABLE", "RELEASABLE_BY_MERCHANT", "MailService"]


class MailService(InboundMail):
    """The email channel's use cases, one object for the handlers, the API and the CLI."""

    # -- merchant settings ---------------------------------------------------------------------------------------
    def add_address(self, licensee_id: str, local_part: str, actor: str) -> str:
        """Give a merchant a support address on the licensor's mail domain."""
        try:
            address = model.support_address(local_part, self.domain)
        except ValueError as exc:
            raise InvalidInput(str(exc), code="INVALID_ADDRESS") from exc
        if self.licensing.licensee(licensee_id) is None:
            raise NotFound(f"No licensee {licensee_id}.", code="UNKNOWN_LICENSEE")
        self.store.add_address(licensee_id, address, AuditRecord(
            subject=f"licensee:{licensee_id}", action="mail.address_added", actor=actor, at=self.clock.now(),
            details={"address": address}))
        return address

    def mail_settings(self, licensee_id: str) -> dict[str, Any]:
        settings = self.store.settings(licensee_id)
        return {"support_addresses": self.store.addresses(licensee_id),
                "acknowledge": settings.acknowledge,
                "acknowledgement_text": settings.acknowledgement_text or model.DEFAULT_ACKNOWLEDGEMENT,
                "acknowledgement_texts": dict(settings.acknowledgement_texts or {}),
                "acknowledgements_per_hour": self.settings.acknowledgements_per_hour}

    def update_settings(self, licensee_id: str, actor: str, acknowledge: bool | None = None,
                        acknowledgement_text: str | None = None,
                        acknowledgement_texts: dict[str, str] | None = None) -> dict[str, Any]:
        """Switch the automatic acknowledgement on or off, or change its text ({merchant}, {number}), one for
        every language or one per language."""
        current = self.store.settings(licensee_id)
        texts = current.acknowledgement_texts
        if acknowledgement_texts is not None:
            texts = {locale: text for locale, text in acknowledgement_texts.items() if text} or None
        updated = MailSettings(current.acknowledge if acknowledge is None else acknowledge,
                               acknowledgement_text if acknowledgement_text is not None
                               else current.acknowledgement_text, texts)
        self.store.save_settings(licensee_id, updated, AuditRecord(
            subject=f"licensee:{licensee_id}", action="mail.settings_changed", actor=actor, at=self.clock.now(),
            details={"acknowledge": updated.acknowledge, "text_changed": acknowledgement_text is not None,
                     "texts_changed": sorted(acknowledgement_texts) if acknowledgement_texts is not None else None}))
        return self.mail_settings(licensee_id)

