"""The phone table's part in privacy requests (clauses 7.2, 11.2): find a customer's calls by their number, read
and erase them with their events, notes and callback tasks, and erase what is left of a merchant after
termination. Beside the store, not in it; every key here comes from chalicelib/phone/store.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from chalicelib.adapters import dynamodb
from chalicelib.phone.model import CallRecord
from chalicelib.phone.store import (
    CallItem,
    CallsIndex,
    HeldItem,
    InstanceItem,
    NumberItem,
    PhoneItem,
    PhoneStore,
    _events_pk,
    _merchant,
    _utc,
)


def merchant_calls(licensee_id: str, customer: str | None = None, before: datetime | None = None) -> Iterator[str]:
    """The ids of a merchant's calls: all, those with one customer's number, or those started before an instant."""
    condition = CallsIndex.calls_sk < _utc(before) if before else None
    filters = CallItem.customer == customer if customer else None
    for item in PhoneItem.calls_index.query(licensee_id, condition, filter_condition=filters):
        if isinstance(item, CallItem):
            yield item.call_id


def call_content(licensee_id: str, call_id: str) -> CallRecord | None:
    found = PhoneStore().record(licensee_id, call_id)
    return found[0] if found else None


def erase_call(licensee_id: str, call_id: str) -> tuple[int, str | None]:
    """Delete a call's record, notes, callback task and events; returns the items deleted and the recording's
    key in kefu's bucket (for the caller to delete), if it has one."""
    record = call_content(licensee_id, call_id)
    items: list[PhoneItem] = list(PhoneItem.query(_events_pk(licensee_id, call_id), consistent_read=True))
    items += [PhoneItem(pk=_merchant(licensee_id), sk=f"{kind}#{call_id}") for kind in ("CALL", "NOTE", "TASK")]
    deleted = dynamodb.delete_all(PhoneItem, items)
    recording = record.recording if record and record.recording and not record.recording.startswith("https://") \
        else None
    return (deleted if record else 0), recording


def erase_held_events(licensee_id: str, number_digits: str) -> int:
    """Delete events kept back for a merchant that carry this number."""
    held = [i for i in PhoneItem.query(f"HELD#{licensee_id}", consistent_read=True)
            if isinstance(i, HeldItem) and number_digits in "".join(c for c in i.raw if c.isdigit())]
    return dynamodb.delete_all(PhoneItem, held)


def erase_merchant_rest(licensee_id: str) -> int:
    """After a merchant's calls are erased: its numbers and their routing, its Connect instance and webhook
    secrets, and every event held for it."""
    items: list[PhoneItem] = list(PhoneItem.query(_merchant(licensee_id), consistent_read=True))
    items += [PhoneItem(pk=f"NUMBER#{i.number}", sk="NUMBER") for i in items if isinstance(i, NumberItem)]
    items += [PhoneItem(pk=f"INSTANCE#{i.instance}", sk="INSTANCE") for i in items if isinstance(i, InstanceItem)]
    items += list(PhoneItem.query(f"HELD#{licensee_id}", consistent_read=True))
    return dynamodb.delete_all(PhoneItem, items)

