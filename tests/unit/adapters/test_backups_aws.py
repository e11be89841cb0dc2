"""The AWS backup adapter against moto's DynamoDB control plane (CreateBackup, ListBackups, DeleteBackup).
Only the backup calls are exercised here; item storage is always tested on DynamoDB Local."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.backups import DynamoDBBackups, TableRef

REGION = "ap-southeast-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="kefu-prod-audit", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "subject", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "subject", "KeyType": "HASH"}])
        yield


def test_a_backup_is_created_listed_and_deleted_by_its_arn(aws: None) -> None:
    backups = DynamoDBBackups(REGION)
    table = TableRef("AuditItem", "kefu-prod-audit")
    made = backups.create(table, "2026-06-16")
    assert made.table == "kefu-prod-audit" and made.backup_id.startswith("arn:aws:dynamodb:")
    assert made.created_at.tzinfo is not None
    listed = backups.existing(table)
    assert [b.backup_id for b in listed] == [made.backup_id]
    backups.delete(made)
    assert backups.existing(table) == []


def test_backups_are_named_after_the_table_and_the_day(aws: None) -> None:
    backups = DynamoDBBackups(REGION)
    backups.create(TableRef("AuditItem", "kefu-prod-audit"), "2026-06-16")
    summaries = backups.client.list_backups(TableName="kefu-prod-audit")["BackupSummaries"]
    assert [s["BackupName"] for s in summaries] == ["kefu-prod-audit-2026-06-16"]


def test_the_client_is_made_once_per_process(aws: None) -> None:
    backups = DynamoDBBackups(REGION)
    assert backups.client is backups.client
