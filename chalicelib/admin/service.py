"""What a merchant's administrator does without asking the licensor: issue and revoke the team's agent keys
(within the licensed seats, clause 3.1.1) and change the chat hours, the widget's texts and the email
acknowledgement. Every change is made by the area that owns it and lands in the audit trail with the admin's
key id as the actor."""

from __future__ import annotations

from typing import Any

from chalicelib import i18n
from chalicelib.admin.model import WIDGET_TEXTS, SettingsChange, actor, agent_dict
from chalicelib.chat import model as chat_model
from chalicelib.chat.service import ChatService
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.licensing.model import KeyKind, KeyRecord, Role
from chalicelib.licensing.service import IssuedKey, LicensingService
from chalicelib.mail.service import RELEASABLE_BY_MERCHANT, MailService


class AdminService:
    def __init__(self, licensing: LicensingService, chat: ChatService, mail: MailService) -> None:
        self.licensing = licensing
        self.chat = chat
        self.mail = mail

    # -- the team --------------------------------------------------------------------------------------
    def team(self, licensee_id: str) -> dict[str, Any]:
        """The merchant's agent keys (active first, then revoked), and how many seats the license has."""
        keys = [k for k in self.licensing.keys(licensee_id) if k.kind is KeyKind.AGENT]
        seats = self.licensing.seats(licensee_id)
        keys.sort(key=lambda k: (not k.active, k.created_at))
        return {"items": [agent_dict(k) for k in keys], "seats": seats,
                "used": sum(1 for k in keys if k.active)}

    def add_agent(self, licensee_id: str, admin: KeyRecord, name: str, email: str, role: Role) -> IssuedKey:
        """A new agent key for the team; the license's seats bound how many are active (409 SEAT_LIMIT)."""
        return self.licensing.issue_agent_key(licensee_id, name, email, actor(admin), role)

    def remove_agent(self, licensee_id: str, admin: KeyRecord, key_id: str) -> KeyRecord:
        """Revoke an agent's key at once; its seat is free again. An admin cannot lock themselves out."""
        key = next((k for k in self.licensing.keys(licensee_id)
                    if k.key_id == key_id and k.kind is KeyKind.AGENT), None)
        if key is None:
            raise NotFound("This shop has no such agent.", code="UNKNOWN_AGENT")
        if key.key_id == admin.key_id:
            raise Conflict("You cannot remove your own key; ask another administrator.", code="CANNOT_REMOVE_SELF")
        if not key.active:
            raise Conflict("That agent's key is already revoked.", code="ALREADY_REVOKED")
        return self.licensing.revoke_key(licensee_id, key_id, actor(admin))

    # -- held mail ---------------------------------------------------------------------------------------
    def held_mail(self, licensee_id: str) -> list[dict[str, Any]]:
        return [{**held, "releasable": held["released"] is None and held["reason"] in RELEASABLE_BY_MERCHANT}
                for held in self.mail.held(licensee_id)]

    def release(self, licensee_id: str, admin: KeyRecord, ses_id: str) -> dict[str, Any]:
        return self.mail.release(licensee_id, ses_id, actor(admin), RELEASABLE_BY_MERCHANT)

    # -- settings --------------------------------------------------------------------------------------
    def settings(self, licensee_id: str) -> dict[str, Any]:
        chat = self.chat.chat_settings(licensee_id)
        mail = self.mail.mail_settings(licensee_id)
        widget = chat.texts
        return {"timezone": chat.timezone,
                "chat_hours": chat.hours,
                "widget_texts": {locale: {name: widget.get(locale, {}).get(name, "") for name in WIDGET_TEXTS}
                                 for locale in i18n.locales()},
                "acknowledge": mail["acknowledge"],
                "acknowledgement_texts": {locale: mail["acknowledgement_texts"].get(locale, "")
                                          for locale in i18n.locales()},
                "default_acknowledgement": mail["acknowledgement_text"]}

    def update_settings(self, licensee_id: str, admin: KeyRecord, change: SettingsChange) -> dict[str, Any]:
        """Apply the parts of the change that are given; each is checked before anything is written."""
        current = self.chat.chat_settings(licensee_id)
        timezone = change.timezone or current.timezone
        hours = change.hours if change.hours is not None else current.hours
        if change.hours is not None or change.timezone is not None:
            chat_model.parse_hours(hours, timezone)  # refuses before any part is stored
        for given in (set(change.widget_texts or {}), set(change.acknowledgement_texts or {})):
            unknown = sorted(given - set(i18n.locales()))
            if unknown:
                raise InvalidInput(f"No such language: {', '.join(unknown)}.", code="UNKNOWN_LOCALE",
                                   details={"locales": unknown})
        signed = actor(admin)
        if change.hours is not None or change.timezone is not None:
            self.chat.set_hours(licensee_id, hours, timezone, signed)
        if change.widget_texts is not None:
            # the admin's greeting and offline texts join the title and hand-over texts set for the same language
            for locale, entries in change.widget_texts.items():
                before = current.texts.get(locale, {})
                after = {**before, **entries}
                if {k: v.strip() for k, v in after.items() if v.strip()} != before:
                    self.chat.set_widget_texts(licensee_id, locale, after, signed)
        if change.acknowledge is not None or change.acknowledgement_texts is not None:
            texts: dict[str, str] | None = None
            if change.acknowledgement_texts is not None:
                texts = {**self.mail.mail_settings(licensee_id)["acknowledgement_texts"],
                         **change.acknowledgement_texts}
            self.mail.update_settings(licensee_id, signed, acknowledge=change.acknowledge,
                                      acknowledgement_texts=texts)
        return self.settings(licensee_id)
