"""Backups in local mode. DynamoDB Local has no backup operations, so the nightly job exports every table
to `<data dir>/backups/<date>/<table key>.jsonl` (items in DynamoDB's typed JSON, as Scan returns them, binary
values in base64 as DynamoDB's own exports write them, so a restore writes back exactly what was read) and
`./kefu backups restore DATE` writes them back."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.adapters.backups import Backup, TableRef
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.text import encodable

MANIFEST = "manifest.json"


class FileBackups:
    def __init__(self, root: Path, client: Callable[[], Any]) -> None:
        self.root = root
        self._client = client  # the DynamoDB client of the process, asked for when needed

    def create(self, table: TableRef, name: str) -> Backup:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{table.key}.jsonl"
        partial = target.with_suffix(".partial")
        count = 0
        with partial.open("w", encoding="utf-8") as out:
            for item in self._scan(table.name):
                item = {name: _exported(value) for name, value in item.items()}
                line = json.dumps(item, ensure_ascii=False, sort_keys=True)
                if encodable(line) != line:  # an item stored before text was checked: escaped, kept exactly
                    line = json.dumps(item, sort_keys=True)
                out.write(line + "\n")
                count += 1
        partial.replace(target)  # a crash mid-export never leaves a file that looks complete
        if not _is_day(name):
            raise ValueError(f"local backups are named by day (YYYY-MM-DD), not {name!r}")
        created_at = _day_start(name)
        manifest = self._manifest(folder)
        manifest["tables"][table.key] = {"table": table.name, "items": count}
        manifest.setdefault("created_at", created_at.isoformat())
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return Backup(f"{name}/{table.key}", table.name, created_at)

    def existing(self, table: TableRef) -> list[Backup]:
        found = []
        for folder in sorted(p for p in self.root.glob("*") if p.is_dir() and _is_day(p.name)):
            if (folder / f"{table.key}.jsonl").exists():
                found.append(Backup(f"{folder.name}/{table.key}", table.name, _day_start(folder.name)))
        return found

    def delete(self, backup: Backup) -> None:
        day, key = backup.backup_id.split("/", 1)
        folder = self.root / day
        (folder / f"{key}.jsonl").unlink(missing_ok=True)
        if not any(folder.glob("*.jsonl")):
            shutil.rmtree(folder, ignore_errors=True)

    def days(self) -> list[str]:
        return sorted(p.name for p in self.root.glob("*") if p.is_dir() and _is_day(p.name))

    def restore(self, day: str, tables: Iterable[TableRef]) -> dict[str, int]:
        """Write a day's export back into the given tables, which must exist and be empty."""
        folder = self.root / day
        if not folder.is_dir():
            raise NotFound(f"No local backup for {day}; have: {', '.join(self.days()) or 'none'}.",
                           code="BACKUP_NOT_FOUND")
        wanted = [(t, folder / f"{t.key}.jsonl") for t in tables]
        for table, _ in wanted:
            if self._client().scan(TableName=table.name, Limit=1, Select="COUNT")["Count"]:
                raise Conflict(f"Table {table.name} is not empty; restore only into an empty database.",
                               code="RESTORE_TARGET_NOT_EMPTY")
        restored: dict[str, int] = {}
        for table, path in wanted:
            if not path.exists():
                continue
            with path.open(encoding="utf-8") as lines:
                restored[table.name] = self._write(table.name, (
                    {name: _imported(value) for name, value in json.loads(line).items()}
                    for line in lines if line.strip()))
        return restored

    def _scan(self, table: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
        while True:
            page = self._client().scan(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _write(self, table: str, items: Iterable[dict[str, Any]]) -> int:
        count, batch = 0, []
        for item in items:
            batch.append({"PutRequest": {"Item": item}})
            count += 1
            if len(batch) == 25:  # BatchWriteItem's limit
                self._flush(table, batch)
                batch = []
        if batch:
            self._flush(table, batch)
        return count

    def _flush(self, table: str, batch: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {table: batch}
        while pending:
            pending = self._client().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def _manifest(self, folder: Path) -> dict[str, Any]:
        path = folder / MANIFEST
        return json.loads(path.read_text()) if path.exists() else {"tables": {}}


def _is_day(name: str) -> bool:
    try:
        datetime.strptime(name, "%Y-%m-%d")  # noqa: DTZ007 - a folder name, not an instant
    except ValueError:
        return False
    return True


def _day_start(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _exported(value: dict[str, Any]) -> dict[str, Any]:
    """A typed value as JSON can hold it: binaries (a deflated document) in base64, inside lists and maps too."""
    (kind, data), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(data).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in data]}
    if kind == "L":
        return {"L": [_exported(v) for v in data]}
    if kind == "M":
        return {"M": {k: _exported(v) for k, v in data.items()}}
    return value


def _imported(value: dict[str, Any]) -> dict[str, Any]:
    (kind, data), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(data)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in data]}
    if kind == "L":
        return {"L": [_imported(v) for v in data]}
    if kind == "M":
        return {"M": {k: _imported(v) for k, v in data.items()}}
    return value
