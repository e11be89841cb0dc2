"""The privacy table: the only code that knows how privacy requests, retention periods and export windows lie in
DynamoDB.

Layout (pk / sk):
  MERCHANT#<lic> / RETENTION                   the merchant's own retention periods (days per kind)
  MERCHANT#<lic> / WINDOW                      its export window after termination: extension, erasure, certificate
  MERCHANT#<lic> / REQUEST#<instant>#<id>      an export or erasure; the sparse `running` index lists those not done

A request names its person only while it runs: when it is done the contact is removed from the record and only
its digest stays, so that nothing of an erased person outlives the erasure here either. Every change is written
with its audit record in one transaction.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from pynamodb.attributes import DiscriminatorAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.privacy.model import Person, PrivacyRequest, RequestKind, RequestStatus

RUNNING = "RUNNING"


class RunningIndex(GlobalSecondaryIndex["PrivacyItem"]):
    """Requests still running, oldest first: what the scheduled run continues."""

    class Meta:
        index_name = "running"
        projection = AllProjection()

    running = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class PrivacyItem(Model):
    class Meta:
        table_name = "privacy"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    schema_version = NumberAttribute(default=1)
    running = UnicodeAttribute(null=True)
    running_index = RunningIndex()


class RetentionItem(PrivacyItem, discriminator="retention"):
    periods = UnicodeAttribute(default="{}")  # JSON {kind: days}
    updated_at = UTCDateTimeAttribute()


class WindowItem(PrivacyItem, discriminator="export_window"):
    extended_until = UnicodeAttribute(null=True)  # ISO date
    erased_at = UTCDateTimeAttribute(null=True)
    certificate = UnicodeAttribute(null=True)     # JSON of the erasure certificate


class RequestItem(PrivacyItem, discriminator="privacy_request"):
    request_id = UnicodeAttribute()
    licensee_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    contact = UnicodeAttribute(null=True)         # JSON of the Person, while the request runs
    contact_digest = UnicodeAttribute(null=True)
    actor = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    cursor = UnicodeAttribute(null=True)
    counts = UnicodeAttribute(default="{}")
    finished_at = UTCDateTimeAttribute(null=True)
    archive_key = UnicodeAttribute(null=True)


def _merchant(licensee_id: str) -> str:
    return f"MERCHANT#{licensee_id}"


def _request_sk(request: PrivacyRequest) -> str:
    return f"REQUEST#{request.created_at.isoformat()}#{request.request_id}"


def _request(item: RequestItem) -> PrivacyRequest:
    contact = json.loads(item.contact) if item.contact else None
    return PrivacyRequest(
        request_id=item.request_id, licensee_id=item.licensee_id, kind=RequestKind(item.kind),
        person=Person(**contact) if contact else None, actor=item.actor, created_at=item.created_at,
        status=RequestStatus(item.status), cursor=item.cursor, counts=json.loads(item.counts or "{}"),
        finished_at=item.finished_at, archive_key=item.archive_key)


class PrivacyStore:
    # -- retention ---------------------------------------------------------------------------------------------
    def retention(self, licensee_id: str) -> dict[str, int]:
        item = dynamodb.get(PrivacyItem, _merchant(licensee_id), "RETENTION", consistent=False)
        return json.loads(item.periods) if isinstance(item, RetentionItem) else {}

    def set_retention(self, licensee_id: str, periods: dict[str, int], audit: AuditRecord) -> None:
        with dynamodb.transaction("The retention periods changed meanwhile; try again.") as tx:
            tx.save(RetentionItem(pk=_merchant(licensee_id), sk="RETENTION", updated_at=audit.at,
                                  periods=json.dumps(periods, sort_keys=True)))
            audit_store.add_to(tx, audit)

    # -- export windows ---------------------------------------------------------------------------------------
    def window(self, licensee_id: str) -> tuple[date | None, datetime | None, dict[str, object] | None]:
        """(extended until, erased at, certificate) of a merchant's export window."""
        item = dynamodb.get(PrivacyItem, _merchant(licensee_id), "WINDOW")
        if not isinstance(item, WindowItem):
            return None, None, None
        return (date.fromisoformat(item.extended_until) if item.extended_until else None, item.erased_at,
                json.loads(item.certificate) if item.certificate else None)

    def extend_window(self, licensee_id: str, until: date, audit: AuditRecord) -> None:
        item = WindowItem(pk=_merchant(licensee_id), sk="WINDOW")
        with dynamodb.transaction("The merchant's data has been erased meanwhile.") as tx:
            tx.update(item, actions=[WindowItem.extended_until.set(until.isoformat()),
                                     PrivacyItem.item_type.set(WindowItem)],
                      condition=WindowItem.erased_at.does_not_exist())
            audit_store.add_to(tx, audit)

    def record_certificate(self, licensee_id: str, erased_at: datetime, certificate: dict[str, object],
                           audit: AuditRecord) -> bool:
        """Mark the merchant's content erased with its certificate, once; False when it was recorded before."""
        item = WindowItem(pk=_merchant(licensee_id), sk="WINDOW")
        try:
            with dynamodb.transaction("The erasure was recorded already.") as tx:
                tx.update(item, actions=[WindowItem.erased_at.set(erased_at), PrivacyItem.item_type.set(WindowItem),
                                         WindowItem.certificate.set(json.dumps(certificate, sort_keys=True))],
                          condition=WindowItem.erased_at.does_not_exist())
                audit_store.add_to(tx, audit)
        except Exception as exc:
            if dynamodb.condition_failed(exc.__cause__ or exc):
                return False
            raise
        return True

    # -- requests --------------------------------------------------------------------------------------------
    def add_request(self, request: PrivacyRequest, digest: str | None, audit: AuditRecord) -> None:
        with dynamodb.transaction("This request exists already.") as tx:
            tx.save(RequestItem(
                pk=_merchant(request.licensee_id), sk=_request_sk(request), request_id=request.request_id,
                licensee_id=request.licensee_id, kind=request.kind.value,
                contact=json.dumps(request.person.__dict__) if request.person else None, contact_digest=digest,
                actor=request.actor, created_at=request.created_at, status=request.status.value,
                cursor=request.cursor, running=RUNNING), condition=PrivacyItem.pk.does_not_exist())
            audit_store.add_to(tx, audit)

    def progress(self, request: PrivacyRequest) -> None:
        """A step of a running request: its cursor and counts so far."""
        actions: list[Action] = [RequestItem.counts.set(json.dumps(request.counts, sort_keys=True))]
        actions.append(RequestItem.cursor.set(request.cursor) if request.cursor else RequestItem.cursor.remove())
        RequestItem(pk=_merchant(request.licensee_id), sk=_request_sk(request)).update(
            actions=actions, condition=PrivacyItem.pk.exists())

    def finish(self, request: PrivacyRequest, audit: AuditRecord | None) -> None:
        """A request done: its counts and archive; the person's contact leaves the record (the digest stays)."""
        assert request.finished_at is not None
        actions: list[Action] = [
            RequestItem.status.set(RequestStatus.DONE.value), RequestItem.finished_at.set(request.finished_at),
            RequestItem.counts.set(json.dumps(request.counts, sort_keys=True)), RequestItem.cursor.remove(),
            RequestItem.contact.remove(), PrivacyItem.running.remove()]
        if request.archive_key:
            actions.append(RequestItem.archive_key.set(request.archive_key))
        with dynamodb.transaction("The request was finished meanwhile.") as tx:
            tx.update(RequestItem(pk=_merchant(request.licensee_id), sk=_request_sk(request)), actions=actions,
                      condition=RequestItem.status == RequestStatus.RUNNING.value)
            if audit is not None:
                audit_store.add_to(tx, audit)

    def request(self, licensee_id: str, request_id: str) -> PrivacyRequest | None:
        for item in PrivacyItem.query(_merchant(licensee_id), PrivacyItem.sk.startswith("REQUEST#"),
                                      filter_condition=RequestItem.request_id == request_id, consistent_read=True):
            if isinstance(item, RequestItem):
                return _request(item)
        return None

    def requests(self, licensee_id: str, limit: int = 100) -> list[PrivacyRequest]:
        """A merchant's requests, newest first."""
        return [_request(i) for i in PrivacyItem.query(_merchant(licensee_id), PrivacyItem.sk.startswith("REQUEST#"),
                                                       scan_index_forward=False, limit=limit)
                if isinstance(i, RequestItem)]

    def archives_holding(self, licensee_id: str, digest: str) -> list[str]:
        """The export archives that hold a person: their own exports and every export of the whole merchant."""
        found = PrivacyItem.query(_merchant(licensee_id), PrivacyItem.sk.startswith("REQUEST#"))
        return [str(i.archive_key) for i in found if isinstance(i, RequestItem) and i.archive_key
                and (i.contact_digest == digest or i.kind == RequestKind.MERCHANT_EXPORT.value)]

    def running(self) -> list[PrivacyRequest]:
        """Every request not done yet, oldest first (across merchants: the scheduled run's work)."""
        return [_request(i) for i in PrivacyItem.running_index.query(RUNNING) if isinstance(i, RequestItem)]
