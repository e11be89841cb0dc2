"""A licensee's notice settings (the language its notices are written in), kept in the billing table beside its
notices, changed with an audit record in the same transaction."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.adapters.dynamodb import Batch, get
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.billing.items import BillingItem, partition

SETTINGS_SK = "NOTICE-SETTINGS"  # not under "NOTICE#", where the notices themselves are


class NoticeSettingsItem(BillingItem, discriminator="notice_settings"):
    language = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()


def language(licensee_id: str) -> str | None:
    """The language the licensee chose for its notices, or None (the default: zh-CN with English)."""
    item = get(NoticeSettingsItem, partition(licensee_id), SETTINGS_SK, consistent=False)
    return item.language if isinstance(item, NoticeSettingsItem) else None


def set_language(licensee_id: str, value: str, actor: str, at: datetime) -> None:
    batch = Batch()
    batch.save(NoticeSettingsItem(pk=partition(licensee_id), sk=SETTINGS_SK, language=value, updated_at=at,
                                  updated_by=actor))
    audit_store.add_to(batch, AuditRecord(f"licensee:{licensee_id}", "notices.language_set", actor, at,
                                          {"language": value}))
    batch.commit()
