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
    rows = ctx.services.mail.held(licensee_id)
    out(rows, as_json, lambda rs: "\n".join(
        f"{r['at']}  {r['reason']:<22} {r['subject'][:50]!r}  (raw: {r['raw']})" for r in rs) or "no held mail")


def install(cli: click.Group) -> None:
    cli.add_command(mail)
