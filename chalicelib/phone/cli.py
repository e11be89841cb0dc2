"""Staff commands for the phone channel: merchants' numbers, Connect instance and webhook secret, held events,
and `simulate`, which sends Connect-shaped events of a made-up call through the same handler as AWS does."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import click

from chalicelib.core.cli import Context, json_option, out, parse_day, pass_ctx
from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.core.ids import new_id
from chalicelib.local.connect import connect_events
from chalicelib.phone import model

LOCAL_INSTANCE = "kefu-local-simulator"


@click.group()
def phone() -> None:
    """Phone: merchants' numbers, Connect instance, webhook secret, held events, simulated calls."""


@phone.group()
def numbers() -> None:
    """A merchant's phone numbers (E.164): calls to or from them reach its inbox."""


@numbers.command("add")
@click.argument("licensee_id")
@click.argument("number")
@json_option
@pass_ctx
def numbers_add(ctx: Context, licensee_id: str, number: str, as_json: bool) -> None:
    """Give LICENSEE_ID the number NUMBER (e.g. +862112345678)."""
    added = ctx.services.phone.add_number(licensee_id, number, ctx.actor)
    out({"licensee_id": licensee_id, "number": added}, as_json, lambda d: d["number"])


@numbers.command("list")
@click.argument("licensee_id")
@json_option
@pass_ctx
def numbers_list(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """A merchant's phone numbers."""
    out(ctx.services.phone.numbers(licensee_id), as_json, lambda rows: "\n".join(rows) or "no phone numbers")


@numbers.command("remove")
@click.argument("licensee_id")
@click.argument("number")
@json_option
@pass_ctx
def numbers_remove(ctx: Context, licensee_id: str, number: str, as_json: bool) -> None:
    """Take NUMBER from a merchant: later events for it are held as unknown_number."""
    removed = ctx.services.phone.remove_number(licensee_id, number, ctx.actor)
    out({"licensee_id": licensee_id, "removed": removed}, as_json, lambda d: f"removed {d['removed']}")


@phone.group()
def instance() -> None:
    """The merchant's Amazon Connect instance: its contact events reach the merchant's inbox."""


@instance.command("set")
@click.argument("licensee_id")
@click.argument("instance_id")
@json_option
@pass_ctx
def instance_set(ctx: Context, licensee_id: str, instance_id: str, as_json: bool) -> None:
    """Route the Connect instance INSTANCE_ID (an id or an ARN) to LICENSEE_ID."""
    found = ctx.services.phone.set_instance(licensee_id, instance_id, ctx.actor)
    out({"licensee_id": licensee_id, "instance": found}, as_json, lambda d: d["instance"])


@phone.group()
def secret() -> None:
    """The secret a merchant's call centre signs webhook events with."""


@secret.command("rotate")
@click.argument("licensee_id")
@json_option
@pass_ctx
def secret_rotate(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """A new webhook secret, shown once. The previous one keeps working for 24 hours."""
    value = ctx.services.phone.rotate_secret(licensee_id, ctx.actor)
    out({"licensee_id": licensee_id, "secret": value}, as_json,
        lambda d: f"{d['secret']}\n(shown once: give it to the call centre; the previous secret works for 24 hours)")


@phone.group("held", invoke_without_command=True)
@click.option("--licensee", "licensee_id", default=None,
              help="A merchant's held events (default: events that reached no merchant).")
@click.option("--released", is_flag=True, help="Also those released already.")
@json_option
@click.pass_context
def held(click_ctx: click.Context, licensee_id: str | None, released: bool, as_json: bool) -> None:
    """Call events kept back from every inbox, newest first, with the reason and the id `release` takes."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.find_object(Context)
    assert ctx is not None
    from chalicelib.privacy.access import staff_read

    staff_read(ctx.services, licensee_id, ctx.actor, "phone.held")
    rows = ctx.services.phone.held(licensee_id, released=released)
    out(rows, as_json, lambda rs: "\n".join(
        f"{r['id']}  {r['at']}  {r['reason']:<22}" + (f" released to {r['released_to']}" if r["released_at"] else "")
        for r in rs) or "no held events")


@held.command("release")
@click.argument("held_id")
@click.option("--licensee", "licensee_id", default=None,
              help="Where it is held: the merchant of a license hold (default: events that reached no merchant).")
@click.option("--to", "to", default=None, help="Route it to this merchant (default: as routing would now).")
@json_option
@pass_ctx
def held_release(ctx: Context, held_id: str, licensee_id: str | None, to: str | None, as_json: bool) -> None:
    """Release a held event into a merchant's inbox, e.g. once its number is added. Safe to run again."""
    result = ctx.services.phone.release(licensee_id, held_id, ctx.actor, to)
    out(result, as_json, lambda d: f"{d['result']}: {d.get('call_id') or d.get('reason') or ''} "
                                   f"{'→ ' + d['released_to'] if d.get('released_to') else ''}".strip())


@phone.command("report")
@click.argument("licensee_id")
@click.option("--since", callback=parse_day, required=True, help="First day (YYYY-MM-DD, Asia/Shanghai).")
@click.option("--until", callback=parse_day, required=True, help="Last day, included.")
@json_option
@pass_ctx
def report(ctx: Context, licensee_id: str, since: date, until: date, as_json: bool) -> None:
    """A merchant's calls of a period: by outcome, answered per agent, answer rate, average wait."""
    tz = ctx.services.settings.timezone
    found = ctx.services.phone.summary(licensee_id, datetime.combine(since, time.min, tz),
                                       datetime.combine(until, time.max, tz))
    out(found, as_json, lambda d: "\n".join(
        [f"{d['calls']} calls: " + ", ".join(f"{k} {v}" for k, v in d["by_outcome"].items()),
         f"answer rate {d['answer_rate'] if d['answer_rate'] is not None else '-'}, "
         f"average wait {d['average_wait_seconds'] if d['average_wait_seconds'] is not None else '-'} s"]
        + [f"  {agent}: {count} answered" for agent, count in d["answered_by_agent"].items()]))


@phone.command("simulate")
@click.argument("licensee_id")
@click.option("--from", "caller", required=True, help="The caller's number, e.g. +8613800138000.")
@click.option("--to", "callee", default=None, help="The merchant's number called (default: its first number).")
@click.option("--answered-after", type=click.IntRange(0, 3600), default=None, help="Seconds until an agent answers.")
@click.option("--duration", type=click.IntRange(0, 36000), default=60, show_default=True,
              help="Seconds of talk (answered) or of waiting before hanging up (missed).")
@click.option("--missed", is_flag=True, help="Nobody answers: the caller hangs up in the queue.")
@json_option
@pass_ctx
def simulate(ctx: Context, licensee_id: str, caller: str, callee: str | None, answered_after: int | None,
             duration: int, missed: bool, as_json: bool) -> None:
    """Send the Connect contact events of one made-up call (it ends now) through the same handler as on AWS."""
    if missed == (answered_after is not None):
        raise click.UsageError("Give either --answered-after S (with --duration S) or --missed.")
    services = ctx.services
    contacts = services.phone.contacts
    if not hasattr(contacts, "add"):
        raise Conflict("simulate runs only where DescribeContact is kefu's local stand-in (the local stage).",
                       code="NOT_LOCAL")
    customer = model.e164(caller, "from")
    merchant_number = model.e164(callee, "to") if callee else next(iter(services.phone.numbers(licensee_id)), None)
    if merchant_number is None:
        raise InvalidInput(f"{licensee_id} has no phone number: ./kefu phone numbers add {licensee_id} +86…",
                           code="NO_PHONE_NUMBER")
    instance_id = services.phone.store.instance(licensee_id) or LOCAL_INSTANCE
    contact = new_id("ct").replace("_", "-")
    end = services.clock.now()
    start = end - timedelta(seconds=(answered_after or 0) + duration + 3)
    contacts.add(instance_id, contact, {"CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": customer},
                                        "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": merchant_number},
                                        "InitiationMethod": "INBOUND"})
    results = [services.phone.connect_event(e) for e in connect_events(
        instance_id, contact, start, answered_after=None if missed else answered_after, duration=duration)]
    last = results[-1]
    out({"call_id": last.get("call_id"), "outcome": last.get("outcome"), "results": results}, as_json,
        lambda d: f"call {d['call_id']}: {d['outcome']}" if d["call_id"] else
        f"held: {results[-1].get('reason')}")


def install(cli: click.Group) -> None:
    cli.add_command(phone)
