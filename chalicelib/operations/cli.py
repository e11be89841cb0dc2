"""Staff commands for maintenance (clause 6.1): `./kefu backups ...` and `./kefu health`."""

from __future__ import annotations

from datetime import date, datetime, time

import click

from chalicelib.core.cli import Context, json_option, out, parse_day, pass_ctx


def _instant(ctx: Context, day: date | None) -> datetime:
    """`--date D` stands for the nightly run of that day (02:30 in the licensor's time zone)."""
    if day is None:
        return ctx.services.clock.now()
    return datetime.combine(day, time(2, 30), tzinfo=ctx.services.settings.timezone)


@click.group()
def backups() -> None:
    """Table backups: run the nightly job, list local backups, restore one."""


@backups.command("run")
@click.option("--date", "day", callback=parse_day, help="Run as the nightly job of this day (YYYY-MM-DD).")
@json_option
@pass_ctx
def backups_run(ctx: Context, day: date | None, as_json: bool) -> None:
    """Back up every table now and delete backups past the retention window."""
    report = ctx.services.operations.back_up(_instant(ctx, day))
    out(report.as_dict(), as_json, lambda d: (
        f"backup {d['day']}: {len(d['created'])} tables backed up, {len(d['deleted'])} expired backups deleted"
        + "".join(f"\n  FAILED {table}: {error}" for table, error in d["failed"].items())))
    if not report.ok:
        raise SystemExit(1)


@backups.command("list")
@json_option
@pass_ctx
def backups_list(ctx: Context, as_json: bool) -> None:
    """The days a local backup exists for."""
    days = ctx.services.operations.backup_days()
    out(days, as_json, lambda d: "\n".join(d) if d else "no backups yet")


@backups.command("restore")
@click.argument("day")
@json_option
@pass_ctx
def backups_restore(ctx: Context, day: str, as_json: bool) -> None:
    """Restore the local backup of DAY (YYYY-MM-DD) into an empty local database."""
    from chalicelib.adapters.dynamodb import ensure_tables

    ensure_tables(ctx.services.tables)
    restored = ctx.services.operations.restore(day, ctx.services.clock.now(), ctx.actor)
    out(restored, as_json, lambda d: "\n".join(f"{table}: {count} items restored" for table, count in d.items()))


@click.command("health")
@json_option
@pass_ctx
def health(ctx: Context, as_json: bool) -> None:
    """Check the tables, the bucket and the mailer, as the scheduled health job does."""
    report = ctx.services.operations.health(ctx.services.clock.now())
    out(report.as_dict(), as_json, lambda d: f"{d['status']}\n" + "\n".join(
        f"  {component:<40} {result}" for component, result in d["components"].items()))
    if not report.ok:
        raise SystemExit(1)


def install(cli: click.Group) -> None:
    cli.add_command(backups)
    cli.add_command(health)
