"""Staff commands for billing: fee schedules, billing runs, invoices, payments, statements, force majeure."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from chalicelib.billing.fees import FeeChange, FeeItem, FeeKind, Per, Timing
from chalicelib.billing.invoices import BillingTerms
from chalicelib.billing.items import fee_item_from_dict, fee_item_to_dict, terms_from_dict, terms_to_dict
from chalicelib.billing.model import AccountTerms, IssuedInvoice, PaymentMethod, RunReport
from chalicelib.billing.periods import Cadence
from chalicelib.core.cli import Context, json_option, out, parse_day, pass_ctx
from chalicelib.core.errors import InvalidInput
from chalicelib.core.money import parse_amount

PROGRESS_FROM = 20  # accounts: shorter runs need no bar


def _amount(_: click.Context, __: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _rate(_: click.Context, __: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        rate = Decimal(value)
    except ArithmeticError as exc:
        raise click.BadParameter("a decimal such as 0.0005") from exc
    if not rate.is_finite() or rate < 0:
        raise click.BadParameter("a decimal such as 0.0005")
    return rate


def _days(_: click.Context, __: click.Parameter, value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        return tuple(sorted({int(v) for v in value.split(",") if v.strip()}, reverse=True))
    except ValueError as exc:
        raise click.BadParameter("a comma-separated list of days such as 60,30,7") from exc


def _instant(ctx: Context, day: date | None) -> datetime:
    """The instant a run for ``day`` stands for: just after midnight in the licensor's time zone."""
    if day is None:
        return ctx.services.clock.now()
    return datetime.combine(day, time(0, 5), tzinfo=ctx.services.settings.timezone).astimezone(UTC)


def _report_text(report: dict[str, Any]) -> str:
    what = "would issue" if report["dry_run"] else "issued"
    lines = [f"{report['job']} run for {report['day']}: looked at {report['looked_at']}, {what} "
             f"{len(report['invoices'])} invoice(s), {report['notices']} notice(s)"]
    for i in report["invoices"]:
        lines.append(f"  {i['number'] or '(draft)':<12} {i['licensee']:<32} {i.get('period') or '-':<24} "
                     f"{i['total']:>12}  due {i['due_date']}")
    lines += [f"  suspended   {x}" for x in report["suspended"]]
    lines += [f"  reinstated  {x}" for x in report["reinstated"]]
    lines += [f"  error       {e['licensee']}: {e['error']}" for e in report["errors"]]
    return "\n".join(lines)


def _invoice_text(invoice: IssuedInvoice) -> str:
    d = invoice.as_dict()
    lines = [f"{d['number']}  {d['kind']}  {d['status'].upper()}", f"  licensee   {d['licensee']}",
             f"  agreement  {d['agreement_id']}", f"  period     {d['period'] or '-'}",
             f"  issued     {d['issue_date']}   due {d['due_date']}"]
    lines += [f"  {line['amount']:>12}  {line['description']}" for line in d["lines"]]
    lines += [f"  {d['subtotal']:>12}  subtotal", f"  {d['tax']:>12}  tax ({d['tax_rate']})",
              f"  {d['total']:>12}  TOTAL {d['currency']}", f"  {d['balance']:>12}  balance due"]
    if d["note"]:
        lines.append(f"  note       {d['note']}")
    return "\n".join(lines)


# -- billing runs ----------------------------------------------------------------------------------------------
@click.group()
def billing() -> None:
    """Billing runs (clause 5): issue what has come due, for today or any date."""


@billing.command("run")
@click.option("--date", "day", callback=parse_day, help="Bill as of this date, YYYY-MM-DD (default: today).")
@click.option("--dry-run", is_flag=True, help="Show what would be issued; write and send nothing.")
@json_option
@pass_ctx
def billing_run(ctx: Context, day: date | None, dry_run: bool, as_json: bool) -> None:
    """Issue every invoice due by the date, as the daily scheduled run does. Safe to repeat."""
    bar: Any = None

    def started(total: int) -> None:
        nonlocal bar
        if total >= PROGRESS_FROM and not as_json:
            bar = click.progressbar(length=total, label="billing", file=sys.stderr)
            bar.__enter__()

    try:
        report = ctx.services.billing.run_billing(_instant(ctx, day), dry_run=dry_run, on_start=started,
                                                  progress=lambda n: bar.update(n) if bar else None)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    out(report.as_dict(), as_json, _report_text)


@billing.command("settle")
@click.argument("licensee_id")
@click.option("--date", "day", callback=parse_day, help="As of this date (default: today).")
@click.option("--dry-run", is_flag=True, help="Show what would be issued; write and send nothing.")
@json_option
@pass_ctx
def billing_settle(ctx: Context, licensee_id: str, day: date | None, dry_run: bool, as_json: bool) -> None:
    """Bill one licensee now whatever its next due date: after a termination, the final settlement (11.3)."""
    report: RunReport = ctx.services.billing.bill_now(licensee_id, _instant(ctx, day), dry_run=dry_run)
    out(report.as_dict(), as_json, _report_text)


# -- invoices ----------------------------------------------------------------------------------------------------
@click.group()
def invoices() -> None:
    """Issued invoices: list, show (and print as HTML), void."""


@invoices.command("list")
@click.option("--licensee", "licensee_id", help="Only this licensee's invoices.")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["open", "paid", "credit", "settled", "refund_due", "void"]), help="Repeatable.")
@json_option
@pass_ctx
def invoices_list(ctx: Context, licensee_id: str | None, statuses: tuple[str, ...], as_json: bool) -> None:
    """Invoices by number: number, licensee, period, total, status, due date."""
    rows = [i.summary() for i in ctx.services.billing.invoices(licensee_id, statuses)]
    out(rows, as_json, lambda rs: "\n".join(
        f"{r['number']:<11} {r['licensee']:<32} {r['period'] or '-':<24} {r['total']:>12} {r['status']:<10} "
        f"due {r['due_date']}" for r in rs) or "no invoices")


@invoices.command("show")
@click.argument("number")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write the printable invoice page to this file.")
@json_option
@pass_ctx
def invoices_show(ctx: Context, number: str, html_file: Path | None, as_json: bool) -> None:
    """One invoice with its lines; --html writes the page to print or send."""
    invoice = ctx.services.billing.invoice(number)
    if html_file is not None:
        html_file.write_text(ctx.services.billing.invoice_page(invoice), encoding="utf-8")
    out(invoice.as_dict(), as_json, lambda _: _invoice_text(invoice)
        + (f"\n  written to {html_file}" if html_file else ""))


@invoices.command("void")
@click.argument("number")
@click.option("--reason", required=True)
@json_option
@pass_ctx
def invoices_void(ctx: Context, number: str, reason: str, as_json: bool) -> None:
    """Void an open invoice nothing was paid on. It keeps its number; the next run bills its charges again."""
    invoice = ctx.services.billing.void_invoice(number, reason, ctx.actor)
    out(invoice.as_dict(), as_json, lambda _: _invoice_text(invoice))


# -- payments and statements ----------------------------------------------------------------------------------
@click.group()
def payments() -> None:
    """Payments received (clause 5.2)."""


@payments.command("record")
@click.argument("licensee_id")
@click.option("--amount", required=True, callback=_amount, help="Amount received, e.g. 1200.00.")
@click.option("--method", type=click.Choice([m.value for m in PaymentMethod]), required=True)
@click.option("--reference", required=True, help="Bank reference, cheque number...: recorded once only.")
@click.option("--date", "day", callback=parse_day, help="Date received (default: today).")
@json_option
@pass_ctx
def payments_record(ctx: Context, licensee_id: str, amount: Decimal, method: str, reference: str,
                    day: date | None, as_json: bool) -> None:
    """Record a payment: applied to the oldest open invoice first, any surplus kept as credit."""
    billing_service = ctx.services.billing
    received = day or billing_service.today()
    payment = billing_service.record_payment(licensee_id, PaymentMethod(method), reference, amount, received,
                                             ctx.actor)
    out(payment.as_dict(), as_json, lambda d: f"recorded {d['payment_id']}: {d['amount']} "
        + ", ".join(f"{a['amount']} to {a['invoice']}" for a in d["applied"])
        + (f"; credit {d['credit']}" if d["credit"] != "0.00" else ""))


@payments.command("list")
@click.argument("licensee_id")
@json_option
@pass_ctx
def payments_list(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """Payments recorded for a licensee."""
    rows = [p.as_dict() for p in ctx.services.billing.store.payments(licensee_id)]
    out(rows, as_json, lambda rs: "\n".join(f"{r['received_on']} {r['method']:<13} {r['reference']:<20} "
                                            f"{r['amount']:>12}" for r in rs) or "no payments")


@click.command("statement")
@click.argument("licensee_id")
@json_option
@pass_ctx
def statement(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """A licensee's account: invoices, payments, what is owed and overdue, credit held."""
    data = ctx.services.billing.statement(licensee_id)

    def text(d: dict[str, Any]) -> str:
        lines = [f"Statement of {d['licensee']} as of {d['as_of']} (agreement {d['agreement_id']})"]
        lines += [f"  {i['issue_date']}  {i['number']:<11} {i['kind']:<10} {i['total']:>12}  balance "
                  f"{i['balance']:>10}  {i['status']}" for i in d["invoices"]]
        lines += [f"  {p['received_on']}  payment {p['reference']:<20} {p['amount']:>12}  ({p['method']})"
                  for p in d["payments"]]
        lines += [f"  billed {d['billed']}   paid {d['paid']}   owed {d['owed']}   overdue {d['overdue']}   "
                  f"credit {d['credit']}",
                  "  SUSPENDED for late payment" if d["suspended_for_late_payment"] else "",
                  f"  billed through {d['billed_through'] or '-'}, next due {d['next_due'] or '-'}"]
        return "\n".join(line for line in lines if line)

    out(data, as_json, text)


@click.group()
def notices() -> None:
    """Notices sent to licensees (clause 13.1): recipient, kind, time, delivery status."""


@notices.command("list")
@click.argument("licensee_id")
@json_option
@pass_ctx
def notices_list(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """Every notice recorded for a licensee, oldest first."""
    rows = [n.as_dict() for n in ctx.services.billing.notices(licensee_id)]
    out(rows, as_json, lambda rs: "\n".join(f"{r['created_at']}  {r['kind']:<13} {r['delivery']:<7} "
                                            f"{r['recipient']}  {r['subject']}" for r in rs) or "no notices")


# -- fee schedules --------------------------------------------------------------------------------------------
@click.group()
def fees() -> None:
    """Fee schedules of agreements (clauses 5.1, 5.3, 6.3, 8, 10)."""


def _schedule_text(account: Any) -> str:
    t = account.terms
    lines = [f"{account.licensee_id}  agreement {account.agreement_id}"]
    for item in account.fee_items:
        count = f"per {item.per.value} (licensed)" if item.per else f"x{item.quantity}"
        lines.append(f"  {item.id:<12} {item.kind.value:<11} {item.amount:>10} {item.currency} {count} "
                     f"{item.cadence.value} in {item.timing.value} from {item.start}"
                     + (f" to {item.end}" if item.end else "") + f"  {item.description}")
        lines += [f"      from {c.effective}: amount {c.amount or '-'} quantity {c.quantity or '-'} {c.reason}"
                  for c in item.changes]
    lines += [f"  late fee   {t.billing.late_fee_rate_per_day} per day; suspension after {t.billing.grace_days} "
              f"days of grace; tax {t.billing.tax_rate or 'none'}",
              f"  reminders  {list(t.billing.reminder_days_before)} days before due, "
              f"{list(t.billing.reminder_days_after)} after; renewal {list(t.renewal_reminder_days)} days before",
              f"  billed through {account.billed_through or '-'}, next due {account.next_due or '-'}, "
              f"credit {account.credit}"]
    return "\n".join(lines)


def _schedule_dict(account: Any) -> dict[str, Any]:
    return {"licensee": account.licensee_id, "agreement_id": account.agreement_id,
            "fee_items": [fee_item_to_dict(i) for i in account.fee_items], "terms": terms_to_dict(account.terms),
            "billed_through": account.billed_through, "next_due": account.next_due, "credit": str(account.credit)}


@fees.command("show")
@click.argument("licensee_id")
@json_option
@pass_ctx
def fees_show(ctx: Context, licensee_id: str, as_json: bool) -> None:
    """The fee schedule and billing terms of a licensee's agreement."""
    account = ctx.services.billing.account(licensee_id)
    out(_schedule_dict(account), as_json, lambda _: _schedule_text(account))


@fees.command("set")
@click.argument("licensee_id")
@click.option("--file", "source", type=click.File("r"), required=True,
              help='JSON {"fee_items": [...], "terms": {...}} as `fees show --json` prints it; - for stdin.')
@json_option
@pass_ctx
def fees_set(ctx: Context, licensee_id: str, source: Any, as_json: bool) -> None:
    """Replace the whole fee schedule (and optionally the terms) from a JSON file."""
    try:
        data = json.load(source)
        items = [fee_item_from_dict(d) for d in data["fee_items"]]
        terms = terms_from_dict(data["terms"]) if data.get("terms") else None
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise InvalidInput(f"The schedule file is not valid: {exc}", code="INVALID_SCHEDULE") from exc
    account = ctx.services.billing.set_schedule(licensee_id, items, terms, ctx.actor)
    out(_schedule_dict(account), as_json, lambda _: _schedule_text(account))


@fees.command("add")
@click.argument("licensee_id")
@click.option("--id", "item_id", required=True, help="A short id for the item, e.g. usage.")
@click.option("--kind", type=click.Choice([k.value for k in FeeKind]), required=True)
@click.option("--description", required=True)
@click.option("--amount", required=True, callback=_amount, help="Per period (or session, or once), e.g. 1200.00.")
@click.option("--cadence", type=click.Choice([c.value for c in Cadence]), required=True)
@click.option("--timing", type=click.Choice([t.value for t in Timing]), default="advance", show_default=True)
@click.option("--start", required=True, callback=parse_day, help="First day billed; periods are anchored on it.")
@click.option("--end", callback=parse_day, help="Last day billed (default: as long as the agreement).")
@click.option("--quantity", type=click.IntRange(1, 100_000), default=1, show_default=True,
              help="Units such as seats or channels.")
@click.option("--per", type=click.Choice([p.value for p in Per]),
              help="Price per seat or channel: the quantity follows the license's terms (`licenses amend`).")
@click.option("--currency", default="CNY", show_default=True)
@json_option
@pass_ctx
def fees_add(ctx: Context, licensee_id: str, item_id: str, kind: str, description: str, amount: Decimal,
             cadence: str, timing: str, start: date, end: date | None, quantity: int, per: str | None,
             currency: str, as_json: bool) -> None:
    """Add a fee item to the schedule (creating the schedule if there is none)."""
    try:
        item = FeeItem(item_id, FeeKind(kind), description, amount, Cadence(cadence), Timing(timing), start, end,
                       currency, quantity, per=Per(per) if per else None)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="INVALID_FEE_ITEM") from exc
    account = ctx.services.billing.add_fee_item(licensee_id, item, ctx.actor)
    out(_schedule_dict(account), as_json, lambda _: _schedule_text(account))


@fees.command("amend")
@click.argument("licensee_id")
@click.argument("fee_item_id")
@click.option("--effective", required=True, callback=parse_day, help="From which day the change applies.")
@click.option("--amount", callback=_amount, help="New amount per period.")
@click.option("--quantity", type=click.IntRange(1, 100_000), help="New quantity (seats, channels).")
@click.option("--reason", default="", help="What the amendment is, for the record.")
@json_option
@pass_ctx
def fees_amend(ctx: Context, licensee_id: str, fee_item_id: str, effective: date, amount: Decimal | None,
               quantity: int | None, reason: str, as_json: bool) -> None:
    """Change a fee from a date (clause 10); the period under way is prorated on both sides."""
    try:
        change = FeeChange(effective, amount, quantity, reason)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="INVALID_AMENDMENT") from exc
    account = ctx.services.billing.amend_fee(licensee_id, fee_item_id, change, ctx.actor)
    out(_schedule_dict(account), as_json, lambda _: _schedule_text(account))


@fees.command("terms")
@click.argument("licensee_id")
@click.option("--late-fee-rate", callback=_rate, help="Late fee per day, e.g. 0.0005 (0.05%).")
@click.option("--grace-days", type=click.IntRange(0, 365), help="Days after the due date before suspension.")
@click.option("--tax-rate", callback=_rate, help="e.g. 0.06.")
@click.option("--reminders-before", callback=_days, help="Days before the due date, e.g. 7.")
@click.option("--reminders-after", callback=_days, help="Days after the due date, e.g. 1,7.")
@click.option("--renewal-reminders", callback=_days, help="Days before expiry, e.g. 60,30,7.")
@json_option
@pass_ctx
def fees_terms(ctx: Context, licensee_id: str, late_fee_rate: Decimal | None, grace_days: int | None,
               tax_rate: Decimal | None, reminders_before: tuple[int, ...] | None,
               reminders_after: tuple[int, ...] | None, renewal_reminders: tuple[int, ...] | None,
               as_json: bool) -> None:
    """Set the billing terms the agreement sets (clause 8); what is not given stays as it is."""
    current = ctx.services.billing.account(licensee_id).terms
    b = current.billing
    try:
        terms = AccountTerms(BillingTerms(
            net_days=b.net_days,
            late_fee_rate_per_day=b.late_fee_rate_per_day if late_fee_rate is None else late_fee_rate,
            grace_days=b.grace_days if grace_days is None else grace_days,
            tax_rate=b.tax_rate if tax_rate is None else tax_rate,
            reminder_days_before=b.reminder_days_before if reminders_before is None else reminders_before,
            reminder_days_after=b.reminder_days_after if reminders_after is None else reminders_after),
            current.renewal_reminder_days if renewal_reminders is None else renewal_reminders)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="INVALID_TERMS") from exc
    account = ctx.services.billing.set_terms(licensee_id, terms, ctx.actor)
    out(_schedule_dict(account), as_json, lambda _: _schedule_text(account))


# -- force majeure --------------------------------------------------------------------------------------------
@click.group("force-majeure")
def force_majeure() -> None:
    """Force-majeure periods (clause 13.5): late fees and the suspension grace pause, support clocks stand still."""


@force_majeure.command("add")
@click.option("--start", required=True, callback=parse_day)
@click.option("--end", required=True, callback=parse_day)
@click.option("--reason", required=True)
@click.option("--licensee", "licensee_id", help="Only this licensee (default: every licensee).")
@json_option
@pass_ctx
def force_majeure_add(ctx: Context, start: date, end: date, reason: str, licensee_id: str | None,
                      as_json: bool) -> None:
    """Record a force-majeure period."""
    period = ctx.services.billing.add_force_majeure(start, end, reason, ctx.actor, licensee_id)
    out(period.as_dict(), as_json, lambda d: f"recorded {d['id']}: {d['start']} to {d['end']} for {d['licensee']}")


@force_majeure.command("list")
@json_option
@pass_ctx
def force_majeure_list(ctx: Context, as_json: bool) -> None:
    """Every force-majeure period recorded."""
    rows = [p.as_dict() for p in ctx.services.billing.force_majeure()]
    out(rows, as_json, lambda rs: "\n".join(f"{r['start']} to {r['end']}  {r['licensee']:<32} {r['reason']}"
                                            for r in rs) or "none recorded")


def install(cli: click.Group) -> None:
    for command in (billing, invoices, payments, statement, notices, fees, force_majeure):
        cli.add_command(command)
