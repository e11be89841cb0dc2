"""Audit entries in their own table. The functions only ever add; nothing here updates or deletes."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.adapters.dynamodb import Batch
from chalicelib.audit.model import AuditRecord
from chalicelib.core.ids import new_id


class AuditItem(Model):
    class Meta:
        table_name = "audit"

    subject = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)  # "<ISO instant>#<id>": time-ordered, never colliding
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    details = UnicodeAttribute(default="{}")
    schema_version = NumberAttribute(default=1)


def _item(record: AuditRecord) -> AuditItem:
    return AuditItem(
        subject=record.subject,
        entry=f"{record.at.isoformat()}#{new_id('aud')}",
        action=record.action,
        actor=record.actor,
        at=record.at,
        details=json.dumps(record.details, sort_keys=True, default=str, ensure_ascii=False),
    )


def add_to(tx: Batch, record: AuditRecord) -> None:
    """Record the change inside the transaction that makes it."""
    tx.save(_item(record), condition=AuditItem.subject.does_not_exist())


def append(record: AuditRecord) -> None:
    _item(record).save(condition=AuditItem.subject.does_not_exist())


def history(subject: str, since: datetime | None = None) -> list[AuditRecord]:
    """Every record about a subject, oldest first."""
    condition = AuditItem.entry >= since.isoformat() if since else None
    return [
        AuditRecord(subject=i.subject, action=i.action, actor=i.actor, at=i.at, details=json.loads(i.details))
        for i in AuditItem.query(subject, range_key_condition=condition)
    ]
