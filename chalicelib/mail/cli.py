"""Staff commands for email: support addresses per merchant, and mail kept back from agents."""

from __future__ import annotations

import click

from chalicelib.core.cli import Context, json_option, out, pass_ctx


@click.group()
def mail() -> None:
    """Email support: merchants' support addresses and held mail."""


@mail.group()
def addresses() -> None:
    """Support addresses on the licensor's mail domain (a merchant may forward its own address to one)."""


@addresses.command("add")
@click.argument("licensee_id")
@click.argument("local_part")
@json_option
@pass_ctx
def addresses_add(ctx: Context, licensee_id: str, local_part: str, as_json: bool) -> None:
    """Give a merchant the address LOCAL_PART@<mail domain>."""
    address = ctx.services.mail.add_address(licensee_id, local_part, ctx.actor)
    out({"licensee_id": licensee_id, "address": address}, as_json, lambda d: d["address"])


@addresses.command("list")
@click.argument("licensee_id")
@json_option
@pass_ctx
def addresses_list(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """A merchant's support addresses."""
    found = ctx.services.mail.store.addresses(licensee_id)
    out(found, as_json, lambda rows: "\n".join(rows) or "no support addresses")


@mail.command("held")
@click.option("--licensee", "licensee_id", default=None,
              help="A merchant's held mail (default: mail that reached no merchant).")
@json_option
@pass_ctx
def held(ctx: Context, licensee_id: str | None, as_json: bool) -> None:
    """Mail kept back from agents (quarantined or undeliverable), newest first, with the reason."""
    from chalicelib.privacy.access import staff_read

    staff_read(ctx.services, licensee_id, ctx.actor, "mail.held")  # clause 7.1: the merchant sees who read it
    rows = ctx.services.mail.held(licensee_id)
    out(rows, as_json, lambda rs: "\n".join(
        f"{r['at']}  {r['reason']:<22} {r['subject'][:50]!r}  (ses id: {r['ses_id']})"
        + (f"  released to {r['released']['ticket_id']}" if r["released"] else "") for r in rs) or "no held mail")


@mail.command("release")
@click.argument("licensee_id")
@click.argument("ses_id")
@json_option
@pass_ctx
def release(ctx: Context, licensee_id: str, ses_id: str, as_json: bool) -> None:
    """Deliver a merchant's held mail SES_ID (from `held --licensee`) to its agents after all.

    Only mail held as spam or spoofed, or kept back by the license (once the license allows mail again).
    Releasing the same mail again delivers nothing more."""
    from chalicelib.privacy.access import staff_read

    staff_read(ctx.services, licensee_id, ctx.actor, "mail.released", ses_id)
    result = ctx.services.mail.release(licensee_id, ses_id, ctx.actor)
    out(result, as_json, lambda r: f"released into ticket {r['ticket_id']}" if r["result"] == "released"
        else f"{r['result'].replace('_', ' ')} (ticket {r['ticket_id'] or '-'}); nothing delivered")


@mail.command("replay")
@click.argument("ses_ids", nargs=-1)
@click.option("--since", default=None, help="Every inbound mail that failed since this instant (ISO-8601, e.g. "
                                           "2026-06-15T08:00+08:00).")
@json_option
@pass_ctx
def replay(ctx: Context, ses_ids: tuple[str, ...], since: str | None, as_json: bool) -> None:
    """Run failed inbound mail again, by SES message id (SES_IDS) or every failure --since a time.

    The mail is read from the raw store (the stage's raw-mail bucket, or .data/blobs locally). Replaying twice
    stores nothing twice: a mail already delivered comes back as a duplicate."""
    from datetime import datetime

    from chalicelib.mail.replay import replay as run_replay

    if not ses_ids and since is None:
        raise click.UsageError("Name SES message ids, or give --since.")
    try:
        after = datetime.fromisoformat(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(f"{since!r} is not an ISO-8601 instant", param_hint="--since") from exc
    if after is not None and after.tzinfo is None:
        after = after.replace(tzinfo=ctx.services.settings.timezone)
    services = ctx.services
    results = run_replay(services.mail, services.failed_events, services.clock.now(), ctx.actor,
                         ses_ids=ses_ids, since=after)
    out(results, as_json, lambda rs: "\n".join(
        f"{r['ses_id']}: {r['result']} ({r['source']})" + (f" {r['error']}" if r.get("error") else "")
        + "".join(f"\n  {o['licensee_id'] or '-'}: {o['result']}" + (f" ticket {o['ticket_id']}"
                                                                     if o.get("ticket_id") else "")
                  for o in r["outcomes"]) for r in rs) or "no failed inbound mail to replay")


@mail.group()
def undeliverable() -> None:
    """Customer addresses a bounce marked undeliverable (agents cannot reply to them by mail)."""


@undeliverable.command("clear")
@click.argument("licensee_id")
@click.argument("address")
@json_option
@pass_ctx
def undeliverable_clear(ctx: Context, licensee_id: str, address: str, as_json: bool) -> None:
    """Let agents mail ADDRESS again (e.g. the customer fixed their mailbox)."""
    result = ctx.services.mail.clear_undeliverable(licensee_id, address, ctx.actor)
    out(result, as_json, lambda r: f"{r['address']}: mail may be sent again")


def install(cli: click.Group) -> None:
    cli.add_command(mail)
