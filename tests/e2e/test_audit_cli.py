"""`./kefu audit verify` and the nightly digest through the command line, as staff run them (clause 9)."""

from __future__ import annotations

import json

from chalicelib.adapters.dynamodb import connection
from chalicelib.audit.store import HEAD, AuditItem


def test_staff_verify_a_licensees_chain_and_see_the_first_broken_link(kefu) -> None:  # type: ignore[no-untyped-def]
    licensee_id = json.loads(kefu("licensees", "create", "--full-name", "Audit Shop Co., Ltd.", "--short-name",
                                  "Audit Shop", "--address", "1 Road", "--contact", "Li Si", "--phone",
                                  "+86 21 1111 2222", "--json"))["licensee_id"]
    ok = kefu("audit", "verify", licensee_id)
    assert f"ok      licensee:{licensee_id}: 1 entries chained" in ok
    [entry] = [i for i in AuditItem.query(f"licensee:{licensee_id}") if i.entry != HEAD]
    connection().client.update_item(
        TableName=AuditItem.Meta.table_name, Key={"subject": {"S": entry.subject}, "entry": {"S": entry.entry}},
        UpdateExpression="SET details = :d", ExpressionAttributeValues={":d": {"S": '{"short_name": "Other"}'}})
    broken = kefu("audit", "verify", licensee_id, expect=1)
    assert f"BROKEN  licensee:{licensee_id}: first broken link at {entry.entry}" in broken
    assert "1 chains checked, 1 broken" in broken


def test_the_digest_job_runs_for_a_date(kefu) -> None:  # type: ignore[no-untyped-def]
    first = json.loads(kefu("jobs", "run", "audit-digest", "--date", "2026-05-01", "--json"))
    again = json.loads(kefu("audit", "digest", "--date", "2026-05-01", "--json"))
    assert first["key"] == again["key"] == "digests/2026-05-01.json"
    assert again["written"] is False


def test_staff_announce_a_maintenance_window_once_to_the_licensees_it_touches(kefu, services) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import Factory

    merchant = Factory(services).merchant()
    args = ("maintenance", "announce", "--starts", "2026-06-20T22:00+08:00", "--ends", "2026-06-20T23:30+08:00",
            "--description", "数据库升级 / database upgrade", "--licensee", merchant.licensee_id, "--json")
    first, again = json.loads(kefu(*args)), json.loads(kefu(*args))
    assert first["notified"] == [merchant.licensee_id] and again["already_notified"] == [merchant.licensee_id]
    listed = json.loads(kefu("notices", "list", merchant.licensee_id, "--json"))
    assert [(n["kind"], n["delivery"]) for n in listed] == [("maintenance", "sent")]
    assert listed[0]["recipient"] == "notices@shop.example" and "系统维护通知" in listed[0]["subject"]
    assert "error INVALID_WINDOW" in kefu("maintenance", "announce", "--starts", "2026-06-20T22:00+08:00", "--ends",
                                          "2026-06-20T21:00+08:00", "--description", "x", expect=2)
