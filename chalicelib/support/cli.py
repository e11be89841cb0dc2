"""Staff commands for technical support (`./kefu support …`) and its business calendar (`./kefu calendar …`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from chalicelib.core.cli import Context, json_option, out, parse_day, parse_instant, pass_ctx


def _due(value: str | None) -> str:
    return value or "paused"


def _line(r: dict[str, Any]) -> str:
    flags = " ".join(f"BREACHED:{t}" for t in r["breached"]) + (" provisional" if r["provisional"] else "")
    return (f"{r['id']}  {r['licensee']:<28} {r['status']:<20} {r['category']:<13} "
            f"respond by {_due(r['first_response_due'])}  resolve by {_due(r['resolution_due'])}  "
            f"{r['subject']}{'  ' + flags if flags.strip() else ''}")


def _request(r: dict[str, Any]) -> str:
    lines = [_line(r), f"  opened {r['opened_at']} by {r['opened_by']} via {r['via']}",
             f"  first response: due {_due(r['first_response_due'])}, answered {r['first_response_at'] or '-'}",
             f"  resolution:     due {_due(r['resolution_due'])}, closed {r['closed_at'] or '-'}"]
    if r.get("provisional"):
        lines.append("  (a due time falls in a year whose holiday schedule is provisional: ./kefu calendar show)")
    for m in r.get("messages", []):
        lines.append(f"  [{m['number']}] {m['at']} {m['side']} {m['author']}:")
        lines.extend(f"      {text}" for text in m["text"].splitlines())
    return "\n".join(lines)


@click.group()
def support() -> None:
    """Technical-support requests (clauses 1.1.4, 3.2): answered in business time."""


@support.command("list")
@click.option("--licensee", "licensee_id", default=None, help="Every request of one licensee, closed ones too.")
@json_option
@pass_ctx
def support_list(ctx: Context, licensee_id: str | None, as_json: bool) -> None:
    """Requests not closed yet, oldest first (or one licensee's, newest first)."""
    rows = ctx.services.support.queue(licensee_id)
    out(rows, as_json, lambda rs: "\n".join(_line(r) for r in rs) or "no open requests")


@support.command("show")
@click.argument("request_id")
@json_option
@pass_ctx
def support_show(ctx: Context, request_id: str, as_json: bool) -> None:
    """One request with its messages and due times."""
    from chalicelib.privacy.access import staff_read

    shown = ctx.services.support.show(request_id)
    staff_read(ctx.services, shown.get("licensee"), ctx.actor, "support.request", request_id)
    out(shown, as_json, _request)


@support.command("open")
@click.argument("licensee_id")
@click.option("--subject", required=True)
@click.option("--text", required=True)
@click.option("--category", type=click.Choice(["installation", "configuration", "upgrade", "fault"]),
              default="fault", show_default=True)
@click.option("--at", "at", callback=parse_instant, help="When it was reported (e.g. taken by phone), ISO with offset.")
@json_option
@pass_ctx
def support_open(ctx: Context, licensee_id: str, subject: str, text: str, category: str, at: datetime | None,
                 as_json: bool) -> None:
    """Record a request for a licensee, e.g. one taken by phone."""
    out(ctx.services.support.open(licensee_id, subject, text, category, ctx.actor, "cli", at), as_json, _request)


@support.command("reply")
@click.argument("request_id")
@click.option("--text", required=True)
@click.option("--wait", is_flag=True, help="Wait on the merchant: the resolution clock stops until it answers.")
@json_option
@pass_ctx
def support_reply(ctx: Context, request_id: str, text: str, wait: bool, as_json: bool) -> None:
    """Answer a request as the licensor."""
    out(ctx.services.support.staff_reply(request_id, ctx.actor, text, wait), as_json, _request)


@support.command("close")
@click.argument("request_id")
@click.option("--text", default=None, help="A closing note to the merchant.")
@json_option
@pass_ctx
def support_close(ctx: Context, request_id: str, text: str | None, as_json: bool) -> None:
    """Close a resolved request."""
    out(ctx.services.support.close(request_id, ctx.actor, text), as_json, _request)


@support.command("targets")
@click.argument("licensee_id")
@click.option("--first-response-hours", type=click.FloatRange(min=0, min_open=True), default=None)
@click.option("--resolution-days", type=click.FloatRange(min=0, min_open=True), default=None)
@json_option
@pass_ctx
def support_targets(ctx: Context, licensee_id: str, first_response_hours: float | None,
                    resolution_days: float | None, as_json: bool) -> None:
    """Show or set a licensee's targets, in business hours and business days (a day is 09:00-18:00)."""
    from chalicelib.support.hours import MINUTES_PER_DAY
    from chalicelib.support.model import Targets

    service = ctx.services.support
    current = service.targets(licensee_id)
    if first_response_hours is None and resolution_days is None:
        data = current.as_dict()
    else:
        data = service.set_targets(licensee_id, Targets(
            round(first_response_hours * 60) if first_response_hours else current.first_response_minutes,
            round(resolution_days * MINUTES_PER_DAY) if resolution_days else current.resolution_minutes), ctx.actor)
    out(data, as_json, lambda d: f"first response {d['first_response_minutes'] / 60:g} business hours, resolution "
                                 f"{d['resolution_minutes'] / MINUTES_PER_DAY:g} business days")


@click.group("calendar")
def calendar_group() -> None:
    """The support desk's working days: published schedules, imports, single days."""


def _year(d: dict[str, Any]) -> str:
    head = f"{d['year']}: {d['source']}" + ("  (PROVISIONAL: import the State Council's schedule)"
                                              if d["provisional"] else "")
    rows = [f"  {x['day']} {x['weekday']} {'work' if x['working'] else 'off ':<4} {x['source']:<11} {x['name']}"
            for x in d["days"]]
    return "\n".join([head, *rows])


@calendar_group.command("show")
@click.argument("year", type=int)
@json_option
@pass_ctx
def calendar_show(ctx: Context, year: int, as_json: bool) -> None:
    """The year's holidays, make-up working days and staff's single days, and where they come from."""
    out(ctx.services.support.calendar_year(year), as_json, _year)


@calendar_group.command("import")
@click.argument("year", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_ctx
def calendar_import(ctx: Context, year: int, file: Path, as_json: bool) -> None:
    """Import a year's schedule: one line per day, `YYYY-MM-DD off|on [name]` (off: holiday, on: make-up day)."""
    out(ctx.services.support.import_calendar(year, file.read_text(encoding="utf-8"), ctx.actor), as_json, _year)


@calendar_group.command("add")
@click.argument("day", callback=parse_day)
@click.option("--off", "off", is_flag=True, help="Make it a day off (default: a working day).")
@click.option("--note", default="")
@json_option
@pass_ctx
def calendar_add(ctx: Context, day: date, off: bool, note: str, as_json: bool) -> None:
    """Set a single day as a working day (or, with --off, a day off), over any schedule."""
    out(ctx.services.support.set_day(day, not off, ctx.actor, note), as_json, _year)


@calendar_group.command("remove")
@click.argument("day", callback=parse_day)
@json_option
@pass_ctx
def calendar_remove(ctx: Context, day: date, as_json: bool) -> None:
    """Clear what staff set for a single day: the schedule applies again."""
    out(ctx.services.support.set_day(day, None, ctx.actor), as_json, _year)


def install(cli: click.Group) -> None:
    cli.add_command(support)
    cli.add_command(calendar_group)
