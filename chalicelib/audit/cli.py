"""Staff commands for the evidence trail (clause 9): `./kefu audit verify [LICENSEE]`, `./kefu audit digest`."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import click

from chalicelib.core.cli import Context, json_option, out, parse_day, pass_ctx


def _verdicts(rows: list[dict[str, Any]]) -> str:
    lines = []
    for v in rows:
        if v["intact"]:
            lines.append(f"ok      {v['subject']}: {v['entries']} entries chained"
                         + (f", {v['unchained']} from before the chain" if v["unchained"] else ""))
        else:
            lines.append(f"BROKEN  {v['subject']}: first broken link at {v['broken_at']} after {v['entries']} "
                         f"good entries: {v['reason']}")
    broken = sum(1 for v in rows if not v["intact"])
    lines.append(f"{len(rows)} chains checked, {broken} broken")
    return "\n".join(lines)


@click.group()
def audit() -> None:
    """The evidence trail (clause 9): every change with its time and actor, chained so an edit shows."""


@audit.command("verify")
@click.argument("licensee_id", required=False)
@json_option
@pass_ctx
def verify(ctx: Context, licensee_id: str | None, as_json: bool) -> None:
    """Check the chains (one licensee's, or all) and name the first broken link; exit 1 when one is broken."""
    rows = [v.as_dict() for v in ctx.services.audit.verify(licensee_id)]
    out(rows, as_json, _verdicts)
    if any(not v["intact"] for v in rows):
        sys.exit(1)


@audit.command("digest")
@click.option("--date", "day", callback=parse_day, default=None, help="The day the digest stands for (YYYY-MM-DD).")
@json_option
@pass_ctx
def digest(ctx: Context, day: date | None, as_json: bool) -> None:
    """Write the day's digest of every chain head to the locked store (the scheduled job does it nightly)."""
    from chalicelib.core.clock import local_date

    services = ctx.services
    result = services.audit.digest(day or local_date(services.clock.now(), services.settings.timezone))
    out(result, as_json, lambda r: f"{r['key']}: {r['chains']} chains" + ("" if r["written"] else " (kept)"))


def install(cli: click.Group) -> None:
    cli.add_command(audit)
