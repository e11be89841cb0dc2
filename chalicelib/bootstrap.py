"""Builds settings, adapters and services once per process. app.py and the CLI both use it; tests call
`build` with their own clock and settings. No other module reaches out for its own clients."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.adapters import dynamodb
from chalicelib.audit.store import AuditItem
from chalicelib.chat.service import ChatService
from chalicelib.chat.store import ChatItem, ChatStore
from chalicelib.core.clock import Clock, SystemClock
from chalicelib.licensing.service import LicensingService
from chalicelib.licensing.store import LicensingItem, LicensingStore
from chalicelib.metrics import MemorySink, MetricsSink
from chalicelib.settings import Settings


@dataclass
class Services:
    settings: Settings
    clock: Clock
    metrics: MetricsSink
    licensing: LicensingService
    chat: ChatService

    @property
    def tables(self) -> tuple[type, ...]:
        return (LicensingItem, AuditItem, ChatItem)


def build(settings: Settings | None = None, clock: Clock | None = None, metrics: MetricsSink | None = None) -> Services:
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    if metrics is None:
        if settings.metrics_enabled:
            from chalicelib.adapters.cloudwatch import EmfSink

            metrics = EmfSink()
        else:
            metrics = MemorySink()
    dynamodb.configure([(LicensingItem, settings.licensing_table), (AuditItem, settings.audit_table),
                        (ChatItem, settings.chat_table)], settings)
    licensing = LicensingService(LicensingStore(), clock, settings.timezone,
                                 expiring_window_days=settings.expiring_window_days,
                                 cache_ttl_seconds=settings.license_cache_ttl_seconds, metrics=metrics)
    chat = ChatService(ChatStore(), clock, licensing, settings, metrics)
    return Services(settings=settings, clock=clock, metrics=metrics, licensing=licensing, chat=chat)


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
