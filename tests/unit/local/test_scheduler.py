"""The local scheduler reads EventBridge Scheduler expressions as EventBridge does, in the job's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.local.scheduler import ScheduleError, Scheduler, first_fire_on, next_fire, parse
from chalicelib.schedules import JOBS, Job, event_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_a_daily_job_just_after_midnight_in_shanghai_fires_at_16_05_utc_the_day_before() -> None:
    fire = next_fire("cron(5 0 * * ? *)", local(2026, 6, 15, 12, 0), SHANGHAI)
    assert fire == datetime(2026, 6, 15, 16, 5, tzinfo=UTC) == local(2026, 6, 16, 0, 5)


def test_next_fire_is_strictly_after_the_given_instant() -> None:
    assert next_fire("cron(5 0 * * ? *)", local(2026, 6, 16, 0, 5), SHANGHAI) == local(2026, 6, 17, 0, 5)


@pytest.mark.parametrize(("after", "expected"), [
    (local(2028, 2, 1), local(2028, 2, 29, 0, 0)),   # leap year
    (local(2027, 2, 1), local(2027, 2, 28, 0, 0)),
    (local(2026, 4, 30, 0, 1), local(2026, 5, 31, 0, 0)),
])
def test_L_is_the_last_day_of_each_month(after: datetime, expected: datetime) -> None:
    assert next_fire("cron(0 0 L * ? *)", after, SHANGHAI) == expected


def test_day_31_skips_months_that_have_no_31st() -> None:
    assert next_fire("cron(0 9 31 * ? *)", local(2026, 3, 31, 10), SHANGHAI) == local(2026, 5, 31, 9)


def test_29_february_waits_for_a_leap_year() -> None:
    assert next_fire("cron(0 0 29 2 ? *)", local(2026, 3, 1), SHANGHAI) == local(2028, 2, 29)


def test_day_of_week_lists_ranges_names_last_and_nth() -> None:
    # 2026-06-15 is a Monday.
    assert next_fire("cron(0 9 ? * MON-FRI *)", local(2026, 6, 19, 10), SHANGHAI) == local(2026, 6, 22, 9)
    assert next_fire("cron(0 9 ? * 1,7 *)", local(2026, 6, 15), SHANGHAI) == local(2026, 6, 20, 9)  # Sat
    assert next_fire("cron(0 18 ? * 6L *)", local(2026, 6, 1), SHANGHAI) == local(2026, 6, 26, 18)  # last Fri
    assert next_fire("cron(0 10 ? * 2#1 *)", local(2026, 6, 2), SHANGHAI) == local(2026, 7, 6, 10)  # 1st Mon


def test_lists_ranges_and_steps_of_minutes_and_hours() -> None:
    assert next_fire("cron(0/15 8-9 * * ? *)", local(2026, 6, 15, 8, 50), SHANGHAI) == local(2026, 6, 15, 9, 0)
    assert next_fire("cron(10,40 */6 * * ? *)", local(2026, 6, 15, 6, 11), SHANGHAI) == local(2026, 6, 15, 6, 40)


def test_nearest_weekday_and_years() -> None:
    # 2026-08-15 is a Saturday: 15W is Friday 14th; 2026-11-01 is a Sunday: 1W is Monday 2nd.
    assert next_fire("cron(0 0 15W * ? *)", local(2026, 8, 1), SHANGHAI) == local(2026, 8, 14)
    assert next_fire("cron(0 0 1W * ? *)", local(2026, 10, 31), SHANGHAI) == local(2026, 11, 2)
    assert next_fire("cron(0 0 1 JAN ? 2030)", local(2026, 6, 1), SHANGHAI) == local(2030, 1, 1)


def test_rates_count_from_when_the_scheduler_started() -> None:
    started = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
    assert next_fire("rate(5 minutes)", datetime(2026, 6, 15, 4, 7, tzinfo=UTC), SHANGHAI, started=started) \
        == datetime(2026, 6, 15, 4, 10, tzinfo=UTC)
    assert next_fire("rate(1 day)", started, SHANGHAI, started=started) == datetime(2026, 6, 16, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize("expression", [
    "cron(5 0 * * * *)", "cron(5 0 ? * ? *)", "cron(5 0 * *)", "cron(61 0 * * ? *)", "rate(1 minutes)",
    "rate(0 hours)", "rate(5 weeks)", "every day", "cron(0 0 32 * ? *)", "cron(0 0 ? * FUNDAY *)",
])
def test_expressions_eventbridge_refuses_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse(expression)


def test_every_job_in_the_catalogue_parses_and_has_a_lambda_function_in_app() -> None:
    from chalicelib.local.scheduler import lambda_functions

    functions = lambda_functions()
    for job in JOBS:
        parse(job.expression)
        assert job.name in functions


def test_a_job_run_for_a_date_stands_for_its_fire_time_that_day() -> None:
    assert first_fire_on("cron(5 0 * * ? *)", date(2026, 7, 1), SHANGHAI) == local(2026, 7, 1, 0, 5)
    assert first_fire_on("rate(1 hour)", date(2026, 7, 1), SHANGHAI) == local(2026, 7, 1)


def test_the_event_time_is_read_as_eventbridge_sends_it() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert event_time({"time": "2026-06-30T16:05:00Z"}, now) == datetime(2026, 6, 30, 16, 5, tzinfo=UTC)
    assert event_time({}, now) == now


def test_the_scheduler_fires_due_jobs_with_the_fire_time_and_moves_them_on() -> None:
    clock = {"now": local(2026, 6, 15, 23, 0)}
    fired: list[tuple[str, dict]] = []  # type: ignore[type-arg]
    jobs = (Job("a", "cron(5 0 * * ? *)", "a"), Job("b", "cron(0 12 * * ? *)", "b"))
    scheduler = Scheduler(jobs, lambda: clock["now"], run=lambda job, event: fired.append((job.name, event)))
    assert scheduler.tick() == []
    clock["now"] = local(2026, 6, 16, 0, 6)
    assert [j.name for j in scheduler.tick()] == ["a"]
    assert fired == [("a", {"time": local(2026, 6, 16, 0, 5).astimezone(UTC).isoformat()})]
    assert scheduler.next_times["a"] == local(2026, 6, 17, 0, 5)
