"""`./kefu jobs`: the catalogue of scheduled jobs, and any job run on demand for any date (time travel).

A job runs exactly as EventBridge would run it: app.py's Lambda function of the job's name, called with
`{"time": <the job's fire time that day>}`, in this process, against the chosen stage."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import click

from chalicelib.core.cli import Context, json_option, out, parse_day, pass_ctx


@click.group()
def jobs() -> None:
    """Scheduled jobs: list them, run one for a date."""


@jobs.command("list")
@json_option
@pass_ctx
def jobs_list(ctx: Context, as_json: bool) -> None:
    """Every scheduled job with its expression and its next fire time."""
    from chalicelib.local.scheduler import next_fire
    from chalicelib.schedules import JOBS

    now = ctx.services.clock.now()
    rows = [{"name": j.name, "expression": j.expression, "timezone": j.timezone, "description": j.description,
             "next": next_fire(j.expression, now, ZoneInfo(j.timezone)).astimezone(ZoneInfo(j.timezone)).isoformat()}
            for j in JOBS]
    out(rows, as_json, lambda rs: "\n".join(f"{r['name']:<16} {r['expression']:<26} next {r['next']}  "
                                            f"{r['description']}" for r in rs) or "no jobs")


@jobs.command("run")
@click.argument("name")
@click.option("--date", "day", callback=parse_day, help="Run as of this date, YYYY-MM-DD (default: now).")
@click.option("--dry-run", is_flag=True, help="Ask the job to show what it would do (jobs that support it).")
@json_option
@pass_ctx
def jobs_run(ctx: Context, name: str, day: date | None, dry_run: bool, as_json: bool) -> None:
    """Run one job now, for a date if given: the same function and event the schedule would use."""
    from chalicelib.local.scheduler import first_fire_on, invoke
    from chalicelib.schedules import job

    try:
        entry = job(name)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="NAME") from exc
    services = ctx.services  # the stage's services, before app.py is imported
    instant = first_fire_on(entry.expression, day, ZoneInfo(entry.timezone)) if day else services.clock.now()
    event: dict[str, Any] = {"time": instant.isoformat()}
    if dry_run:
        event["dry_run"] = True
    result = invoke(entry, event)
    out(result, as_json, lambda r: f"{name} for {instant.isoformat()}:\n"
        + "\n".join(f"  {k}: {v}" for k, v in (r or {}).items()))


def install(cli: click.Group) -> None:
    cli.add_command(jobs)
