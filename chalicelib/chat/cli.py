"""Staff commands for chat: a merchant's business hours, retention, verified-identity secret and hand-overs."""

from __future__ import annotations

import click

from chalicelib.chat import model
from chalicelib.core.cli import Context, json_option, out, pass_ctx


@click.group()
def chat() -> None:
    """Online chat settings of a merchant (clauses 1.1.2, 3.1)."""


@chat.command("hours")
@click.argument("licensee_id")
@click.argument("spec")
@click.option("--timezone", default="Asia/Shanghai", show_default=True, help="The merchant's time zone.")
@pass_ctx
def hours(ctx: Context, licensee_id: str, spec: str, timezone: str) -> None:
    """Set live-chat hours, e.g. 'mon-fri 09:00-18:00, sat 10:00-14:00', or 'always'."""
    ctx.services.licensing.show(licensee_id)  # an unknown merchant is refused before anything is written
    set_to = ctx.services.chat.set_hours(licensee_id, spec, timezone, ctx.actor)
    click.echo(f"{licensee_id}: chat hours {model.format_hours(set_to)} ({timezone})")


@chat.command("retention")
@click.argument("licensee_id")
@click.argument("days", type=int)
@pass_ctx
def retention(ctx: Context, licensee_id: str, days: int) -> None:
    """Keep conversations DAYS after their last activity; DynamoDB's TTL removes them afterwards."""
    ctx.services.licensing.show(licensee_id)
    ctx.services.chat.set_retention(licensee_id, days, ctx.actor)
    click.echo(f"{licensee_id}: conversations kept {days} days after their last activity")


@chat.command("identity-secret")
@click.argument("licensee_id")
@pass_ctx
def identity_secret(ctx: Context, licensee_id: str) -> None:
    """Issue a new HMAC secret for verified identity (shown once; the previous one stops working)."""
    ctx.services.licensing.show(licensee_id)
    secret = ctx.services.chat.rotate_identity_secret(licensee_id, ctx.actor)
    click.echo(f"{licensee_id}: new identity secret (give it to the merchant's developers, it is not shown again)")
    click.echo(secret)


@chat.command("texts")
@click.argument("licensee_id")
@click.argument("locale")
@click.option("--title", default=None, help="The widget's title.")
@click.option("--greeting", default=None, help="Shown before the first message.")
@click.option("--offline", default=None, help="Shown when nobody can answer.")
@click.option("--handover", default=None, help="The confirmation of a hand-over to email.")
@pass_ctx
def texts(ctx: Context, licensee_id: str, locale: str, title: str | None, greeting: str | None,
          offline: str | None, handover: str | None) -> None:
    """The merchant's own widget texts in one language (LOCALE: zh-CN, en); those not given are the catalogue's."""
    ctx.services.licensing.show(licensee_id)
    given = {"title": title, "greeting": greeting, "offline": offline, "handover": handover}
    own = ctx.services.chat.set_widget_texts(licensee_id, locale, {k: v for k, v in given.items() if v is not None},
                                             ctx.actor)
    click.echo(f"{licensee_id}: widget texts in {locale}: " + (", ".join(sorted(own)) or "the catalogue's"))


@chat.command("language")
@click.argument("licensee_id")
@click.argument("locale")
@pass_ctx
def language(ctx: Context, licensee_id: str, locale: str) -> None:
    """The widget's language for every shopper (zh-CN, en), or 'browser' to follow each shopper's browser."""
    ctx.services.licensing.show(licensee_id)
    chosen = ctx.services.chat.set_widget_locale(licensee_id, None if locale == "browser" else locale, ctx.actor)
    click.echo(f"{licensee_id}: widget language {chosen or 'from the browser (else zh-CN)'}")


@chat.command("handovers")
@click.argument("licensee_id")
@json_option
@pass_ctx
def handovers(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """Conversations handed over to email because nobody could answer live."""
    from chalicelib.privacy.access import staff_read

    staff_read(ctx.services, licensee_id, ctx.actor, "chat.handovers")  # shoppers' addresses: a recorded read
    rows = [{"conversation_id": c, "email": e, "at": a.isoformat()}
            for c, e, a in ctx.services.chat.store.handovers(licensee_id)]
    out(rows, as_json, lambda rs: "\n".join(f"{r['at']}  {r['conversation_id']}  {r['email']}" for r in rs)
        or "no hand-overs")


def install(cli: click.Group) -> None:
    cli.add_command(chat)
