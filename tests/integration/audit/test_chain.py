"""The evidence trail on DynamoDB Local (clause 9): chained as it is written, checked, and an edit made directly
in the table is found and named."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, date, datetime, timedelta

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import connection
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.audit.service import ROTATION, _turn
from chalicelib.audit.store import HEAD, AuditItem
from chalicelib.core.ids import new_id
from chalicelib.metrics import MemorySink
from tests.factories import Factory


def _entries(licensee_id: str) -> list[AuditItem]:
    return [i for i in AuditItem.query(f"licensee:{licensee_id}") if i.entry != HEAD]


def _verdict(services: bootstrap.Services, licensee_id: str) -> dict[str, object]:
    [verdict] = services.audit.verify(licensee_id)
    return verdict.as_dict()


def test_changes_recorded_with_their_writes_form_an_intact_chain(services: bootstrap.Services,
                                                                  factory: Factory) -> None:
    merchant = factory.merchant()
    services.licensing.suspend(merchant.licensee_id, "test", "staff:test")
    entries = sorted(_entries(merchant.licensee_id), key=lambda i: int(i.seq))
    assert [int(i.seq) for i in entries] == list(range(1, len(entries) + 1)) and len(entries) >= 5
    assert all(later.prev == earlier.chain_hash for earlier, later in itertools.pairwise(entries))
    head = AuditItem.get(f"licensee:{merchant.licensee_id}", HEAD)
    assert int(head.seq) == len(entries) and head.chain_hash == entries[-1].chain_hash
    assert _verdict(services, merchant.licensee_id) == {
        "subject": f"licensee:{merchant.licensee_id}", "entries": len(entries), "intact": True, "broken_at": None,
        "reason": "", "unchained": 0}


def test_an_entry_edited_in_the_table_breaks_the_chain_at_that_entry(services: bootstrap.Services,
                                                                      factory: Factory, metrics: MemorySink) -> None:
    merchant = factory.merchant()
    entries = sorted(_entries(merchant.licensee_id), key=lambda i: int(i.seq))
    victim = entries[1]
    connection().client.update_item(
        TableName=AuditItem.Meta.table_name, Key={"subject": {"S": victim.subject}, "entry": {"S": victim.entry}},
        UpdateExpression="SET actor = :a", ExpressionAttributeValues={":a": {"S": "staff:someone-else"}})
    verdict = _verdict(services, merchant.licensee_id)
    assert verdict["intact"] is False and verdict["broken_at"] == victim.entry and verdict["entries"] == 1
    assert "edited" in str(verdict["reason"])
    assert metrics.total("AuditBrokenChains", check="verify") == 1


def test_an_entry_deleted_from_the_middle_or_the_end_is_found(services: bootstrap.Services,
                                                               factory: Factory) -> None:
    middle, end = factory.merchant(), factory.merchant()
    for merchant, pick in ((middle, 1), (end, -1)):
        entries = sorted(_entries(merchant.licensee_id), key=lambda i: int(i.seq))
        connection().client.delete_item(TableName=AuditItem.Meta.table_name, Key={
            "subject": {"S": entries[pick].subject}, "entry": {"S": entries[pick].entry}})
    assert _verdict(services, middle.licensee_id)["broken_at"] == sorted(
        _entries(middle.licensee_id), key=lambda i: int(i.seq))[1].entry
    assert _verdict(services, end.licensee_id)["broken_at"] == "head"


def test_the_end_cut_off_with_its_head_rewound_is_found_by_the_locked_digest(services: bootstrap.Services,
                                                                             factory: Factory, today: date) -> None:
    merchant = factory.merchant()
    services.audit.digest(today - timedelta(days=1))  # yesterday's digest, as the nightly job wrote it
    entries = sorted(_entries(merchant.licensee_id), key=lambda i: int(i.seq))
    last, before = entries[-1], entries[-2]
    client, table = connection().client, AuditItem.Meta.table_name
    client.delete_item(TableName=table, Key={"subject": {"S": last.subject}, "entry": {"S": last.entry}})
    client.update_item(TableName=table, Key={"subject": {"S": last.subject}, "entry": {"S": HEAD}},
                       UpdateExpression="SET seq = :s, chain_hash = :h",
                       ExpressionAttributeValues={":s": {"N": str(before.seq)}, ":h": {"S": before.chain_hash}})
    verdict = _verdict(services, merchant.licensee_id)
    assert verdict["intact"] is False and verdict["broken_at"] == "digest"


def test_writers_of_one_chain_at_once_each_get_their_own_link(services: bootstrap.Services) -> None:
    subject = f"licensee:{new_id('lic')}"
    at = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for k in range(3):
                audit_store.append(AuditRecord(subject, "test.concurrent", f"worker:{n}", at, {"k": k}))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]  # a busy merchant's agents
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    [verdict] = services.audit.verify(subject.split(":", 1)[1])
    assert verdict.intact and verdict.entries == 12


def test_entries_from_before_the_chain_are_listed_apart_and_do_not_break_it(services: bootstrap.Services) -> None:
    licensee_id = new_id("lic")
    connection().client.put_item(TableName=AuditItem.Meta.table_name, Item={
        "subject": {"S": f"licensee:{licensee_id}"}, "entry": {"S": "2024-01-01T00:00:00+00:00#aud_old"},
        "action": {"S": "agreement.signed"}, "actor": {"S": "staff:old"},
        "at": {"S": "2024-01-01T00:00:00.000000+0000"}, "details": {"S": "{}"}})
    audit_store.append(AuditRecord(f"licensee:{licensee_id}", "key.revoked", "staff:new",
                                   datetime(2026, 6, 15, tzinfo=UTC)))
    verdict = _verdict(services, licensee_id)
    assert verdict["intact"] is True and verdict["entries"] == 1 and verdict["unchained"] == 1


def test_the_daily_digest_lists_every_head_once_and_is_never_rewritten(services: bootstrap.Services,
                                                                       factory: Factory, today: date,
                                                                       metrics: MemorySink) -> None:
    merchant = factory.merchant()
    day = today + timedelta(days=3)
    first = services.audit.digest(day)
    assert first["written"] is True and first["key"] == f"digests/{day.isoformat()}.json"
    services.licensing.suspend(merchant.licensee_id, "after the digest", "staff:test")
    assert services.audit.digest(day)["written"] is False
    assert metrics.total("AuditDigests", result="written") == 1


def test_the_daily_job_walks_the_chains_that_changed_and_in_turn_every_other(services: bootstrap.Services,
                                                                             factory: Factory,
                                                                             metrics: MemorySink) -> None:
    edited, busy = factory.merchant(), factory.merchant()
    day = date(2031, 3, 3)  # days of their own: digests of other tests' days do not interfere
    services.audit.digest(day)
    victim = sorted(_entries(edited.licensee_id), key=lambda i: int(i.seq))[1]
    connection().client.update_item(
        TableName=AuditItem.Meta.table_name, Key={"subject": {"S": victim.subject}, "entry": {"S": victim.entry}},
        UpdateExpression="SET actor = :a", ExpressionAttributeValues={":a": {"S": "staff:someone-else"}})
    services.licensing.suspend(busy.licensee_id, "a change after the digest", "staff:test")
    subject = f"licensee:{edited.licensee_id}"
    # the edited chain's head did not move: it is walked on its day of the rotation, within a week
    days = [day + timedelta(days=n) for n in range(1, ROTATION + 1)]
    results = {d: services.audit.digest(d) for d in days}
    found = [d for d, result in results.items() if subject in result["broken"]]
    assert len(found) == 1 and _turn(subject) == found[0].toordinal() % ROTATION
    assert f"licensee:{busy.licensee_id}" not in results[days[0]]["broken"]
    assert results[days[0]]["verified"] >= 1  # the busy merchant's chain, changed since the digest
    assert metrics.total("AuditBrokenChains", check="scheduled") >= 1
