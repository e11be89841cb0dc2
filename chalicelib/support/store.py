"""The support table: one partition per request (its header, messages and recorded breaches, read with one
Query), the support calendar's imported years and single days in one partition, and each licensee's targets.

Two sparse indexes: `by_licensee` lists a merchant's own requests, `queue` lists the requests not closed yet for
licensor staff, both newest first, neither a Scan. Every change moves the request's revision on under a condition
and writes its audit record in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

from pynamodb.attributes import (
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.support.hours import Pause
from chalicelib.support.model import Category, Message, Side, Status, SupportRequest, Target, Targets
from chalicelib.support.workdays import DayOverride, Source, YearSchedule

CALENDAR_PK = "CALENDAR"
OPEN_QUEUE = "open"


class ByLicenseeIndex(GlobalSecondaryIndex["SupportItem"]):
    class Meta:
        index_name = "by_licensee"
        projection = AllProjection()

    licensee_id = UnicodeAttribute(hash_key=True)
    opened_key = UnicodeAttribute(range_key=True)


class QueueIndex(GlobalSecondaryIndex["SupportItem"]):
    class Meta:
        index_name = "queue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    opened_key = UnicodeAttribute(range_key=True)


class SupportItem(Model):
    class Meta:
        table_name = "support"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    schema_version = NumberAttribute(default=1)
    licensee_id = UnicodeAttribute(null=True)
    # "REQUEST#<opened ISO>#<id>" or "TRAINING#<start ISO>#<id>": one index lists each kind, in time order
    opened_key = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)       # "open" until closed, then removed (sparse)
    by_licensee = ByLicenseeIndex()
    queue_index = QueueIndex()


class PauseMap(MapAttribute[str, object]):
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute(default="")


class RequestItem(SupportItem, discriminator="request"):
    request_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    category = UnicodeAttribute()
    status = UnicodeAttribute()
    opened_at = UTCDateTimeAttribute()
    opened_by = UnicodeAttribute()
    via = UnicodeAttribute()
    first_response_minutes = NumberAttribute()
    resolution_minutes = NumberAttribute()
    waiting = ListAttribute(of=PauseMap, default=list)
    first_response_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    revision = NumberAttribute(default=1)
    messages_count = NumberAttribute(default=1)


class MessageItem(SupportItem, discriminator="message"):
    number = NumberAttribute()
    side = UnicodeAttribute()
    author = UnicodeAttribute()
    text = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class BreachItem(SupportItem, discriminator="breach"):
    """A target missed, recorded once (the condition on the key) with its audit record: evidence (clause 9)."""

    target = UnicodeAttribute()
    due = UTCDateTimeAttribute()
    recorded_at = UTCDateTimeAttribute()


class WarningItem(SupportItem, discriminator="approaching"):
    """A target passed 80 % of its time, announced once (the condition on the key)."""

    target = UnicodeAttribute()
    due = UTCDateTimeAttribute()
    recorded_at = UTCDateTimeAttribute()


class MailKeyItem(SupportItem, discriminator="mail_key"):
    """`MAIL#<hash of the Message-ID>`: the request a mail opened or answered. Written in the same transaction as
    the request's change, under the condition that it is new, so a retried mail changes nothing twice; replies
    that name the mail in In-Reply-To or References find their request by it."""

    request_id = UnicodeAttribute()


class YearItem(SupportItem, discriminator="calendar_year"):
    year = NumberAttribute()
    days = UnicodeAttribute()  # JSON {"YYYY-MM-DD": ["off"|"on", name]}
    imported_at = UTCDateTimeAttribute()


class DayItem(SupportItem, discriminator="calendar_day"):
    day = UnicodeAttribute()
    working = NumberAttribute()  # 1 or 0
    note = UnicodeAttribute(default="")


class TargetsItem(SupportItem, discriminator="targets"):
    first_response_minutes = NumberAttribute()
    resolution_minutes = NumberAttribute()


class SessionItem(SupportItem, discriminator="training_session"):
    """A training session (chalicelib/training/store.py reads and writes these); here so that the table's layout is
    declared in one place."""

    session_id = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    duration_minutes = NumberAttribute()
    method = UnicodeAttribute()
    topics = ListAttribute(of=UnicodeAttribute)
    place = UnicodeAttribute(default="")
    link = UnicodeAttribute(default="")
    trainer = UnicodeAttribute(default="")
    attendees = ListAttribute(of=UnicodeAttribute, default=list)
    status = UnicodeAttribute()
    reason = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    changed_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=1)


def _pk(request_id: str) -> str:
    return f"REQUEST#{request_id}"


class SupportStore:
    """The only code that knows how support is laid out in DynamoDB."""

    # -- requests ------------------------------------------------------------------------------------------
    def open(self, request: SupportRequest, audit: AuditRecord, mail_key: str | None = None) -> None:
        """Store a new request; `mail_key` (a mail's key hash) makes the mail that opened it open it once."""
        with dynamodb.transaction("A request with this id exists already.") as tx:
            tx.save(_request_item(request, revision=request.revision), condition=SupportItem.pk.does_not_exist())
            tx.save(_message_item(request.request_id, request.messages[0]))
            _claim_mail(tx, mail_key, request.request_id)
            audit_store.add_to(tx, audit)

    def save(self, before: SupportRequest, after: SupportRequest, audit: AuditRecord,
             mail_key: str | None = None) -> SupportRequest:
        """Write the request's new state and its new messages, if nobody changed it meanwhile."""
        saved = _replace_revision(after, before.revision + 1)
        with dynamodb.transaction("The request changed while this change was being made; try again.") as tx:
            tx.save(_request_item(saved, revision=saved.revision), condition=RequestItem.revision == before.revision)
            for message in after.messages[len(before.messages):]:
                tx.save(_message_item(after.request_id, message), condition=SupportItem.pk.does_not_exist())
            _claim_mail(tx, mail_key, after.request_id)
            audit_store.add_to(tx, audit)
        return saved

    def mail_request(self, mail_key: str) -> str | None:
        """The request a mail (by its key hash) opened or answered, if any."""
        item = dynamodb.get(SupportItem, f"MAIL#{mail_key}", "MAIL")
        return item.request_id if isinstance(item, MailKeyItem) else None

    def record_breach(self, request: SupportRequest, target: Target, due: datetime, audit: AuditRecord) -> bool:
        """Record a breach once; False when it was recorded already (a retried or concurrent check)."""
        batch = dynamodb.Batch()
        batch.save(BreachItem(pk=_pk(request.request_id), sk=f"BREACH#{target.value}", target=target.value,
                              due=due, recorded_at=audit.at), condition=SupportItem.pk.does_not_exist(),
                   label="breach")
        audit_store.add_to(batch, audit)
        try:
            batch.commit()
        except dynamodb.Contended as lost:
            if "breach" in lost.failed:  # recorded by an earlier or concurrent check
                return False
            raise
        return True

    def record_warning(self, request: SupportRequest, target: Target, due: datetime, at: datetime) -> bool:
        """Note once that a target is approaching its due time; False when noted already."""
        item = WarningItem(pk=_pk(request.request_id), sk=f"APPROACHING#{target.value}", target=target.value,
                           due=due, recorded_at=at)
        return dynamodb.conditionally(lambda: item.save(condition=SupportItem.pk.does_not_exist()))

    def load(self, request_id: str) -> SupportRequest | None:
        """The whole request in one strongly consistent Query."""
        header: RequestItem | None = None
        messages: list[Message] = []
        breaches: set[Target] = set()
        warned: set[Target] = set()
        for item in SupportItem.query(_pk(request_id), consistent_read=True):
            if isinstance(item, RequestItem):
                header = item
            elif isinstance(item, MessageItem):
                messages.append(Message(int(item.number), Side(item.side), item.author, item.text, item.at))
            elif isinstance(item, BreachItem):
                breaches.add(Target(item.target))
            elif isinstance(item, WarningItem):
                warned.add(Target(item.target))
        if header is None:
            return None
        return replace(_request(header, tuple(sorted(messages, key=lambda m: m.number)), frozenset(breaches)),
                       warned=frozenset(warned))

    def of_licensee(self, licensee_id: str, limit: int = 100) -> list[SupportRequest]:
        """A merchant's requests, newest first, without their messages."""
        return [_request(i, (), frozenset()) for i in SupportItem.by_licensee.query(
            licensee_id, SupportItem.opened_key.startswith("REQUEST#"), scan_index_forward=False, limit=limit)
            if isinstance(i, RequestItem)]

    def queue(self, limit: int = 200) -> list[SupportRequest]:
        """Every request not closed yet, oldest first (the order staff work them in)."""
        return [_request(i, (), frozenset()) for i in SupportItem.queue_index.query(
            OPEN_QUEUE, limit=limit) if isinstance(i, RequestItem)]

    # -- targets -----------------------------------------------------------------------------------------------
    def targets(self, licensee_id: str) -> Targets | None:
        item = dynamodb.get(SupportItem, f"TARGETS#{licensee_id}", "TARGETS")
        if not isinstance(item, TargetsItem):
            return None
        return Targets(int(item.first_response_minutes), int(item.resolution_minutes))

    def set_targets(self, licensee_id: str, targets: Targets, audit: AuditRecord) -> None:
        with dynamodb.transaction("The targets changed meanwhile; try again.") as tx:
            tx.save(TargetsItem(pk=f"TARGETS#{licensee_id}", sk="TARGETS",
                                first_response_minutes=targets.first_response_minutes,
                                resolution_minutes=targets.resolution_minutes))
            audit_store.add_to(tx, audit)

    # -- calendar ------------------------------------------------------------------------------------------------
    def calendar(self) -> tuple[dict[int, YearSchedule], dict[date, DayOverride]]:
        """The imported years and the single days, in one Query."""
        years: dict[int, YearSchedule] = {}
        overrides: dict[date, DayOverride] = {}
        for item in SupportItem.query(CALENDAR_PK, consistent_read=True):
            if isinstance(item, YearItem):
                listed = {date.fromisoformat(k): v for k, v in json.loads(item.days).items()}
                years[int(item.year)] = YearSchedule(
                    int(item.year), Source.IMPORTED, frozenset(d for d, v in listed.items() if v[0] == "off"),
                    frozenset(d for d, v in listed.items() if v[0] == "on"), {d: v[1] for d, v in listed.items()})
            elif isinstance(item, DayItem):
                day = date.fromisoformat(item.day)
                overrides[day] = DayOverride(day, bool(item.working), item.note)
        return years, overrides

    def import_year(self, schedule: YearSchedule, audit: AuditRecord) -> None:
        days = {d.isoformat(): ["off" if d in schedule.off else "on", schedule.names.get(d, "")]
                for d in sorted(schedule.off | schedule.on)}
        with dynamodb.transaction("The calendar changed meanwhile; try again.") as tx:
            tx.save(YearItem(pk=CALENDAR_PK, sk=f"YEAR#{schedule.year}", year=schedule.year,
                             days=json.dumps(days, ensure_ascii=False), imported_at=audit.at))
            audit_store.add_to(tx, audit)

    def set_day(self, override: DayOverride | None, day: date, audit: AuditRecord) -> None:
        """Set a single day, or (override None) clear what staff set for it."""
        with dynamodb.transaction("The calendar changed meanwhile; try again.") as tx:
            if override is None:
                tx.delete(DayItem(pk=CALENDAR_PK, sk=f"DAY#{day.isoformat()}"))
            else:
                tx.save(DayItem(pk=CALENDAR_PK, sk=f"DAY#{day.isoformat()}", day=day.isoformat(),
                                working=1 if override.working else 0, note=override.note))
            audit_store.add_to(tx, audit)


def _claim_mail(tx: dynamodb.Batch, mail_key: str | None, request_id: str) -> None:
    if mail_key is not None:
        tx.save(MailKeyItem(pk=f"MAIL#{mail_key}", sk="MAIL", request_id=request_id),
                condition=SupportItem.pk.does_not_exist(), label="mail")


def _request_item(request: SupportRequest, revision: int) -> RequestItem:
    return RequestItem(
        pk=_pk(request.request_id), sk="REQUEST", licensee_id=request.licensee_id,
        opened_key=f"REQUEST#{utc_key(request.opened_at)}#{request.request_id}",
        queue=None if request.status is Status.CLOSED else OPEN_QUEUE,
        request_id=request.request_id, subject=request.subject, category=request.category.value,
        status=request.status.value, opened_at=request.opened_at, opened_by=request.opened_by, via=request.via,
        first_response_minutes=request.targets.first_response_minutes,
        resolution_minutes=request.targets.resolution_minutes,
        waiting=[PauseMap(start=p.start, end=p.end, reason=p.reason) for p in request.waiting],
        first_response_at=request.first_response_at, closed_at=request.closed_at, revision=revision,
        messages_count=len(request.messages))


def utc_key(instant: datetime) -> str:
    """Instants in keys are UTC, so that keys sort in time order whatever zone they were given in."""
    return instant.astimezone(UTC).isoformat()


def _message_item(request_id: str, message: Message) -> MessageItem:
    return MessageItem(pk=_pk(request_id), sk=f"MESSAGE#{message.number:06d}", number=message.number,
                       side=message.side.value, author=message.author, text=message.text, at=message.at)


def _request(item: RequestItem, messages: tuple[Message, ...], breaches: frozenset[Target]) -> SupportRequest:
    return SupportRequest(
        request_id=item.request_id, licensee_id=item.licensee_id or "", subject=item.subject,
        category=Category(item.category), opened_at=item.opened_at, opened_by=item.opened_by, via=item.via,
        targets=Targets(int(item.first_response_minutes), int(item.resolution_minutes)),
        status=Status(item.status), messages=messages,
        waiting=tuple(Pause(p.start, p.end, p.reason) for p in item.waiting or ()),
        first_response_at=item.first_response_at, closed_at=item.closed_at, breaches=breaches,
        revision=int(item.revision))


def _replace_revision(request: SupportRequest, revision: int) -> SupportRequest:
    return replace(request, revision=revision)
