"""Maintenance use cases (clause 6.1): the nightly backup of every table and the health check.

Where backups go is the adapter's business (on-demand backups on AWS, dated files locally): bootstrap
chooses it, the service only says what to back up and when."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from chalicelib.adapters.backups import Backup, BackupStore, TableRef
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.core.cache import TtlCache
from chalicelib.core.errors import KefuError
from chalicelib.core.observability import logger
from chalicelib.metrics import BACKUPS, HEALTH_CHECKS, MetricsSink
from chalicelib.operations.model import BackupReport, HealthReport, expired

ACTOR = "system:operations"


@dataclass(frozen=True)
class Probe:
    """One dependency the health job checks: a name and a call that raises when it does not answer."""

    component: str
    check: Callable[[], Any]


@runtime_checkable
class Restorable(Protocol):
    def restore(self, day: str, tables: Sequence[TableRef]) -> dict[str, int]: ...

    def days(self) -> list[str]: ...


# How long `/v1/health` reuses its answer: a load balancer or uptime check polling it costs one read per
# instance per window, however often it asks.
API_HEALTH_CACHE_SECONDS = 10.0


class OperationsService:
    def __init__(self, tables: Sequence[TableRef], backups: BackupStore, probes: Sequence[Probe], tz: ZoneInfo,
                 retention_days: int, metrics: MetricsSink, reachable: Callable[[], Any] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.tables = tables
        self.backups = backups
        self.probes = probes
        self.tz = tz
        self.retention_days = retention_days
        self.metrics = metrics
        self.reachable = reachable
        self._api_health: TtlCache[dict[str, Any]] = TtlCache(API_HEALTH_CACHE_SECONDS, monotonic)
        self._monotonic = monotonic

    def api_health(self) -> dict[str, Any]:
        """What `/v1/health` answers: the database reachable on the data plane, from a short cache. The deep
        check of every table, the bucket and the mailer is the scheduled `health` job's (`health`)."""
        return self._api_health.get("database", self._database_health)

    def _database_health(self) -> dict[str, Any]:
        started = self._monotonic()
        try:
            if self.reachable is not None:
                self.reachable()
            database: dict[str, Any] = {"status": "ok", "latency_ms": round((self._monotonic() - started) * 1000, 1)}
        except Exception as exc:  # the health check reports the failure instead of failing itself
            logger.warning("database health check failed", extra={"error": type(exc).__name__})
            database = {"status": "unavailable", "error": type(exc).__name__}
        self.metrics.count(HEALTH_CHECKS, component="database", result="ok" if database["status"] == "ok" else "failed")
        return database

    def back_up(self, at: datetime) -> BackupReport:
        """Back up every table as of `at`, then delete the backups past the retention window. Each result
        is a metric and an audit entry; one table failing does not stop the others."""
        today = at.astimezone(self.tz).date()
        report = BackupReport(today.isoformat())
        made: list[tuple[TableRef, Backup | Exception]] = []
        for table in self.tables:  # every table first, so that no backup holds this run's own audit entries
            try:
                made.append((table, self.backups.create(table, report.day)))
            except Exception as exc:  # recorded, alarmed on, and the other tables still get theirs
                logger.exception("backup failed", extra={"table": table.name})
                made.append((table, exc))
        for table, result in made:
            if isinstance(result, Exception):
                report.failed[table.name] = type(result).__name__
                self._record(table, "backup.failed", at, {"error": type(result).__name__}, "failed")
                continue
            report.created.append(table.name)
            self._record(table, "backup.created", at, {"backup": result.backup_id}, "created")
            self._expire(table, today, at, report)
        logger.info("backups done", extra={"day": report.day, "tables_backed_up": len(report.created),
                                           "tables_failed": sorted(report.failed), "expired": len(report.deleted)})
        return report

    def _expire(self, table: TableRef, today: date, at: datetime, report: BackupReport) -> None:
        """Delete the table's backups past the window; only after today's backup of it succeeded."""
        try:
            for backup in expired(self.backups.existing(table), today, self.retention_days, self.tz):
                self.backups.delete(backup)
                report.deleted.append(backup.backup_id)
                self._record(table, "backup.expired", at, {"backup": backup.backup_id,
                                                           "created_at": backup.created_at.isoformat()}, "expired")
        except Exception as exc:
            logger.exception("deleting expired backups failed", extra={"table": table.name})
            report.failed[table.name] = type(exc).__name__
            self._record(table, "backup.failed", at, {"error": type(exc).__name__, "step": "expire"}, "failed")

    def backup_days(self) -> list[str]:
        if not isinstance(self.backups, Restorable):
            raise KefuError("This stage keeps its backups in DynamoDB; list them with the AWS console or CLI.",
                            code="RESTORE_NOT_AVAILABLE")
        return self.backups.days()

    def restore(self, day: str, at: datetime, actor: str) -> dict[str, int]:
        """Restore a local backup into an empty database. On AWS, a table is restored from its backup into
        a new table (docs/operations.md), which is not something a service should do on its own."""
        if not isinstance(self.backups, Restorable):
            raise KefuError("This stage keeps its backups in DynamoDB; restore with RestoreTableFromBackup "
                            "as docs/operations.md describes.", code="RESTORE_NOT_AVAILABLE")
        restored = self.backups.restore(day, self.tables)
        for table in self.tables:
            audit_store.append(AuditRecord(f"table:{table.name}", "backup.restored", actor, at,
                                           {"day": day, "items": restored.get(table.name, 0)}))
        return restored

    def health(self, at: datetime) -> HealthReport:
        """Ask every dependency once; each answer is a metric, a failure never raises."""
        components: dict[str, str] = {}
        for probe in self.probes:
            try:
                probe.check()
                components[probe.component] = "ok"
            except Exception as exc:  # the health check reports the failure instead of failing itself
                logger.warning("health check failed", extra={"component": probe.component,
                                                             "error": type(exc).__name__})
                components[probe.component] = type(exc).__name__
            self.metrics.count(HEALTH_CHECKS, component=probe.component,
                               result="ok" if components[probe.component] == "ok" else "failed")
        report = HealthReport(components)
        logger.info("health checked", extra={"at": at.isoformat(), "health": report.as_dict()})
        return report

    def _record(self, table: TableRef, action: str, at: datetime, details: dict[str, Any], result: str) -> None:
        self.metrics.count(BACKUPS, result=result)
        audit_store.append(AuditRecord(f"table:{table.name}", action, ACTOR, at, details))
