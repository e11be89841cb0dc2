"""The phone table: the only code that knows how numbers, call events, call records and callback tasks lie in
DynamoDB.

Layout (pk / sk):
  MERCHANT#<lic> / NUMBER#<e164>            a phone number of the merchant
  NUMBER#<e164> / NUMBER                    which merchant a number belongs to (routing, one GetItem)
  MERCHANT#<lic> / INSTANCE                 the merchant's Amazon Connect instance
  INSTANCE#<instance id> / INSTANCE         which merchant an instance belongs to (routing, one GetItem)
  MERCHANT#<lic> / WEBHOOKSECRET            the secrets that sign the merchant's call-centre webhooks
  EVENTS#<lic>#<call id> / <event type>     one event of a call (idempotency by contact and event type)
  MERCHANT#<lic> / CALL#<call id>           the call record folded from its events; the `calls` index lists a
                                            merchant's calls newest first
  MERCHANT#<lic> / NOTE#<call id>           agents' notes and disposition (never touched by a fold)
  MERCHANT#<lic> / TASK#<call id>           the callback task of a call nobody answered (at most one per call)
  HELD#<lic or -> / <at>#<source>#<contact>#<type>   an event kept back, with its reason and the raw event

An event is written first, under the condition that its (call, type) is new; then the record is folded from
every stored event and written under the condition that it was folded from more events than the stored one,
so a slower writer holding fewer events never overwrites a newer record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.core import cursors
from chalicelib.phone.model import CallEvent, CallRecord, Direction, EventType, Source, TaskStatus, with_notes


class CallsIndex(GlobalSecondaryIndex["PhoneItem"]):
    """A merchant's calls by start: `<lic>` / `<iso instant>#<call id>`."""

    class Meta:
        index_name = "calls"
        projection = AllProjection()

    calls_pk = UnicodeAttribute(hash_key=True)
    calls_sk = UnicodeAttribute(range_key=True)


class PhoneItem(Model):
    class Meta:
        table_name = "phone"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    schema_version = NumberAttribute(default=1)
    calls_pk = UnicodeAttribute(null=True)
    calls_sk = UnicodeAttribute(null=True)
    calls_index = CallsIndex()


class NumberItem(PhoneItem, discriminator="number"):
    number = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class RouteItem(PhoneItem, discriminator="route"):
    licensee_id = UnicodeAttribute()


class InstanceItem(PhoneItem, discriminator="instance"):
    instance = UnicodeAttribute()


class SecretItem(PhoneItem, discriminator="webhook_secret"):
    current = UnicodeAttribute()
    previous = UnicodeAttribute(null=True)
    previous_until = UTCDateTimeAttribute(null=True)
    rotated_at = UTCDateTimeAttribute()


class EventItem(PhoneItem, discriminator="call_event"):
    event = UnicodeAttribute()  # the CallEvent as JSON
    raw = UnicodeAttribute()    # the event as it arrived
    received_at = UTCDateTimeAttribute()


class CallItem(PhoneItem, discriminator="call"):
    call_id = UnicodeAttribute()
    record = UnicodeAttribute()  # the CallRecord as JSON
    events = NumberAttribute()
    outcome = UnicodeAttribute(null=True)
    direction = UnicodeAttribute()
    agent = UnicodeAttribute(null=True)
    customer = UnicodeAttribute(null=True)  # the shopper's number: a contact's calls are found by it
    counted = UTCDateTimeAttribute(null=True)  # when its metrics were emitted (once per call)


class NoteItem(PhoneItem, discriminator="call_note"):
    notes = UnicodeAttribute(default="")
    disposition = UnicodeAttribute(default="")
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()


class TaskItem(PhoneItem, discriminator="callback_task"):
    call_id = UnicodeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute()
    caller = UnicodeAttribute(null=True)
    call_started_at = UTCDateTimeAttribute()
    created_at = UTCDateTimeAttribute()
    assignee = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class HeldItem(PhoneItem, discriminator="held_event"):
    reason = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    source = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    raw = UnicodeAttribute()
    details = ListAttribute(of=UnicodeAttribute, default=list)
    released_at = UTCDateTimeAttribute(null=True)  # staff released or re-routed it (`./kefu phone held release`)
    released_to = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Secrets:
    current: str
    previous: str | None
    previous_until: datetime | None
    rotated_at: datetime

    def valid_at(self, now: datetime) -> tuple[str, ...]:
        """The secrets that verify now: the current one, and the previous one during its grace period."""
        if self.previous and self.previous_until and now < self.previous_until:
            return (self.current, self.previous)
        return (self.current,)


@dataclass(frozen=True)
class Task:
    call_id: str
    status: TaskStatus
    reason: str
    caller: str | None
    call_started_at: datetime
    created_at: datetime
    assignee: str | None
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True)
class Held:
    licensee_id: str | None
    reason: str
    at: datetime
    source: str
    contact_id: str
    event_type: str
    raw: str
    details: tuple[str, ...]
    released_at: datetime | None = None
    released_to: str | None = None

    @property
    def key(self) -> str:
        """The held event's id for staff: source, contact and event type (unique where it is held)."""
        return f"{self.source}#{self.contact_id}#{self.event_type}"


def _merchant(licensee_id: str) -> str:
    return f"MERCHANT#{licensee_id}"


def _events_pk(licensee_id: str, call_id: str) -> str:
    return f"EVENTS#{licensee_id}#{call_id}"


# -- (de)serialising the pure values ----------------------------------------------------------------------
def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def event_json(event: CallEvent) -> str:
    data = asdict(event)
    for name, value in data.items():
        if isinstance(value, datetime):
            data[name] = value.isoformat()
    data["source"], data["event_type"] = event.source.value, event.event_type.value
    data["direction"] = event.direction.value if event.direction else None
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def event_from_json(text: str) -> CallEvent:
    data: dict[str, Any] = json.loads(text)
    times = {n: _when(data.get(n)) for n in ("initiated_at", "queued_at", "answered_at", "ended_at")}
    at = _when(data["at"])
    assert at is not None
    return CallEvent(
        source=Source(data["source"]), contact_id=data["contact_id"], event_type=EventType(data["event_type"]), at=at,
        direction=Direction(data["direction"]) if data.get("direction") else None,
        customer_number=data.get("customer_number"), merchant_number=data.get("merchant_number"),
        instance=data.get("instance"), queue=data.get("queue"), agent=data.get("agent"),
        recording=data.get("recording"), voicemail=bool(data.get("voicemail")), queue_name=data.get("queue_name"),
        agent_name=data.get("agent_name"), **times)


def record_json(record: CallRecord) -> str:
    data = asdict(record)
    for name, value in data.items():
        if isinstance(value, datetime):
            data[name] = value.isoformat()
    data["source"], data["direction"] = record.source.value, record.direction.value
    data["event_types"] = list(record.event_types)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def record_from_json(text: str) -> CallRecord:
    data: dict[str, Any] = json.loads(text)
    started = _when(data["started_at"])
    assert started is not None
    return CallRecord(
        call_id=data["call_id"], source=Source(data["source"]), contact_id=data["contact_id"],
        direction=Direction(data["direction"]), caller=data.get("caller"), callee=data.get("callee"),
        started_at=started, queued_at=_when(data.get("queued_at")), answered_at=_when(data.get("answered_at")),
        ended_at=_when(data.get("ended_at")), queue=data.get("queue"), agent=data.get("agent"),
        instance=data.get("instance"), recording=data.get("recording"), voicemail=bool(data.get("voicemail")),
        events=int(data["events"]), event_types=tuple(data.get("event_types", ())),
        queue_name=data.get("queue_name"), agent_name=data.get("agent_name"))


class PhoneStore:
    """The only code that knows how the phone channel is laid out in DynamoDB."""

    # -- routing ---------------------------------------------------------------------------------------
    def add_number(self, licensee_id: str, number: str, audit: AuditRecord) -> None:
        """Give a merchant a number; a number belongs to one merchant at a time."""
        with dynamodb.transaction(f"The number {number} belongs to a merchant already.") as tx:
            tx.save(RouteItem(pk=f"NUMBER#{number}", sk="NUMBER", licensee_id=licensee_id),
                    condition=PhoneItem.pk.does_not_exist())
            tx.save(NumberItem(pk=_merchant(licensee_id), sk=f"NUMBER#{number}", number=number, created_at=audit.at))
            audit_store.add_to(tx, audit)

    def remove_number(self, licensee_id: str, number: str, audit: AuditRecord) -> None:
        with dynamodb.transaction(f"The merchant has no number {number}.") as tx:
            tx.delete(RouteItem(pk=f"NUMBER#{number}", sk="NUMBER"), condition=RouteItem.licensee_id == licensee_id)
            tx.delete(NumberItem(pk=_merchant(licensee_id), sk=f"NUMBER#{number}"))
            audit_store.add_to(tx, audit)

    def numbers(self, licensee_id: str) -> list[str]:
        return [i.number for i in PhoneItem.query(_merchant(licensee_id), PhoneItem.sk.startswith("NUMBER#"),
                                                  consistent_read=True) if isinstance(i, NumberItem)]

    def number_owner(self, number: str) -> str | None:
        item = dynamodb.get(PhoneItem, f"NUMBER#{number}", "NUMBER", consistent=False)
        return item.licensee_id if isinstance(item, RouteItem) else None

    def set_instance(self, licensee_id: str, instance: str, previous: str | None, audit: AuditRecord) -> None:
        """Point a merchant at its Connect instance (replacing the one it had); an instance has one merchant."""
        with dynamodb.transaction(f"The Connect instance {instance} belongs to another merchant.") as tx:
            if previous and previous != instance:
                tx.delete(RouteItem(pk=f"INSTANCE#{previous}", sk="INSTANCE"),
                          condition=RouteItem.licensee_id == licensee_id)
            tx.save(RouteItem(pk=f"INSTANCE#{instance}", sk="INSTANCE", licensee_id=licensee_id),
                    condition=PhoneItem.pk.does_not_exist() | (RouteItem.licensee_id == licensee_id))
            tx.save(InstanceItem(pk=_merchant(licensee_id), sk="INSTANCE", instance=instance))
            audit_store.add_to(tx, audit)

    def instance(self, licensee_id: str) -> str | None:
        item = dynamodb.get(PhoneItem, _merchant(licensee_id), "INSTANCE")
        return item.instance if isinstance(item, InstanceItem) else None

    def instance_owner(self, instance: str) -> str | None:
        item = dynamodb.get(PhoneItem, f"INSTANCE#{instance}", "INSTANCE", consistent=False)
        return item.licensee_id if isinstance(item, RouteItem) else None

    # -- webhook secrets -------------------------------------------------------------------------------
    def save_secrets(self, licensee_id: str, secrets: Secrets, audit: AuditRecord) -> None:
        with dynamodb.transaction("The webhook secret was rotated meanwhile; try again.") as tx:
            tx.save(SecretItem(pk=_merchant(licensee_id), sk="WEBHOOKSECRET", current=secrets.current,
                               previous=secrets.previous, previous_until=secrets.previous_until,
                               rotated_at=secrets.rotated_at))
            audit_store.add_to(tx, audit)

    def secrets(self, licensee_id: str) -> Secrets | None:
        item = dynamodb.get(PhoneItem, _merchant(licensee_id), "WEBHOOKSECRET", consistent=False)
        if not isinstance(item, SecretItem):
            return None
        return Secrets(item.current, item.previous, item.previous_until, item.rotated_at)

    # -- events and records ----------------------------------------------------------------------------
    def add_event(self, licensee_id: str, event: CallEvent, raw: str, at: datetime) -> bool:
        """Store one event; False when this call already has an event of this type (a retry, a duplicate)."""
        return _put_new(EventItem(pk=_events_pk(licensee_id, event.call_id), sk=event.event_type.value,
                                  event=event_json(event), raw=raw, received_at=at))

    def events(self, licensee_id: str, call_id: str) -> list[CallEvent]:
        """Every event of a call, strongly consistent (asked right after writing one)."""
        return [event_from_json(i.event) for i in PhoneItem.query(_events_pk(licensee_id, call_id),
                                                                  consistent_read=True) if isinstance(i, EventItem)]

    def save_record(self, licensee_id: str, record: CallRecord) -> bool:
        """Write the record unless the stored one was folded from as many events or more; keeps whether its
        metrics were emitted. Returns whether those metrics were emitted already (as the write saw it)."""
        item = CallItem(pk=_merchant(licensee_id), sk=f"CALL#{record.call_id}", call_id=record.call_id,
                        record=record_json(record), events=record.events,
                        outcome=record.outcome.value if record.outcome else None, direction=record.direction.value,
                        agent=record.agent, calls_pk=licensee_id,
                        customer=record.caller if record.direction is Direction.INBOUND else record.callee,
                        calls_sk=f"{_utc(record.started_at)}#{record.call_id}")
        for _ in range(3):
            current = dynamodb.get(PhoneItem, _merchant(licensee_id), f"CALL#{record.call_id}")
            if not isinstance(current, CallItem):
                condition = PhoneItem.pk.does_not_exist()
            else:
                if current.events >= record.events:
                    return current.counted is not None  # as new as ours, or newer
                item.counted = current.counted
                # `counted` must not have been set meanwhile, or this write would take it back.
                condition = (CallItem.events == current.events) & (
                    (CallItem.counted == current.counted) if current.counted else CallItem.counted.does_not_exist())
            try:
                item.save(condition=condition)
            except PutError as exc:
                if not dynamodb.condition_failed(exc):
                    raise
                continue  # another writer came first: look again
            return item.counted is not None
        return True  # three writers in a row came first: theirs hold at least as many events

    def mark_counted(self, licensee_id: str, call_id: str, at: datetime) -> bool:
        """Mark an ended call's metrics as emitted; True only for the first caller (metrics once per call)."""
        return dynamodb.conditionally(lambda: CallItem(pk=_merchant(licensee_id), sk=f"CALL#{call_id}").update(
            actions=[CallItem.counted.set(at)],
            condition=PhoneItem.pk.exists() & CallItem.counted.does_not_exist()))

    def record(self, licensee_id: str, call_id: str) -> tuple[CallRecord, bool] | None:
        """A call record with its notes, and whether its metrics were emitted."""
        keys = [(_merchant(licensee_id), f"CALL#{call_id}"), (_merchant(licensee_id), f"NOTE#{call_id}")]
        call, note = None, None
        for item in PhoneItem.batch_get(keys, consistent_read=True):
            if isinstance(item, CallItem):
                call = item
            elif isinstance(item, NoteItem):
                note = item
        if call is None:
            return None
        record = record_from_json(call.record)
        if note is not None:
            record = with_notes(record, note.notes, note.disposition)
        return record, call.counted is not None

    def list_calls(self, licensee_id: str, limit: int, cursor: str | None, *, outcome: str | None = None,
                   direction: str | None = None, agent: str | None = None, customer: str | None = None,
                   since: datetime | None = None, until: datetime | None = None) -> tuple[list[CallRecord], str | None]:
        """A page of a merchant's calls, newest first. Filters apply within the page DynamoDB reads, so a
        page may hold fewer than `limit` calls while a cursor still points at more."""
        condition: Condition | None = None
        if since is not None and until is not None:
            condition = CallsIndex.calls_sk.between(_utc(since), _utc(until) + "~")
        elif since is not None:
            condition = CallsIndex.calls_sk >= _utc(since)
        elif until is not None:
            condition = CallsIndex.calls_sk <= _utc(until) + "~"
        filters = None
        for attribute, value in ((CallItem.outcome, outcome), (CallItem.direction, direction),
                                 (CallItem.agent, agent), (CallItem.customer, customer)):
            if value is not None:
                filters = (attribute == value) if filters is None else filters & (attribute == value)
        scope = f"phone-calls|{licensee_id}"  # a signed cursor: it pages only this merchant's calls
        start = cursors.decode(cursor, scope)
        page = PhoneItem.calls_index.query(licensee_id, condition, filter_condition=filters, scan_index_forward=False,
                                           limit=limit, last_evaluated_key=start)
        calls = [record_from_json(i.record) for i in page if isinstance(i, CallItem)]
        notes = self._notes(licensee_id, [c.call_id for c in calls])
        calls = [with_notes(c, *notes[c.call_id]) if c.call_id in notes else c for c in calls]
        return calls, cursors.encode(page.last_evaluated_key, scope)

    def calls_between(self, licensee_id: str, since: datetime, until: datetime) -> list[CallRecord]:
        """Every call of a merchant that started in a period (reports): one paged Query of the index."""
        found = PhoneItem.calls_index.query(licensee_id, CallsIndex.calls_sk.between(_utc(since), _utc(until) + "~"))
        return [record_from_json(i.record) for i in found if isinstance(i, CallItem)]

    def _notes(self, licensee_id: str, call_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        keys = [(_merchant(licensee_id), f"NOTE#{c}") for c in call_ids]
        if not keys:
            return {}
        return {i.sk.removeprefix("NOTE#"): (i.notes, i.disposition) for i in PhoneItem.batch_get(keys)
                if isinstance(i, NoteItem)}

    def save_notes(self, licensee_id: str, call_id: str, notes: str, disposition: str, actor: str,
                   audit: AuditRecord) -> None:
        with dynamodb.transaction("The call changed meanwhile; try again.") as tx:
            tx.condition_check(PhoneItem, _merchant(licensee_id), f"CALL#{call_id}", condition=PhoneItem.pk.exists())
            tx.save(NoteItem(pk=_merchant(licensee_id), sk=f"NOTE#{call_id}", notes=notes, disposition=disposition,
                             updated_at=audit.at, updated_by=actor))
            audit_store.add_to(tx, audit)

    # -- callback tasks --------------------------------------------------------------------------------
    def open_task(self, licensee_id: str, record: CallRecord, at: datetime) -> bool:
        """The one callback task of a call nobody answered; False when the call has one already."""
        outcome = record.outcome
        return _put_new(TaskItem(pk=_merchant(licensee_id), sk=f"TASK#{record.call_id}", call_id=record.call_id,
                                 status=TaskStatus.OPEN.value, reason=outcome.value if outcome else "missed",
                                 caller=record.caller, call_started_at=record.started_at, created_at=at))

    def cancel_task(self, licensee_id: str, call_id: str, at: datetime) -> bool:
        """Close an open task of a call that turned out answered (its events came out of order)."""
        return dynamodb.conditionally(lambda: TaskItem(pk=_merchant(licensee_id), sk=f"TASK#{call_id}").update(
            actions=[TaskItem.status.set(TaskStatus.CANCELLED.value), TaskItem.updated_at.set(at),
                     TaskItem.updated_by.set("system:answered")],
            condition=TaskItem.status == TaskStatus.OPEN.value))

    def tasks(self, licensee_id: str, status: TaskStatus | None = None, limit: int = 100) -> list[Task]:
        found = PhoneItem.query(_merchant(licensee_id), PhoneItem.sk.startswith("TASK#"), consistent_read=True,
                                filter_condition=(TaskItem.status == status.value) if status else None)
        tasks = [_task(i) for i in found if isinstance(i, TaskItem)]
        return sorted(tasks, key=lambda t: t.created_at, reverse=True)[:limit]

    def task(self, licensee_id: str, call_id: str) -> Task | None:
        item = dynamodb.get(PhoneItem, _merchant(licensee_id), f"TASK#{call_id}")
        return _task(item) if isinstance(item, TaskItem) else None

    def update_task(self, licensee_id: str, task: Task, status: TaskStatus, assignee: str | None,
                    audit: AuditRecord) -> None:
        """Assign or close a task, under the condition that nobody changed it since it was read."""
        item = TaskItem(pk=_merchant(licensee_id), sk=f"TASK#{task.call_id}")
        condition = TaskItem.status == task.status.value
        condition &= (TaskItem.updated_at == task.updated_at) if task.updated_at \
            else TaskItem.updated_at.does_not_exist()
        with dynamodb.transaction("The callback task changed meanwhile; reload it and try again.") as tx:
            tx.update(item, actions=[TaskItem.status.set(status.value),
                                     TaskItem.assignee.set(assignee) if assignee else TaskItem.assignee.remove(),
                                     TaskItem.updated_at.set(audit.at), TaskItem.updated_by.set(audit.actor)],
                      condition=condition)
            audit_store.add_to(tx, audit)

    # -- held events -----------------------------------------------------------------------------------
    def hold(self, held: Held) -> bool:
        """Keep an event back with its reason; False when this very event is held already (a retry)."""
        return _put_new(HeldItem(pk=f"HELD#{held.licensee_id or '-'}",
                                 sk=f"{held.source}#{held.contact_id}#{held.event_type}", reason=held.reason,
                                 at=held.at, source=held.source, contact_id=held.contact_id,
                                 event_type=held.event_type, raw=held.raw, details=list(held.details)))

    def held(self, licensee_id: str | None, limit: int = 100) -> list[Held]:
        found = [i for i in PhoneItem.query(f"HELD#{licensee_id or '-'}", limit=limit) if isinstance(i, HeldItem)]
        return sorted((_held(licensee_id, i) for i in found), key=lambda h: h.at, reverse=True)

    def held_one(self, licensee_id: str | None, key: str) -> Held | None:
        item = dynamodb.get(PhoneItem, f"HELD#{licensee_id or '-'}", key)
        return _held(licensee_id, item) if isinstance(item, HeldItem) else None

    def mark_released(self, held: Held, to: str, audit: AuditRecord) -> bool:
        """Note that staff released a held event to a merchant, once; False when it was released already."""
        batch = dynamodb.Batch()
        batch.update(HeldItem(pk=f"HELD#{held.licensee_id or '-'}", sk=held.key),
                     actions=[HeldItem.released_at.set(audit.at), HeldItem.released_to.set(to)],
                     condition=PhoneItem.pk.exists() & HeldItem.released_at.does_not_exist(), label="release")
        audit_store.add_to(batch, audit)
        try:
            batch.commit()
        except dynamodb.Contended as lost:
            if "release" in lost.failed:
                return False
            raise
        return True


def _held(licensee_id: str | None, i: HeldItem) -> Held:
    return Held(licensee_id, i.reason, i.at, i.source, i.contact_id, i.event_type, i.raw,
                tuple(str(d) for d in i.details or ()), i.released_at, i.released_to)


def _task(item: TaskItem) -> Task:
    return Task(item.call_id, TaskStatus(item.status), item.reason, item.caller, item.call_started_at,
                item.created_at, item.assignee, item.updated_at, item.updated_by)


def _utc(instant: datetime) -> str:
    """Index keys in UTC: call centres send local offsets, and ISO strings only sort right in one zone."""
    return instant.astimezone(UTC).isoformat()


def _put_new(item: PhoneItem) -> bool:
    """Write an item that must not exist yet; False when it does (a retry, a duplicate): nothing is changed."""
    return dynamodb.conditionally(lambda: item.save(condition=PhoneItem.pk.does_not_exist()))
