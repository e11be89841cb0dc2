"""`/v1/health` answers from a short cache: one data-plane read per window, however often it is polled."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from chalicelib.metrics import MemorySink
from chalicelib.operations.service import API_HEALTH_CACHE_SECONDS, OperationsService


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def service(reachable, clock: Clock, metrics: MemorySink) -> OperationsService:  # type: ignore[no-untyped-def]
    return OperationsService([], backups=None, probes=[], tz=ZoneInfo("Asia/Shanghai"),  # type: ignore[arg-type]
                             retention_days=35, metrics=metrics, reachable=reachable, monotonic=clock)


def test_health_is_probed_once_per_cache_window_however_often_it_is_asked() -> None:
    calls: list[int] = []
    clock, metrics = Clock(), MemorySink()
    operations = service(lambda: calls.append(1), clock, metrics)
    for _ in range(50):
        assert operations.api_health()["status"] == "ok"
    assert len(calls) == 1
    clock.now += API_HEALTH_CACHE_SECONDS + 0.1
    operations.api_health()
    assert len(calls) == 2
    assert metrics.total("HealthChecks", component="database", result="ok") == 2  # a metric per probe only


def test_an_unreachable_database_is_reported_and_counted_not_raised() -> None:
    def down() -> None:
        raise ConnectionError("no route")

    metrics = MemorySink()
    answer = service(down, Clock(), metrics).api_health()
    assert answer == {"status": "unavailable", "error": "ConnectionError"}
    assert metrics.total("HealthChecks", component="database", result="failed") == 1
