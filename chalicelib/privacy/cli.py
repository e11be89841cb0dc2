"""`./kefu privacy`: licensor staff's side of privacy (clauses 7, 11.2). Export or erase one customer's data at a
merchant, see a merchant's requests and retention periods, see and extend an export window after termination,
and list who of the staff read a merchant's content. An export by staff is itself a recorded read."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from chalicelib.core.cli import Context, json_option, out, parse_day, pass_ctx

CONTACT_HELP = "The customer: an email address, a phone number or customer:<verified id>; repeat to give more."


@click.group()
def privacy() -> None:
    """A customer's data (export, erasure), retention, export windows after termination, the access log."""


def _request_line(r: dict[str, Any]) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items()) or "nothing"
    return f"{r['id']}  {r['kind']:<16} {r['status']:<8} {r['created_at']}  by {r['actor']}  ({counts})"


@privacy.command("export")
@click.argument("licensee_id")
@click.option("--contact", "contacts", multiple=True, required=True, help=CONTACT_HELP)
@click.option("--out", "path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the archive to this file (default: print its link only).")
@json_option
@pass_ctx
def export(ctx: Context, licensee_id: str, contacts: tuple[str, ...], path: Path | None, as_json: bool) -> None:
    """Export everything kept about one customer of LICENSEE_ID as one archive (JSON and files)."""
    from chalicelib.privacy.model import parse_contact

    who = parse_contact(contacts)
    service = ctx.services.privacy
    done = service.export_person(licensee_id, who, ctx.actor)
    service.record_access(licensee_id, ctx.actor, "privacy.export", done["id"])
    if path is not None and done["status"] == "done":
        path.write_bytes(service.archive_bytes(licensee_id, done["id"]))
        done = {**done, "written_to": str(path)}
    out(done, as_json, lambda r: _request_line(r) + (f"\narchive: {r['written_to']}" if r.get("written_to") else
                                                      f"\nlink: {r['archive']['url']}" if r["archive"] else ""))


@privacy.command("erase")
@click.argument("licensee_id")
@click.option("--contact", "contacts", multiple=True, required=True, help=CONTACT_HELP)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_ctx
def erase(ctx: Context, licensee_id: str, contacts: tuple[str, ...], yes: bool, as_json: bool) -> None:
    """Erase everything kept about one customer of LICENSEE_ID (billing records stay); safe to run again."""
    from chalicelib.privacy.model import parse_contact

    who = parse_contact(contacts)
    if not yes:
        click.confirm(f"Erase every record of {', '.join(contacts)} at {licensee_id}? This cannot be undone",
                      abort=True)
    done = ctx.services.privacy.erase_person(licensee_id, who, ctx.actor)
    out(done, as_json, _request_line)


@privacy.command("requests")
@click.argument("licensee_id")
@json_option
@pass_ctx
def requests(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """A merchant's privacy requests, newest first."""
    out(ctx.services.privacy.requests(licensee_id), as_json,
        lambda rs: "\n".join(_request_line(r) for r in rs) or "no privacy requests")


@privacy.command("retention")
@click.argument("licensee_id")
@click.option("--set", "changes", multiple=True, metavar="KIND=DAYS",
              help="Change one period (chats, tickets, attachments, raw_mail, calls, held_mail); repeatable.")
@json_option
@pass_ctx
def retention(ctx: Context, licensee_id: str, changes: tuple[str, ...], as_json: bool) -> None:
    """A merchant's retention periods in days (its own, else the defaults); --set changes some."""
    service = ctx.services.privacy
    if changes:
        periods: dict[str, Any] = {}
        for change in changes:
            kind, _, days = change.partition("=")
            if not days.strip().isdigit():
                raise click.BadParameter(f"{change!r}: use KIND=DAYS", param_hint="--set")
            periods[kind.strip()] = int(days)
        shown = service.set_retention(licensee_id, periods, ctx.actor)
    else:
        shown = service.retention(licensee_id)
    out(shown, as_json, lambda r: "\n".join(
        f"{k:<12} {v:>5} days{'' if k in r['own'] else '  (default)'}" for k, v in r["periods"].items()))


@privacy.command("window")
@click.argument("licensee_id")
@click.option("--extend-until", "until", callback=parse_day, default=None,
              help="Extend the export window to this last day, YYYY-MM-DD (before it ends).")
@json_option
@pass_ctx
def window(ctx: Context, licensee_id: str, until: date | None, as_json: bool) -> None:
    """The export window after LICENSEE_ID's termination (clause 11.2); --extend-until moves its end."""
    service = ctx.services.privacy
    shown = service.extend_window(licensee_id, until, ctx.actor) if until else service.window_view(licensee_id)
    out(shown, as_json, lambda w: f"{w['licensee_id']}: {w['state']}"
        + (f", terminated {w['termination_date']}, export until {w['ends_on']}" if w["ends_on"] else "")
        + (" (extended)" if w["extended"] else "")
        + (f"\nerased {w['erased_at']}: {w['certificate']['counts']}" if w["certificate"] else ""))


@privacy.command("accesses")
@click.argument("licensee_id")
@json_option
@pass_ctx
def accesses(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """Who of the licensor's staff read LICENSEE_ID's content, newest first."""
    out(ctx.services.privacy.accesses(licensee_id), as_json, lambda rs: "\n".join(
        f"{r['at']}  {r['actor']:<24} {r['what']:<18} {r['ref']}" for r in rs) or "no reads recorded")


def install(cli: click.Group) -> None:
    cli.add_command(privacy)
