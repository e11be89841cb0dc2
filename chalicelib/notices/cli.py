"""Staff commands for notices beyond billing's (clause 13.1): `./kefu maintenance announce …` tells every licensee
a maintenance window touches (clause 6.1). `./kefu notices list LICENSEE` lists what was sent."""

from __future__ import annotations

from datetime import datetime

import click

from chalicelib.core.cli import Context, json_option, out, parse_instant, pass_ctx


@click.group()
def maintenance() -> None:
    """Maintenance windows (clause 6.1), announced to the licensees they affect."""


@maintenance.command("announce")
@click.option("--starts", callback=parse_instant, required=True, help="Start, with its offset: 2026-09-30T22:00+08:00")
@click.option("--ends", callback=parse_instant, required=True, help="End, with its offset.")
@click.option("--description", required=True, help="What is maintained, as the licensees read it.")
@click.option("--licensee", "licensees", multiple=True, help="Only these licensees (default: every one in force).")
@json_option
@pass_ctx
def announce(ctx: Context, starts: datetime, ends: datetime, description: str, licensees: tuple[str, ...],
             as_json: bool) -> None:
    """Send the maintenance notice to every licensee whose license is in force during the window; announcing
    the same window again sends it only to those not told yet."""
    done = ctx.services.notices.announce_maintenance(starts, ends, description, list(licensees) or None)
    out(done.as_dict(), as_json, lambda d: f"window {d['window']}: notified {len(d['notified'])}, "
                                           f"already notified {len(d['already_notified'])}")


@click.command("notice-language")
@click.argument("licensee_id")
@click.argument("language", type=click.Choice(["bilingual", "zh-CN", "en"]))
@pass_ctx
def notice_language(ctx: Context, licensee_id: str, language: str) -> None:
    """The language of a licensee's notices and invoices: bilingual (zh-CN with English, the default), zh-CN or en."""
    click.echo(ctx.services.notices.set_language(licensee_id, language, ctx.actor))


def install(cli: click.Group) -> None:
    cli.add_command(maintenance)
    cli.add_command(notice_language)
