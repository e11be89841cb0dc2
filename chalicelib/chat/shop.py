"""The merchant's chat settings: the visitor-token secret, opening hours, retention, verified identity and the
widget's language and texts. Part of ChatService (chalicelib/chat/service.py), which the routes call."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import chalicelib.i18n as i18n
from chalicelib.chat import model
from chalicelib.chat.model import ChatSettings
from chalicelib.core.cache import TtlCache
from chalicelib.core.errors import InvalidInput, KefuError
from chalicelib.core.ids import new_secret

if TYPE_CHECKING:
    from chalicelib.audit.model import AuditRecord
    from chalicelib.chat.store import ChatStore
    from chalicelib.settings import Settings


class ShopSettings:
    store: ChatStore
    settings: Settings
    _settings: TtlCache[ChatSettings]

    if TYPE_CHECKING:
        def _audit(self, licensee_id: str, action: str, actor: str, details: dict[str, Any]) -> AuditRecord: ...


    def chat_settings(self, licensee_id: str) -> ChatSettings:
        """The merchant's chat settings; made on first use with a fresh secret for signing visitor tokens."""
        def load() -> ChatSettings:
            found = self.store.settings(licensee_id)
            if found is None:
                self.store.create_settings(licensee_id, new_secret("kf_tok", 32))
                found = self.store.settings(licensee_id)
            assert found is not None
            return found
        return self._settings.get(licensee_id, load)

    def hours(self, licensee_id: str) -> model.BusinessHours:
        current = self.chat_settings(licensee_id)
        return model.parse_hours(current.hours, current.timezone)

    def set_hours(self, licensee_id: str, spec: str, timezone: str, actor: str) -> model.BusinessHours:
        """Opening hours for live chat; outside them the widget asks for an email address instead."""
        hours = model.parse_hours(spec, timezone)
        self.chat_settings(licensee_id)
        self.store.update_settings(licensee_id, self._audit(licensee_id, "chat.hours_set", actor, {
            "hours": model.format_hours(hours), "timezone": timezone}), hours=model.format_hours(hours),
            timezone=timezone)
        self._settings.forget(licensee_id)
        return hours

    def set_retention(self, licensee_id: str, days: int, actor: str) -> None:
        """How long conversations are kept after their last activity (DynamoDB TTL then removes them)."""
        if not 1 <= days <= 3650:
            raise KefuError("Retention is 1 to 3650 days.", code="OUT_OF_RANGE")
        self.chat_settings(licensee_id)
        self.store.update_settings(licensee_id, self._audit(licensee_id, "chat.retention_set", actor,
                                                            {"days": days}), retention_days=days)
        self._settings.forget(licensee_id)

    def rotate_identity_secret(self, licensee_id: str, actor: str) -> str:
        """A new HMAC secret for verified identity; shown once. The old one stops working at once."""
        secret = new_secret("kf_idv", 32)
        self.chat_settings(licensee_id)
        self.store.update_settings(licensee_id, self._audit(licensee_id, "chat.identity_secret_rotated", actor, {}),
                                   identity_secret=secret)
        self._settings.forget(licensee_id)
        return secret

    def set_widget_locale(self, licensee_id: str, locale: str | None, actor: str) -> str | None:
        """The widget's language for every shopper of this merchant, or None: each shopper's browser decides."""
        if locale is not None and locale not in i18n.locales():
            raise InvalidInput(f"'{locale}' is not one of the languages: {', '.join(i18n.locales())}.",
                               code="UNKNOWN_LOCALE", details={"locales": list(i18n.locales())})
        self.chat_settings(licensee_id)
        self.store.update_settings(licensee_id, self._audit(licensee_id, "chat.locale_set", actor,
                                                            {"locale": locale}), locale=locale)
        self._settings.forget(licensee_id)
        return locale

    def set_widget_texts(self, licensee_id: str, locale: str, texts: object, actor: str) -> dict[str, str]:
        """The merchant's own title, greeting, offline and hand-over texts in one language (the others keep
        theirs); what it leaves out comes from the catalogue."""
        if locale not in i18n.locales():
            raise InvalidInput(f"'{locale}' is not one of the languages: {', '.join(i18n.locales())}.",
                               code="UNKNOWN_LOCALE", details={"locales": list(i18n.locales())})
        own = model.merchant_texts(texts)
        current = dict(self.chat_settings(licensee_id).texts)
        if own:
            current[locale] = own
        else:
            current.pop(locale, None)  # all defaults again: nothing of the merchant's left for this language
        self.store.update_settings(licensee_id, self._audit(licensee_id, "chat.texts_set", actor, {
            "locale": locale, "texts": own}), texts=json.dumps(current, ensure_ascii=False, sort_keys=True))
        self._settings.forget(licensee_id)
        return own

    def widget_locale(self, licensee_id: str, *browser: str | list[str] | None) -> str:
        """The shopper's language: the merchant's choice, else the browser's languages, else zh-CN."""
        return i18n.negotiate(self.chat_settings(licensee_id).locale, *browser)

    def widget_texts(self, licensee_id: str, locale: str) -> dict[str, str]:
        return model.widget_texts(i18n.catalogue("widget", locale), self.chat_settings(licensee_id).texts, locale)

    def retention(self, licensee_id: str) -> timedelta:
        days = self.chat_settings(licensee_id).retention_days or self.settings.chat_retention_days
        return timedelta(days=days)
