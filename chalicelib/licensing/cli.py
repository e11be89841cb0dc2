"""Staff commands for the license spine: licensor, licensees, agreements, licenses, keys."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from chalicelib.core.cli import Context, json_option, out, parse_day, pass_ctx
from chalicelib.licensing.model import Channel, Party, Role, Signatory
from chalicelib.licensing.views import AgreementDraft, LicenseView, key_dict


def _channels(_: click.Context, __: click.Parameter, value: str | None) -> frozenset[Channel] | None:
    if value is None:
        return None
    try:
        return frozenset(Channel(v.strip()) for v in value.split(",") if v.strip())
    except ValueError as exc:
        raise click.BadParameter("a comma-separated list of chat, email, phone") from exc


def party_options(f: Any) -> Any:
    for name, text in reversed([("full-name", "Full legal name"), ("short-name", "Short name"),
                                ("address", "Address"), ("contact", "Contact person"), ("phone", "Phone")]):
        f = click.option(f"--{name}", required=True, help=f"{text} (clause 2).")(f)
    return f


def _party(kw: dict[str, str]) -> Party:
    return Party(full_name=kw["full_name"], short_name=kw["short_name"], address=kw["address"],
                 contact_person=kw["contact"], phone=kw["phone"])


def _license_text(view: LicenseView) -> str:
    d = view.as_dict()
    lines = [f"{d['licensee_id']}  {d['licensee']['short_name'] if d['licensee'] else ''}",
             f"  status     {d['status']}",
             f"  valid      {d['starts_on']} to {d['ends_on']}"
             + (f" (terminates {d['termination_date']})" if d["termination_date"] else ""),
             f"  channels   {', '.join(d['terms']['channels'])}",
             f"  seats      {d['terms']['seats']}",
             f"  payment    net {d['terms']['payment_terms_days']} days",
             f"  notices to {d['terms']['notice_address']}",
             f"  agreement  {d['agreement']['agreement_id']} signed {d['agreement']['signed_on']} "
             f"in {d['agreement']['place']}",
             "  periods    " + "; ".join(f"#{p['number']} {p['start']}..{p['end']} ({p['kind']})"
                                         for p in d["periods"]),
             "  amendments " + "; ".join(f"v{t['version']} from {t['effective_date']}: {t['note'] or '-'}"
                                         for t in d["amendments"])]
    for e in d["events"]:
        lines.append(f"  event      {e['at']} {e['kind']} {e['effective_date'] or ''} {e['reason']}")
    active = [k for k in d["keys"] if k["active"]]
    lines.append(f"  keys       {len(active)} active of {len(d['keys'])}")
    return "\n".join(lines)


# -- licensor ----------------------------------------------------------------------------------------------
@click.group()
def licensor() -> None:
    """The licensor's own profile (clause 2.1)."""


@licensor.command("set")
@party_options
@pass_ctx
def licensor_set(ctx: Context, **kw: str) -> None:
    """Record or update the licensor's profile."""
    ctx.services.licensing.set_licensor(_party(kw), ctx.actor)
    click.echo("licensor profile saved")


@licensor.command("show")
@json_option
@pass_ctx
def licensor_show(ctx: Context, as_json: bool) -> None:
    """Show the licensor's profile."""
    party = ctx.services.licensing.licensor()
    out(vars(party) if party else None, as_json, lambda d: "\n".join(f"{k}: {v}" for k, v in (d or {}).items())
        or "no licensor profile yet")


# -- licensees ---------------------------------------------------------------------------------------------
@click.group()
def licensees() -> None:
    """Merchants that hold (or will hold) a license (clause 2.2)."""


@licensees.command("create")
@party_options
@click.option("--id", "licensee_id", default=None, help="Choose the id (default: generated).")
@json_option
@pass_ctx
def licensees_create(ctx: Context, licensee_id: str | None, as_json: bool, **kw: str) -> None:
    """Register a licensee; prints its id."""
    new_id = ctx.services.licensing.create_licensee(_party(kw), ctx.actor, licensee_id)
    out({"licensee_id": new_id}, as_json, lambda d: d["licensee_id"])


@licensees.command("list")
@json_option
@pass_ctx
def licensees_list(ctx: Context, as_json: bool) -> None:
    """List licensees."""
    rows = ctx.services.licensing.licensees()
    out(rows, as_json, lambda rs: "\n".join(f"{r['licensee_id']}  {r['short_name']}  {r['contact_person']}"
                                            for r in rs) or "no licensees")


@licensees.command("index-addresses")
@json_option
@pass_ctx
def licensees_index_addresses(ctx: Context, as_json: bool) -> None:
    """Write every license's addresses by address (agent keys' emails, notice addresses), for mail to the
    support desk: once after deploying the version that keeps them; safe to run again."""
    done = ctx.services.licensing.name_addresses()
    out(done, as_json, lambda d: f"{d['addresses']} addresses of {d['licensees']} licensees written")


# -- agreements and licenses -------------------------------------------------------------------------------
@click.group()
def agreements() -> None:
    """Signing the license agreement (clauses 4.1, 14)."""


def _support_targets(hours: float | None, days: float | None) -> tuple[int, int] | None:
    """Clause 3.2's targets as agreed, in business minutes (a business day is 09:00-18:00, 9 hours)."""
    if hours is None and days is None:
        return None
    if hours is None or days is None:
        raise click.UsageError("Give both --support-first-response-hours and --support-resolution-days.")
    return round(hours * 60), round(days * 9 * 60)


def support_target_options(f: Any) -> Any:
    f = click.option("--support-resolution-days", type=click.FloatRange(min=0, min_open=True),
                     help="Support: resolution within this many business days (default 3).")(f)
    return click.option("--support-first-response-hours", type=click.FloatRange(min=0, min_open=True),
                        help="Support: first response within this many business hours (default 4).")(f)


@agreements.command("sign")
@click.argument("licensee_id")
@click.option("--signed-on", required=True, callback=parse_day, help="Signing date, YYYY-MM-DD.")
@click.option("--effective", callback=parse_day, help="Effective date (default: the signing date).")
@click.option("--years", type=click.IntRange(1, 10), required=True, help="Term in years.")
@click.option("--place", required=True, help="Where it was signed.")
@click.option("--signatory", "signatories", multiple=True, required=True,
              help="PARTY:NAME[:TITLE], PARTY being licensor or licensee; repeat for each.")
@click.option("--channels", required=True, callback=_channels, help="Licensed channels, e.g. chat,email.")
@click.option("--seats", type=click.IntRange(0, 10_000), required=True, help="Agent seats.")
@click.option("--payment-terms", type=click.IntRange(0, 365), default=30, show_default=True, help="Net days.")
@click.option("--notice-address", required=True, help="Where notices go (clause 13.1).")
@support_target_options
@json_option
@pass_ctx
def agreements_sign(ctx: Context, licensee_id: str, signed_on: date, effective: date | None, years: int,
                    place: str, signatories: tuple[str, ...], channels: frozenset[Channel], seats: int,
                    payment_terms: int, notice_address: str, support_first_response_hours: float | None,
                    support_resolution_days: float | None, as_json: bool) -> None:
    """Record a signed agreement; the license runs from its effective date for its term."""
    parsed = []
    for text in signatories:
        party, _, rest = text.partition(":")
        name, _, title = rest.partition(":")
        if party not in ("licensor", "licensee") or not name:
            raise click.BadParameter(f"'{text}': use licensor:NAME[:TITLE] or licensee:NAME[:TITLE]")
        parsed.append(Signatory(party, name, title))
    view = ctx.services.licensing.sign(licensee_id, AgreementDraft(
        signed_on=signed_on, signatories=tuple(parsed), place=place, effective_date=effective or signed_on,
        term_years=years, channels=channels, seats=seats, payment_terms_days=payment_terms,
        notice_address=notice_address,
        support_targets=_support_targets(support_first_response_hours, support_resolution_days)), ctx.actor)
    out(view.as_dict(), as_json, lambda _: _license_text(view))


@click.group()
def licenses() -> None:
    """Show, extend, amend, suspend, reinstate and terminate licenses (clauses 4.2, 8, 10, 11.1)."""


@licenses.command("show")
@click.argument("licensee_id")
@json_option
@pass_ctx
def licenses_show(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """A license with its status today, its periods, amendments and events."""
    view = ctx.services.licensing.show(licensee_id)
    out(view.as_dict(), as_json, lambda _: _license_text(view))


@licenses.command("history")
@click.argument("licensee_id")
@json_option
@pass_ctx
def licenses_history(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """The audit trail of every change to this licensee: who, when, what."""
    records = [{"at": r.at.isoformat(), "actor": r.actor, "action": r.action, "details": r.details}
               for r in ctx.services.licensing.history(licensee_id)]
    out(records, as_json, lambda rs: "\n".join(f"{r['at']}  {r['actor']:<20} {r['action']:<20} {r['details']}"
                                               for r in rs))


@licenses.command("extend")
@click.argument("licensee_id")
@click.option("--years", type=click.IntRange(1, 10), required=True)
@click.option("--start", callback=parse_day, help="Start of the new period (needed only once expired).")
@json_option
@pass_ctx
def licenses_extend(ctx: Context, licensee_id: str, years: int, start: date | None, as_json: bool) -> None:
    """Add a period that inherits the current terms (clause 4.2)."""
    view = ctx.services.licensing.extend(licensee_id, years, ctx.actor, start)
    out(view.as_dict(), as_json, lambda _: _license_text(view))


@licenses.command("amend")
@click.argument("licensee_id")
@click.option("--effective", required=True, callback=parse_day, help="From which day the change applies.")
@click.option("--channels", callback=_channels, help="New licensed channels, e.g. chat,email,phone.")
@click.option("--seats", type=click.IntRange(0, 10_000))
@click.option("--payment-terms", type=click.IntRange(0, 365))
@click.option("--notice-address")
@click.option("--note", default="", help="What the amendment is, for the record.")
@support_target_options
@json_option
@pass_ctx
def licenses_amend(ctx: Context, licensee_id: str, effective: date, channels: frozenset[Channel] | None,
                   seats: int | None, payment_terms: int | None, notice_address: str | None, note: str,
                   support_first_response_hours: float | None, support_resolution_days: float | None,
                   as_json: bool) -> None:
    """Amend channels, seats, payment terms, notice address or support targets from a date (clause 10)."""
    view = ctx.services.licensing.amend(licensee_id, effective, ctx.actor, channels=channels, seats=seats,
                                        payment_terms_days=payment_terms, notice_address=notice_address, note=note,
                                        support_targets=_support_targets(support_first_response_hours,
                                                                         support_resolution_days))
    out(view.as_dict(), as_json, lambda _: _license_text(view))


def _event_command(name: str, doc: str) -> None:
    @licenses.command(name, help=doc)
    @click.argument("licensee_id")
    @click.option("--reason", required=True)
    @json_option
    @pass_ctx
    def command(ctx: Context, licensee_id: str, reason: str, as_json: bool) -> None:
        view = getattr(ctx.services.licensing, name)(licensee_id, reason, ctx.actor)
        out(view.as_dict(), as_json, lambda _: _license_text(view))


_event_command("suspend", "Suspend the license at once (clause 8); its keys stop within the cache TTL.")
_event_command("reinstate", "Lift a suspension.")


@licenses.command("terminate")
@click.argument("licensee_id")
@click.option("--effective", required=True, callback=parse_day, help="From this day every key stops.")
@click.option("--reason", required=True)
@json_option
@pass_ctx
def licenses_terminate(ctx: Context, licensee_id: str, effective: date, reason: str, as_json: bool) -> None:
    """Terminate the agreement with an effective date (clauses 10, 11.1)."""
    view = ctx.services.licensing.terminate(licensee_id, effective, reason, ctx.actor)
    out(view.as_dict(), as_json, lambda _: _license_text(view))


@licenses.command("validate")
@click.argument("key")
@click.option("--channel", type=click.Choice([c.value for c in Channel]), default=None)
@json_option
@pass_ctx
def licenses_validate(ctx: Context, key: str, channel: str | None, as_json: bool) -> None:
    """Validate a key as the API would."""
    result = ctx.services.licensing.validate(key, Channel(channel) if channel else None).public()
    out(result, as_json, lambda r: f"{r['code']} (status {r['status']}, ends {r['ends_on']})")


# -- keys --------------------------------------------------------------------------------------------------
@click.group()
def keys() -> None:
    """Widget keys (public, bound to origins), agent keys (secret, one seat each) and the licensor's staff keys."""


@keys.command("issue-widget")
@click.argument("licensee_id")
@click.option("--origin", "origins", multiple=True, required=True,
              help="An allowed origin such as https://shop.example or https://*.shop.example; repeat.")
@json_option
@pass_ctx
def keys_issue_widget(ctx: Context, licensee_id: str, origins: tuple[str, ...], as_json: bool) -> None:
    """Issue a widget key for the storefront snippet."""
    issued = ctx.services.licensing.issue_widget_key(licensee_id, list(origins), ctx.actor)
    out({**key_dict(issued.key), "key": issued.secret}, as_json,
        lambda d: f"{d['key']}\n(key id {d['key_id']}; allowed from {', '.join(d['allowed_origins'])})")


@keys.command("issue-agent")
@click.argument("licensee_id")
@click.option("--name", required=True, help="The agent's name.")
@click.option("--email", required=True, help="The agent's email.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.AGENT.value, show_default=True,
              help="admin also manages the merchant's agents and settings in the console.")
@json_option
@pass_ctx
def keys_issue_agent(ctx: Context, licensee_id: str, name: str, email: str, role: str, as_json: bool) -> None:
    """Issue an agent key. It is shown once: only its hash is stored."""
    issued = ctx.services.licensing.issue_agent_key(licensee_id, name, email, ctx.actor, Role(role))
    out({**key_dict(issued.key), "key": issued.secret}, as_json,
        lambda d: f"{d['key']}\n(key id {d['key_id']}; shown once, store it now)")


@keys.command("list")
@click.argument("licensee_id")
@json_option
@pass_ctx
def keys_list(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """List a licensee's keys (never their secrets)."""
    rows = [key_dict(k) for k in ctx.services.licensing.keys(licensee_id)]
    out(rows, as_json, lambda rs: "\n".join(
        f"{r['key_id']}  {r['kind']:<6} {r['prefix']}…  {'active' if r['active'] else 'revoked ' + r['revoked_at']}  "
        + (", ".join(r.get("allowed_origins", [])) or f"{r.get('agent_name')} <{r.get('agent_email')}> {r.get('role')}")
        for r in rs) or "no keys")


@keys.command("revoke")
@click.argument("licensee_id")
@click.argument("key_id")
@json_option
@pass_ctx
def keys_revoke(ctx: Context, licensee_id: str, key_id: str, as_json: bool) -> None:
    """Revoke a key; it stops working within the cache TTL."""
    key = ctx.services.licensing.revoke_key(licensee_id, key_id, ctx.actor)
    out(key_dict(key), as_json, lambda d: f"revoked {d['key_id']} at {d['revoked_at']}")


@keys.command("issue-staff")
@click.option("--name", required=True, help="The staff member's name, shown to merchants on answers.")
@click.option("--email", required=True, help="The staff member's email.")
@json_option
@pass_ctx
def keys_issue_staff(ctx: Context, name: str, email: str, as_json: bool) -> None:
    """Issue a licensor staff key: it signs in to the licensor's workspace (the console's Support tab, every
    licensee's requests). Shown once: only its hash is stored."""
    issued = ctx.services.licensing.staff.issue(name, email, ctx.actor)
    out({**key_dict(issued.key), "key": issued.secret}, as_json,
        lambda d: f"{d['key']}\n(staff key id {d['key_id']}; shown once, store it now)")


@keys.command("staff")
@json_option
@pass_ctx
def keys_staff(ctx: Context, as_json: bool) -> None:
    """List the licensor's staff keys (never their secrets)."""
    rows = [key_dict(k) for k in ctx.services.licensing.staff.listed()]
    out(rows, as_json, lambda rs: "\n".join(
        f"{r['key_id']}  {r['prefix']}…  {'active' if r['active'] else 'revoked ' + r['revoked_at']}  "
        f"{r['staff_name']} <{r['staff_email']}>" for r in rs) or "no staff keys")


@keys.command("revoke-staff")
@click.argument("key_id")
@json_option
@pass_ctx
def keys_revoke_staff(ctx: Context, key_id: str, as_json: bool) -> None:
    """Revoke a staff key; it stops at once here and within the cache TTL in running functions."""
    key = ctx.services.licensing.staff.revoke(key_id, ctx.actor)
    out(key_dict(key), as_json, lambda d: f"revoked {d['key_id']} at {d['revoked_at']}")


@click.group()
def tables() -> None:
    """DynamoDB tables."""


@tables.command("ensure")
@pass_ctx
def tables_ensure(ctx: Context) -> None:
    """Create missing tables and indexes from the models (safe to run again)."""
    from chalicelib.adapters.dynamodb import ensure_tables

    changed = ensure_tables(ctx.services.tables)
    click.echo("created: " + ", ".join(changed) if changed else "all tables are in place")


def install(cli: click.Group) -> None:
    for group in (licensor, licensees, agreements, licenses, keys, tables):
        cli.add_command(group)
