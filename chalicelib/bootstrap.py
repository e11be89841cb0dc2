"""Builds settings, adapters and services once per process. app.py and the CLI both use it; tests call
`build` with their own clock and settings. No other module reaches out for its own clients."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from chalicelib.adapters import dynamodb
from chalicelib.audit.store import AuditItem
from chalicelib.core.clock import Clock, SystemClock
from chalicelib.licensing.service import LicensingService
from chalicelib.licensing.store import LicensingItem, LicensingStore
from chalicelib.metrics import MemorySink, MetricsSink
from chalicelib.operations.service import OperationsService, Probe
from chalicelib.settings import Settings


@dataclass
class Services:
    settings: Settings
    clock: Clock
    metrics: MetricsSink
    licensing: LicensingService

    @property
    def tables(self) -> tuple[type, ...]:
        return (LicensingItem, AuditItem)

    @cached_property
    def operations(self) -> OperationsService:
        """Backups and health of every table in `tables`, built on first use."""
        return _operations(self.settings, self.metrics, self.tables)


def build(settings: Settings | None = None, clock: Clock | None = None, metrics: MetricsSink | None = None) -> Services:
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    if metrics is None:
        if settings.metrics_enabled:
            from chalicelib.adapters.cloudwatch import EmfSink

            metrics = EmfSink()
        else:
            metrics = MemorySink()
    dynamodb.configure([(LicensingItem, settings.licensing_table), (AuditItem, settings.audit_table)], settings)
    licensing = LicensingService(LicensingStore(), clock, settings.timezone,
                                 expiring_window_days=settings.expiring_window_days,
                                 cache_ttl_seconds=settings.license_cache_ttl_seconds, metrics=metrics)
    return Services(settings=settings, clock=clock, metrics=metrics, licensing=licensing)


def _operations(settings: Settings, metrics: MetricsSink, models: tuple[Any, ...]) -> OperationsService:
    """Backups and health. DynamoDB Local has no backups: there the adapter exports to dated files."""
    from chalicelib.adapters.backups import BackupStore, TableRef

    tables = [TableRef(m.__name__, m.Meta.table_name) for m in models]
    backups: BackupStore
    if settings.dynamodb_endpoint:
        from chalicelib.local.backups import FileBackups

        backups = FileBackups(settings.data_dir / "backups", lambda: dynamodb.connection().client)
    else:
        from chalicelib.adapters.backups import DynamoDBBackups

        backups = DynamoDBBackups(settings.region)
    # Each area adds probes for what it depends on (the mail bucket, the mailer) here.
    probes = [Probe(f"table:{m.Meta.table_name}", partial(dynamodb.ping, m)) for m in models]
    return OperationsService(tables, backups, probes, settings.timezone, settings.backup_retention_days, metrics)


_current: Services | None = None


def services() -> Services:
    """The process's services, built on first use (not at import: cold start stays small)."""
    global _current
    if _current is None:
        _current = build()
    return _current


def use(built: Services | None) -> None:
    """Replace the process's services (tests, the local runner)."""
    global _current
    _current = built
