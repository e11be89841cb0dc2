"""Staff commands for training sessions (clause 3.3): `./kefu training schedule|deliver|cancel|list`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from chalicelib.core.cli import Context, json_option, out, parse_instant, pass_ctx


def _line(s: dict[str, Any]) -> str:
    where = s["link"] or s["place"]
    return (f"{s['id']}  {s['licensee']:<28} {s['starts_at']}  {s['status']:<10} {s['method']:<7} "
            f"{', '.join(s['topics'])}  {where}" + (f"  attendees: {', '.join(s['attendees'])}" if s["attendees"]
                                                     else "") + (f"  ({s['reason']})" if s["reason"] else ""))


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]


@click.group()
def training() -> None:
    """Training sessions (clause 3.3): scheduled, then delivered (billable) or cancelled."""


@training.command("schedule")
@click.argument("licensee_id")
@click.option("--at", "starts_at", required=True, callback=parse_instant,
              help="Start, ISO time with offset, e.g. 2026-10-15T14:00+08:00.")
@click.option("--method", type=click.Choice(["online", "onsite"]), required=True)
@click.option("--link", default="", help="The meeting link (online).")
@click.option("--place", default="", help="Where (onsite).")
@click.option("--topics", required=True,
              help="Comma-separated: system_operation, features, service_skills, or free text.")
@click.option("--trainer", default="")
@click.option("--minutes", "duration", type=int, default=120, show_default=True)
@json_option
@pass_ctx
def training_schedule(ctx: Context, licensee_id: str, starts_at: datetime, method: str, link: str, place: str,
                      topics: str, trainer: str, duration: int, as_json: bool) -> None:
    """Schedule a session; its notice goes to the licensee's notice address."""
    session = ctx.services.training.schedule(licensee_id, starts_at, method, _split(topics), ctx.actor, place=place,
                                             link=link, trainer=trainer, duration_minutes=duration)
    out(session, as_json, _line)


@training.command("deliver")
@click.argument("session_id")
@click.option("--attendees", required=True, help="Comma-separated names of who attended.")
@json_option
@pass_ctx
def training_deliver(ctx: Context, session_id: str, attendees: str, as_json: bool) -> None:
    """Mark a session delivered: the next billing run bills it under a per_session training fee."""
    out(ctx.services.training.deliver(session_id, _split(attendees), ctx.actor), as_json, _line)


@training.command("cancel")
@click.argument("session_id")
@click.option("--reason", required=True)
@json_option
@pass_ctx
def training_cancel(ctx: Context, session_id: str, reason: str, as_json: bool) -> None:
    """Cancel a scheduled session (never billed); the licensee is told."""
    out(ctx.services.training.cancel(session_id, reason, ctx.actor), as_json, _line)


@training.command("list")
@click.option("--licensee", "licensee_id", default=None)
@json_option
@pass_ctx
def training_list(ctx: Context, licensee_id: str | None, as_json: bool) -> None:
    """Sessions of one licensee, or of all, with their state."""
    out(ctx.services.training.sessions(licensee_id), as_json, lambda rows: "\n".join(map(_line, rows)) or
        "no sessions")


def install(cli: click.Group) -> None:
    cli.add_command(training)
