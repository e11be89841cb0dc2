"""What a notice says, as pure functions of its kind, its facts and the licensee's language (clause 13.1)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from chalicelib import i18n

NAMESPACE = "notices"
BILINGUAL = "bilingual"  # zh-CN first, English beneath: the default of every agreement
SEPARATOR = "\n\n——————\n\n"


class NoticeKind(StrEnum):
    """Clause 13.1: what kefu sends to the agreement's notice address. Values are stored: never rename one."""

    INVOICE = "invoice"  # clause 5.3
    REMINDER = "reminder"  # a payment reminder, clause 8
    LATE_FEE = "late_fee"  # clause 8
    SUSPENSION = "suspension"  # clause 8, or by staff
    REINSTATEMENT = "reinstatement"
    RENEWAL = "renewal"  # a renewal reminder before expiry, clause 4.2
    EXTENSION = "extension"  # clause 4.2
    AMENDMENT = "amendment"  # clause 10
    TERMINATION = "termination"  # clauses 10, 11.1
    MAINTENANCE = "maintenance"  # a maintenance window, clause 6.1
    TRAINING = "training"  # a training session scheduled or cancelled, clause 3.3
    EXPORT_WINDOW = "export_window"  # clause 11.2: the data may be exported until a date
    ERASURE_CERTIFICATE = "erasure_certificate"  # clause 11.2: what was erased, when, by which job
    SUPPORT_ANSWER = "support_answer"  # clause 3.2: the licensor answered or resolved a support request


def languages(setting: str | None) -> tuple[str, ...]:
    """The languages a notice is written in: one the licensee chose, else zh-CN and English (the default)."""
    if setting and setting != BILINGUAL and setting in i18n.locales():
        return (setting,)
    return ("zh-CN", "en")


def compose(kind: NoticeKind, params: Mapping[str, object], setting: str | None = None,
            variant: str = "") -> tuple[str, str]:
    """Subject and text of a notice from the catalogue: `<kind>[.<variant>].subject|text` in each language."""
    name = f"{kind.value}.{variant}" if variant else kind.value
    parts = [(i18n.text(NAMESPACE, f"{name}.subject", locale, **params),
              i18n.text(NAMESPACE, f"{name}.text", locale, **params)) for locale in languages(setting)]
    return " / ".join(p[0] for p in parts), SEPARATOR.join(p[1] for p in parts)


def label(key: str, locale: str, **params: object) -> str:
    """One text of the notices catalogue (a payment method's name, an invoice heading)."""
    return i18n.text(NAMESPACE, key, locale, **params)
