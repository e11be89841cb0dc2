"""Builds licensees the way staff do, through the service, each with its own ids (tests share one database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chalicelib.bootstrap import Services
from chalicelib.core.ids import new_id
from chalicelib.licensing.model import Channel, Party, Role, Signatory
from chalicelib.licensing.service import AgreementDraft

ORIGIN = "https://shop.example"


@dataclass
class Merchant:
    licensee_id: str
    widget_key: str
    agent_key: str


class Factory:
    def __init__(self, services: Services) -> None:
        self.services = services

    def licensee(self, name: str = "Test Shop") -> str:
        party = Party(full_name=f"{name} Co., Ltd.", short_name=name, address="1 Test Road, Shanghai",
                      contact_person="Zhang San", phone="+86 21 1234 5678")
        return self.services.licensing.create_licensee(party, "test:factory", new_id("lic"))

    def draft(self, effective: date = date(2026, 1, 1), years: int = 1, seats: int = 3,
              channels: tuple[Channel, ...] = (Channel.CHAT, Channel.EMAIL)) -> AgreementDraft:
        return AgreementDraft(signed_on=effective, signatories=(Signatory("licensor", "Li Wei", "Director"),
                                                                Signatory("licensee", "Zhang San", "Owner")),
                              place="Hangzhou", effective_date=effective, term_years=years,
                              channels=frozenset(channels), seats=seats, payment_terms_days=30,
                              notice_address="notices@shop.example")

    def merchant(self, **draft_options: object) -> Merchant:
        """A licensee with a signed agreement, a widget key for ORIGIN and one agent key."""
        licensee_id = self.licensee()
        self.services.licensing.sign(licensee_id, self.draft(**draft_options), "test:factory")  # type: ignore[arg-type]
        widget = self.services.licensing.issue_widget_key(licensee_id, [ORIGIN], "test:factory")
        agent = self.services.licensing.issue_agent_key(licensee_id, "Agent One", "one@shop.example", "test:factory")
        return Merchant(licensee_id, widget.secret, agent.secret)

    def admin_key(self, licensee_id: str, name: str = "Admin One", email: str = "admin@shop.example") -> str:
        """An agent key with the admin role for a merchant (holds a seat like any agent key)."""
        return self.services.licensing.issue_agent_key(licensee_id, name, email, "test:factory", Role.ADMIN).secret
