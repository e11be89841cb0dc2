"""On-demand DynamoDB backups on AWS (clause 6.1). Local mode swaps in `chalicelib.local.backups`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class TableRef:
    key: str    # stable across stages (the model's name): how a local backup file is named
    name: str   # the table's name in this stage


@dataclass(frozen=True)
class Backup:
    backup_id: str   # the backup's ARN on AWS; "<date>/<key>" locally
    table: str
    created_at: datetime


class BackupStore(Protocol):
    def create(self, table: TableRef, name: str) -> Backup: ...

    def existing(self, table: TableRef) -> list[Backup]: ...

    def delete(self, backup: Backup) -> None: ...


class DynamoDBBackups:
    """CreateBackup / ListBackups / DeleteBackup. The client is made once per process, on first use."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb", region_name=self.region)
        return self._client

    def create(self, table: TableRef, name: str) -> Backup:
        # Backup names allow [a-zA-Z0-9_.-]; the table name and an instant keep them unique and readable.
        details = self.client.create_backup(TableName=table.name, BackupName=f"{table.name}-{name}")["BackupDetails"]
        return Backup(details["BackupArn"], table.name, details["BackupCreationDateTime"])

    def existing(self, table: TableRef) -> list[Backup]:
        found: list[Backup] = []
        kwargs: dict[str, Any] = {"TableName": table.name, "BackupType": "USER"}
        while True:
            page = self.client.list_backups(**kwargs)
            found += [Backup(s["BackupArn"], s["TableName"], s["BackupCreationDateTime"])
                      for s in page.get("BackupSummaries", [])]
            if not page.get("LastEvaluatedBackupArn"):
                return found
            kwargs["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]

    def delete(self, backup: Backup) -> None:
        self.client.delete_backup(BackupArn=backup.backup_id)
