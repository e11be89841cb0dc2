"""Maintenance rules (clause 6.1), pure: which backups have outlived the retention window, what a run did."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from chalicelib.adapters.backups import Backup


def expired(backups: Iterable[Backup], today: date, retention_days: int, tz: ZoneInfo) -> list[Backup]:
    """Backups made before the first day of the window. A window of N days keeps today's and N-1 before."""
    first_kept = today - timedelta(days=retention_days - 1)
    return [b for b in backups if b.created_at.astimezone(tz).date() < first_kept]


@dataclass
class BackupReport:
    day: str
    created: list[str] = field(default_factory=list)   # table names
    failed: dict[str, str] = field(default_factory=dict)  # table name -> error type
    deleted: list[str] = field(default_factory=list)   # backup ids

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, object]:
        return {"day": self.day, "ok": self.ok, "created": self.created, "failed": self.failed,
                "deleted": self.deleted}


@dataclass
class HealthReport:
    components: dict[str, str]  # component -> "ok" | error type

    @property
    def ok(self) -> bool:
        return all(v == "ok" for v in self.components.values())

    def as_dict(self) -> dict[str, object]:
        return {"status": "ok" if self.ok else "degraded", "components": self.components}
