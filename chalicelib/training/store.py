"""Training sessions in the support table: one item per session (`TRAINING#<id>`), listed per licensee through
`by_licensee` and for staff through `queue` ("training"), in order of their start. Changes go under the session's
revision with their audit record, in one transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.support.store import SessionItem, SupportItem, utc_key
from chalicelib.training.model import Method, Status, TrainingSession

QUEUE = "training"


class TrainingStore:
    def add(self, session: TrainingSession, audit: AuditRecord) -> None:
        with dynamodb.transaction("A session with this id exists already.") as tx:
            tx.save(_item(session), condition=SupportItem.pk.does_not_exist())
            audit_store.add_to(tx, audit)

    def save(self, before: TrainingSession, after: TrainingSession, audit: AuditRecord) -> TrainingSession:
        saved = replace(after, revision=before.revision + 1)
        with dynamodb.transaction("The session changed while this change was being made; try again.") as tx:
            tx.save(_item(saved), condition=SessionItem.revision == before.revision)
            audit_store.add_to(tx, audit)
        return saved

    def load(self, session_id: str) -> TrainingSession | None:
        item = dynamodb.get(SupportItem, f"TRAINING#{session_id}", "SESSION")
        return _session(item) if isinstance(item, SessionItem) else None

    def of_licensee(self, licensee_id: str, since: datetime | None = None,
                    until: datetime | None = None) -> list[TrainingSession]:
        """A licensee's sessions in order of their start, optionally those starting in [since, until)."""
        low = f"TRAINING#{utc_key(since)}" if since else "TRAINING#"
        high = f"TRAINING#{utc_key(until)}" if until else "TRAINING#~"
        return [_session(i) for i in SupportItem.by_licensee.query(
            licensee_id, SupportItem.opened_key.between(low, high)) if isinstance(i, SessionItem)
            and (until is None or i.starts_at < until)]

    def all(self, limit: int = 500) -> list[TrainingSession]:
        return [_session(i) for i in SupportItem.queue_index.query(QUEUE, scan_index_forward=False, limit=limit)
                if isinstance(i, SessionItem)]


def _item(session: TrainingSession) -> SessionItem:
    return SessionItem(
        pk=f"TRAINING#{session.session_id}", sk="SESSION", licensee_id=session.licensee_id,
        opened_key=f"TRAINING#{utc_key(session.starts_at)}#{session.session_id}", queue=QUEUE,
        session_id=session.session_id, starts_at=session.starts_at, duration_minutes=session.duration_minutes,
        method=session.method.value, topics=list(session.topics), place=session.place, link=session.link,
        trainer=session.trainer, attendees=list(session.attendees), status=session.status.value,
        reason=session.reason, created_at=session.created_at, changed_at=session.changed_at,
        revision=session.revision)


def _session(item: SessionItem) -> TrainingSession:
    return TrainingSession(
        session_id=item.session_id, licensee_id=item.licensee_id or "", starts_at=item.starts_at,
        duration_minutes=int(item.duration_minutes), method=Method(item.method),
        topics=tuple(str(t) for t in item.topics), place=item.place, link=item.link, trainer=item.trainer,
        attendees=tuple(str(a) for a in item.attendees or ()), status=Status(item.status), reason=item.reason,
        created_at=item.created_at, changed_at=item.changed_at, revision=int(item.revision))
