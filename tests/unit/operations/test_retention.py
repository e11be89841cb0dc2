"""Which backups the nightly job deletes (clause 6.1): a window of N days keeps today's and the N-1 before."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.backups import Backup
from chalicelib.operations.model import expired
from chalicelib.schedules import JOBS, event_time, job

SHANGHAI = ZoneInfo("Asia/Shanghai")


def made_at(instant: datetime) -> Backup:
    return Backup(f"arn:{instant.isoformat()}", "kefu-prod-audit", instant)


@pytest.mark.parametrize(("made", "deleted"), [
    (datetime(2026, 5, 17, 18, 30, tzinfo=UTC), False),  # 02:30 on 18 May in Shanghai: the window's first day
    (datetime(2026, 5, 17, 15, 59, tzinfo=UTC), True),   # 23:59 on 17 May in Shanghai: one day too old
    (datetime(2026, 6, 15, 18, 30, tzinfo=UTC), False),  # today's
])
def test_a_backup_is_kept_for_the_retention_window_counted_in_shanghai_days(made: datetime, deleted: bool) -> None:
    backup = made_at(made)
    assert (backup in expired([backup], date(2026, 6, 16), 30, SHANGHAI)) is deleted


def test_a_one_day_window_keeps_only_todays_backup() -> None:
    today, yesterday = made_at(datetime(2026, 6, 16, 2, tzinfo=UTC)), made_at(datetime(2026, 6, 15, 2, tzinfo=UTC))
    assert expired([today, yesterday], date(2026, 6, 16), 1, SHANGHAI) == [yesterday]


def test_a_scheduled_event_stands_for_the_instant_it_names() -> None:
    fallback = datetime(2000, 1, 1, tzinfo=UTC)
    assert event_time({"time": "2026-06-15T18:30:00Z"}, fallback) == datetime(2026, 6, 15, 18, 30, tzinfo=UTC)
    assert event_time({}, fallback) == fallback


def test_backups_and_health_are_scheduled_jobs_in_shanghai_time() -> None:
    assert job("backups").timezone == job("health").timezone == "Asia/Shanghai"
    assert len({j.name for j in JOBS}) == len(JOBS)
