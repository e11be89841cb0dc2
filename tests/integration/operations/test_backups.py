"""The nightly backup in local mode, on DynamoDB Local: every table exported to dated files, restored item
for item into an empty database, results as metrics and audit entries, backups past the window deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.backups import Backup, TableRef
from chalicelib.adapters.dynamodb import connection, ensure_tables
from chalicelib.audit import store as audit_store
from chalicelib.billing.fees import FeeItem, FeeKind, Timing
from chalicelib.billing.items import BillingItem
from chalicelib.billing.model import AccountTerms
from chalicelib.billing.periods import Cadence
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import Conflict, KefuError, NotFound
from chalicelib.core.ids import new_id
from chalicelib.metrics import MemorySink
from chalicelib.operations.service import OperationsService, Probe
from chalicelib.settings import Settings
from tests.factories import Factory

NIGHT = datetime(2026, 6, 15, 18, 30, tzinfo=UTC)  # 02:30 on 16 June in Shanghai


def scan(table: str) -> list[dict[str, Any]]:
    items, kwargs = [], {"TableName": table, "ConsistentRead": True}
    while True:
        page = connection().client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=bytes.hex))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture
def local(settings: Settings, tables: None, tmp_path: Path, clock: FixedClock, metrics: MemorySink
          ) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(replace(settings, data_dir=tmp_path), clock, metrics)
    bootstrap.use(built)
    yield built
    bootstrap.use(None)


def test_backup_then_restore_into_an_empty_database_gives_back_every_item(
        local: bootstrap.Services, settings: Settings, tmp_path: Path) -> None:
    merchant = Factory(local).merchant()
    # an item stored before text was checked at the edge (an unpaired surrogate): backed up and restored as is
    local.chat.start(merchant.licensee_id, None, text="hi", name="bad \ud800 name", email="", client_id=None,
                     client_ip="", email_licensed=True)
    # a fee schedule: billing keeps it deflated, a binary attribute the export writes as base64
    local.billing.set_schedule(merchant.licensee_id, [FeeItem(
        "usage", FeeKind.USAGE, "系统使用费", Decimal("1200.00"), Cadence.MONTHLY, Timing.ADVANCE, date(2026, 1, 1))],
        AccountTerms(), "staff:test")
    assert any("fee_items_z" in i for i in scan(BillingItem.Meta.table_name))
    before = {model.__name__: scan(model.Meta.table_name) for model in local.tables}
    report = local.operations.back_up(NIGHT)
    assert report.ok and report.day == "2026-06-16"
    assert sorted(p.name for p in (tmp_path / "backups" / "2026-06-16").glob("*.jsonl")) == \
        sorted(f"{m.__name__}.jsonl" for m in local.tables)

    fresh = bootstrap.build(replace(Settings.from_env({**_renamed(settings)}), data_dir=tmp_path),
                            local.clock, MemorySink())
    try:
        ensure_tables(fresh.tables)
        restored = fresh.operations.restore("2026-06-16", local.clock.now(), "staff:test")
        after = {model.__name__: scan(model.Meta.table_name) for model in fresh.tables}
        assert restored == {m.Meta.table_name: len(before[m.__name__]) for m in fresh.tables}
        # The restore's own audit entries are the only items the restored audit table has beyond the backup,
        # with the heads of the chains they extend moved on.
        for model in fresh.tables:
            extra = [i for i in after[model.__name__] if i not in before[model.__name__]]
            assert all(i.get("action", {}).get("S") in ("backup.restored", "chain.head") for i in extra)
            moved = {i["subject"]["S"] for i in extra if i.get("action", {}).get("S") == "chain.head"}
            assert [i for i in after[model.__name__] if i not in extra] == [
                i for i in before[model.__name__]
                if not (i.get("entry", {}).get("S") == "~head" and i["subject"]["S"] in moved)]
    finally:
        for model in fresh.tables:
            model.delete_table()
        bootstrap.build(settings, local.clock, MemorySink())  # point the models back at the test tables


def _renamed(settings: Settings) -> dict[str, str]:
    from chalicelib.local.config import stage_environment

    suffix = new_id("r").lower()
    env = {**stage_environment("local"), "AWS_ENDPOINT_URL_DYNAMODB": settings.dynamodb_endpoint or "",
           "KEFU_STAGE": "test"}
    return {k: (f"kefu-test-{k.removeprefix('KEFU_TABLE_').lower()}-{suffix}" if k.startswith("KEFU_TABLE_")
                else v) for k, v in env.items()}


def test_restore_refuses_a_database_that_is_not_empty(local: bootstrap.Services) -> None:
    Factory(local).licensee()
    local.operations.back_up(NIGHT)
    with pytest.raises(Conflict) as refused:
        local.operations.restore("2026-06-16", NIGHT, "staff:test")
    assert refused.value.code == "RESTORE_TARGET_NOT_EMPTY"


def test_restore_of_a_day_without_backup_says_which_days_exist(local: bootstrap.Services) -> None:
    local.operations.back_up(NIGHT)
    with pytest.raises(NotFound, match="2026-06-16"):
        local.operations.restore("2026-01-01", NIGHT, "staff:test")


def test_each_backup_is_a_metric_and_an_audit_entry(local: bootstrap.Services, metrics: MemorySink) -> None:
    at = NIGHT + timedelta(seconds=int(new_id("s")[-4:], 36) % 1000)  # an instant no other test uses
    local.operations.back_up(at)
    assert metrics.total("Backups", result="created") == len(local.tables)
    for model in local.tables:
        entries = audit_store.history(f"table:{model.Meta.table_name}", since=at)
        assert [e.action for e in entries if e.at == at] == ["backup.created"]


def test_backups_past_the_retention_window_are_deleted_and_younger_ones_kept(
        local: bootstrap.Services, metrics: MemorySink, tmp_path: Path) -> None:
    window = local.settings.backup_retention_days
    old, young = NIGHT - timedelta(days=window), NIGHT - timedelta(days=window - 1)
    for instant in (old, young, NIGHT):
        local.operations.back_up(instant)
    days = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert days == sorted({young.astimezone(local.settings.timezone).date().isoformat(), "2026-06-16"})
    assert metrics.total("Backups", result="expired") == len(local.tables)


class Failing:
    """A backup store whose create fails for one table, as an AWS limit or a throttle would."""

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.created: list[str] = []

    def create(self, table: TableRef, name: str) -> Backup:
        if table.name == self.failing:
            raise RuntimeError("LimitExceededException")
        self.created.append(table.name)
        return Backup(f"arn:{table.name}/{name}", table.name, NIGHT)

    def existing(self, table: TableRef) -> list[Backup]:
        return []

    def delete(self, backup: Backup) -> None:
        raise AssertionError("nothing is old enough to delete")


def test_one_table_failing_does_not_stop_the_others_and_is_counted_as_failed(
        local: bootstrap.Services, metrics: MemorySink) -> None:
    tables = [TableRef(m.__name__, m.Meta.table_name) for m in local.tables]
    store = Failing(tables[0].name)
    service = OperationsService(tables, store, [], local.settings.timezone, 35, metrics)
    report = service.back_up(NIGHT)
    assert not report.ok and report.failed == {tables[0].name: "RuntimeError"}
    assert store.created == [t.name for t in tables[1:]]
    assert metrics.total("Backups", result="failed") == 1


def test_restore_is_refused_on_a_stage_whose_backups_live_in_dynamodb(local: bootstrap.Services) -> None:
    service = OperationsService([], Failing("x"), [], local.settings.timezone, 35, MemorySink())
    with pytest.raises(KefuError) as refused:
        service.restore("2026-06-16", NIGHT, "staff:test")
    assert refused.value.code == "RESTORE_NOT_AVAILABLE"


def test_health_checks_every_table_the_blob_store_and_the_mailer_and_reports_a_dependency_that_fails(
        local: bootstrap.Services, metrics: MemorySink) -> None:
    report = local.operations.health(NIGHT)
    assert report.ok and set(report.components) == {f"table:{m.Meta.table_name}" for m in local.tables} | {
        "blobs", "mailer"}
    assert metrics.total("HealthChecks", component="blobs", result="ok") == 1

    def bucket() -> None:
        raise ConnectionError("no route")

    service = OperationsService([], Failing("x"), [*local.operations.probes, Probe("bucket", bucket)],
                                local.settings.timezone, 35, metrics)
    degraded = service.health(NIGHT)
    assert not degraded.ok and degraded.components["bucket"] == "ConnectionError"
    assert metrics.total("HealthChecks", component="bucket", result="failed") == 1


def test_health_reports_a_blob_folder_and_an_outbox_that_cannot_be_written(
        settings: Settings, tables: None, tmp_path: Path, clock: FixedClock, metrics: MemorySink) -> None:
    (tmp_path / "blobs").write_text("a file where the blob folder should be")
    (tmp_path / "outbox").write_text("a file where the outbox should be")
    built = bootstrap.build(replace(settings, data_dir=tmp_path, mailer="outbox", blobs="folder"), clock, metrics)
    report = built.operations.health(NIGHT)
    assert not report.ok
    assert report.components["blobs"] == "FileExistsError" and report.components["mailer"] == "FileExistsError"
    assert all(v == "ok" for k, v in report.components.items() if k.startswith("table:"))
    assert metrics.total("HealthChecks", component="mailer", result="failed") == 1
