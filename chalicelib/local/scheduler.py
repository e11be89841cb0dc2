"""The local scheduler of `make run`: fires every job of `chalicelib.schedules.JOBS` on its EventBridge
Scheduler expression, in the job's time zone, by calling the same Lambda function of app.py with the same
event shape (`{"time": ISO-8601}`) that EventBridge would send.

Expressions as EventBridge Scheduler reads them:
* `cron(minutes hours day-of-month month day-of-week year)`: `*`, lists `a,b`, ranges `a-b`, steps `a/n` or
  `*/n`; `?` in day-of-month or day-of-week (one of the two must be `?`); in day-of-month `L` (last day),
  `nW` (nearest weekday) and `LW`; in day-of-week `SUN-SAT` or 1-7 (1 is Sunday), `nL` (last such day of the
  month) and `n#k` (k-th such day); months `JAN-DEC` or 1-12.
* `rate(N minute|minutes|hour|hours|day|days)`: every N units from when the scheduler starts.

The parsing and the next fire time are pure functions (tested on month ends and leap years); the runner
is a thread that sleeps until the earliest next fire time.
"""

from __future__ import annotations

import calendar
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.schedules import Job

_MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_HORIZON_DAYS = 366 * 8  # far enough for `29 FEB` and year lists; a schedule that never fires is an error


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: str
    months: frozenset[int]
    days_of_week: str
    years: frozenset[int] | None

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        if self.days_of_month != "?":
            return _day_of_month_matches(self.days_of_month, day)
        return _day_of_week_matches(self.days_of_week, day)


@dataclass(frozen=True)
class Rate:
    every: timedelta


def parse(expression: str) -> Cron | Rate:
    """Parse an EventBridge Scheduler expression, refusing what EventBridge refuses."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        n, unit = int(rate.group(1)), rate.group(2)
        if n < 1:
            raise ScheduleError(f"{expression}: a rate must be at least 1")
        if (n == 1 and unit.endswith("s")) or (n > 1 and not unit.endswith("s")):
            raise ScheduleError(f"{expression}: say `1 {unit.rstrip('s')}` or `{n} {unit.rstrip('s')}s`")
        seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
        return Rate(timedelta(seconds=n * seconds))
    cron = _CRON.match(text)
    if not cron:
        raise ScheduleError(f"{expression}: not a cron(...) or rate(...) expression")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ScheduleError(f"{expression}: cron takes six fields (minutes hours day-of-month month day-of-week "
                            "year)")
    minute, hour, dom, month, dow, year = (f.upper() for f in fields)
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(f"{expression}: exactly one of day-of-month and day-of-week must be `?`")
    result = Cron(
        minutes=_values(minute, 0, 59), hours=_values(hour, 0, 23), days_of_month=dom,
        months=_values(month, 1, 12, _MONTHS), days_of_week=dow,
        years=None if year == "*" else _values(year, 1970, 2199))
    if dom != "?":
        _check_day_of_month(dom, expression)
    else:
        _check_day_of_week(dow, expression)
    return result


def next_fire(expression: str, after: datetime, tz: ZoneInfo, *, started: datetime | None = None) -> datetime:
    """The first instant strictly after ``after`` at which the expression fires (timezone-aware, UTC)."""
    schedule = parse(expression)
    if isinstance(schedule, Rate):
        origin = started or after
        if after < origin:
            return origin.astimezone(UTC)
        steps = (after - origin) // schedule.every + 1
        return (origin + steps * schedule.every).astimezone(UTC)
    local_after = after.astimezone(tz)
    day = local_after.date()
    times = sorted((h, m) for h in schedule.hours for m in schedule.minutes)
    for _ in range(_HORIZON_DAYS):
        if schedule.matches_day(day):
            for hour, minute in times:
                candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
                if candidate > local_after:
                    return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise ScheduleError(f"{expression} does not fire within {_HORIZON_DAYS // 366} years of {after.isoformat()}")


def first_fire_on(expression: str, day: date, tz: ZoneInfo) -> datetime:
    """The job's instant for a given local date: its first fire time that day, else the day's start
    (what `./kefu jobs run NAME --date D` sends as the event's time)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    schedule = parse(expression)
    if isinstance(schedule, Cron):
        fire = next_fire(expression, start - timedelta(microseconds=1), tz)
        if fire.astimezone(tz).date() == day:
            return fire
    return start.astimezone(UTC)


# --- fields --------------------------------------------------------------------------------------------


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise ScheduleError(f"{text!r} is not a number" + (f" or one of {', '.join(names)}" if names else ""))
    return int(text)


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _number(step_text, None)
            if step < 1:
                raise ScheduleError(f"a step must be at least 1, not {step}")
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleError(f"{part} is outside {low}-{high}")
        if end >= start:
            values.update(range(start, end + 1, step))
        else:  # a range that wraps, such as FRI-MON or NOV-FEB
            values.update(v for i, v in enumerate([*range(start, high + 1), *range(low, end + 1)]) if i % step == 0)
    return frozenset(values)


def _check_day_of_month(field: str, expression: str) -> None:
    if field in ("L", "LW") or re.fullmatch(r"\d{1,2}W", field):
        return
    _values(field, 1, 31)


def _check_day_of_week(field: str, expression: str) -> None:
    if re.fullmatch(r"(\d|[A-Z]{3})L", field) or re.fullmatch(r"(\d|[A-Z]{3})#[1-5]", field):
        _number(field[:-1] if field.endswith("L") else field.split("#")[0], _DAYS)
        return
    _values(field, 1, 7, _DAYS)


def _last_day(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _nearest_weekday(day: date, target: int) -> int:
    """`nW`: the weekday nearest to day n of the month, never crossing into another month."""
    last = _last_day(day)
    target = min(target, last)
    weekday = date(day.year, day.month, target).weekday()  # Monday 0 .. Sunday 6
    if weekday == 5:
        return target - 1 if target > 1 else target + 2
    if weekday == 6:
        return target + 1 if target < last else target - 2
    return target


def _day_of_month_matches(field: str, day: date) -> bool:
    if field == "*":
        return True
    if field == "L":
        return day.day == _last_day(day)
    if field == "LW":
        return day.day == _nearest_weekday(day, _last_day(day))
    if field.endswith("W"):
        return day.day == _nearest_weekday(day, int(field[:-1]))
    return day.day in _values(field, 1, 31)


def _cron_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # EventBridge: 1 is Sunday, 7 is Saturday


def _day_of_week_matches(field: str, day: date) -> bool:
    if field == "*":
        return True
    if field.endswith("L"):
        wanted = _number(field[:-1], _DAYS)
        return _cron_weekday(day) == wanted and day.day + 7 > _last_day(day)
    if "#" in field:
        name, nth = field.split("#")
        return _cron_weekday(day) == _number(name, _DAYS) and (day.day - 1) // 7 + 1 == int(nth)
    return _cron_weekday(day) in _values(field, 1, 7, _DAYS)


# --- the runner ----------------------------------------------------------------------------------------

Invoke = Callable[[Job, dict[str, Any]], Any]


def lambda_functions() -> dict[str, Callable[[dict[str, Any], Any], Any]]:
    """app.py's Lambda functions by name: what EventBridge would invoke, i.e. the handler Lambda loads by its
    handler string (`app.billing_run`), wrapped in the app's middleware, not the bare function."""
    import app as module

    return {function.name: getattr(module, function.handler_string.split(".", 1)[1])
            for function in module.app.pure_lambda_functions}


def invoke(job: Job, event: dict[str, Any]) -> Any:
    functions = lambda_functions()
    if job.name not in functions:
        raise KeyError(f"Job {job.name} has no @app.lambda_function(name={job.name!r}) in app.py")
    from chalicelib.core.observability import LocalContext

    return functions[job.name](event, LocalContext(job.name))


class Scheduler:
    """Fires each job at its next fire time; one thread, one job at a time, as a small machine can take."""

    def __init__(self, jobs: tuple[Job, ...], now: Callable[[], datetime], run: Invoke = invoke,
                 on_fired: Callable[[Job, datetime, Any], None] | None = None) -> None:
        self.jobs = jobs
        self.now = now
        self.run = run
        self.on_fired = on_fired
        self.started = now()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.next_times = {job.name: next_fire(job.expression, self.started, ZoneInfo(job.timezone),
                                               started=self.started) for job in jobs}

    def due(self, now: datetime) -> list[Job]:
        return [job for job in self.jobs if self.next_times[job.name] <= now]

    def tick(self) -> list[Job]:
        """Fire every job whose time has come, then move each on to its next time."""
        now = self.now()
        fired = self.due(now)
        for job in fired:
            fire_time = self.next_times[job.name]
            try:
                result = self.run(job, {"time": fire_time.isoformat()})
            except Exception as exc:  # a failing job must not stop the others; EventBridge would retry it
                result = {"error": type(exc).__name__}
            if self.on_fired:
                self.on_fired(job, fire_time, result)
            self.next_times[job.name] = next_fire(job.expression, max(now, fire_time), ZoneInfo(job.timezone),
                                                  started=self.started)
        return fired

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            upcoming = min(self.next_times.values(), default=None)
            wait = 60.0 if upcoming is None else (upcoming - self.now()).total_seconds()
            self._stop.wait(min(max(wait, 0.5), 60.0))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def start_scheduler(built: Any, args: Any, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    """The EXTRAS entry of `make run`: every job of the catalogue on its schedule, against the local stage."""
    from chalicelib.schedules import JOBS

    def fired(job: Job, at: datetime, result: Any) -> None:
        summary = result if not isinstance(result, dict) else {k: (len(v) if isinstance(v, list) else v)
                                                               for k, v in result.items()}
        print(f"kefu scheduler: {job.name} for {at.isoformat()} -> {summary}", flush=True)

    scheduler = Scheduler(JOBS, built.clock.now, on_fired=fired).start()
    soonest = min(scheduler.next_times.items(), key=lambda item: item[1], default=None)
    line = (f"scheduler      {len(JOBS)} jobs" + (f"; next {soonest[0]} at {soonest[1].isoformat()}" if soonest else "")
            + "  (./kefu jobs list)")
    return line, scheduler.stop
