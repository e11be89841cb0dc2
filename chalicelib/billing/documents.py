"""What billing puts in front of people: the printable invoice page and the text of each notice (clause
13.1). Pure functions of records; every value is escaped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from chalicelib.billing.model import IssuedInvoice
from chalicelib.core.money import format_amount
from chalicelib.licensing.model import Party

_STYLE = """
body{font-family:"Helvetica Neue",Arial,"PingFang SC","Microsoft YaHei",sans-serif;max-width:800px;margin:2em auto;
color:#222}h1{font-size:1.6em;margin-bottom:0}table{width:100%;border-collapse:collapse;margin-top:1em}
th,td{padding:.4em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}td.n,th.n{text-align:right}
.parties{display:flex;justify-content:space-between;margin-top:1.5em}.parties div{width:48%}
.total td{font-weight:bold;border-top:2px solid #222}.status{float:right;font-size:1.2em;padding:.2em .6em;
border:2px solid #555}@media print{.status{border-color:#000}}
"""

KIND_TITLES = {"regular": "Invoice", "late_fee": "Late-fee invoice (clause 8)",
                "settlement": "Final settlement invoice (clause 11.3)"}


def _party(title: str, party: Party | None, extra: str = "") -> str:
    if party is None:
        return f"<div><strong>{escape(title)}</strong><br>-</div>"
    return (f"<div><strong>{escape(title)}</strong><br>{escape(party.full_name)}<br>{escape(party.address)}<br>"
            f"{escape(party.contact_person)} · {escape(party.phone)}{extra}</div>")


def _money(text: str | Decimal) -> str:
    return escape(format_amount(Decimal(str(text))))


def invoice_html(invoice: IssuedInvoice, licensor: Party | None, licensee: Party | None) -> str:
    """A complete HTML page that prints as the invoice: parties, lines, tax, total, due date, balance."""
    rows = []
    for line in invoice.lines:
        unit = line.get("unit_amount")
        rows.append(f"<tr><td>{escape(str(line['description']))}</td><td class=n>{escape(str(line.get('quantity', 1)))}"
                    f"</td><td class=n>{_money(unit) if unit is not None else ''}</td>"
                    f"<td class=n>{_money(line['amount'])}</td></tr>")
    title = KIND_TITLES.get(invoice.kind.value, "Invoice")
    period = f"<p>Period: {escape(str(invoice.period))}</p>" if invoice.period else ""
    note = f"<p>{escape(invoice.note)}</p>" if invoice.note else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} {escape(invoice.number)}</title>
<style>{_STYLE}</style></head><body>
<span class="status">{escape(invoice.status.value.upper())}</span>
<h1>{escape(title)} {escape(invoice.number)}</h1>
<p>Issued {invoice.issue_date.isoformat()} · due {invoice.due_date.isoformat()} · agreement
{escape(invoice.agreement_id)}</p>{period}
<section class="parties">{_party("From (licensor)", licensor)}{_party("To (licensee)", licensee,
                                                                     f"<br>Licensee id {escape(invoice.licensee_id)}")}
</section>
<table><thead><tr><th>Description</th><th class=n>Qty</th><th class=n>Unit</th>
<th class=n>Amount ({escape(invoice.currency)})</th></tr></thead><tbody>
{''.join(rows)}
<tr><td colspan=3>Subtotal</td><td class=n>{_money(invoice.subtotal)}</td></tr>
<tr><td colspan=3>Tax ({escape(str(invoice.tax_rate))})</td><td class=n>{_money(invoice.tax)}</td></tr>
<tr class="total"><td colspan=3>Total</td><td class=n>{_money(invoice.total)}</td></tr>
<tr><td colspan=3>Balance due</td><td class=n>{_money(invoice.balance)}</td></tr>
</tbody></table>{note}
<p>Payment by bank transfer, cheque, cash or other agreed means (clause 5.2), quoting {escape(invoice.number)}.
A late fee accrues on amounts unpaid after the due date (clause 8).</p>
</body></html>
"""


def invoice_text(invoice: IssuedInvoice) -> str:
    lines = [f"Invoice {invoice.number} for agreement {invoice.agreement_id}",
             f"Issued {invoice.issue_date.isoformat()}, due {invoice.due_date.isoformat()}.", ""]
    for line in invoice.lines:
        lines.append(f"  {line['description']}: {format_amount(Decimal(line['amount']))} {invoice.currency}")
    lines += ["", f"  Tax: {format_amount(invoice.tax)} {invoice.currency}",
              f"  Total: {format_amount(invoice.total)} {invoice.currency}",
              f"  Balance due: {format_amount(invoice.balance)} {invoice.currency}", "",
              "Please pay by the due date, quoting the invoice number (clause 5).",
              "The printable invoice is attached as HTML."]
    return "\n".join(lines)


def reminder_text(invoice: IssuedInvoice, when: str, days: int) -> tuple[str, str]:
    if when == "before_due":
        subject = f"Invoice {invoice.number} is due on {invoice.due_date.isoformat()}"
        body = (f"This is a reminder that invoice {invoice.number} ({format_amount(invoice.balance)} "
                f"{invoice.currency} outstanding) is due in {days} days, on {invoice.due_date.isoformat()}.")
    else:
        subject = f"Invoice {invoice.number} is overdue"
        body = (f"Invoice {invoice.number} was due on {invoice.due_date.isoformat()} and "
                f"{format_amount(invoice.balance)} {invoice.currency} is still outstanding, {days} days later. "
                "A late fee accrues daily at the rate the agreement sets, and the license is suspended once the "
                "grace period has passed (clause 8).")
    return subject, body


def suspension_text(amount: Decimal, currency: str, since: date | None) -> tuple[str, str]:
    return ("Your license is suspended for late payment",
            f"Invoices unpaid beyond the grace period (overdue since {since.isoformat() if since else '-'}) have "
            f"suspended the license under clause 8. Paying {format_amount(amount)} {currency} reinstates it at once.")


def reinstatement_text() -> tuple[str, str]:
    return ("Your license is reinstated", "Thank you for your payment. The suspension for late payment is lifted "
            "and the service is available again.")


def renewal_text(end: date, days: int) -> tuple[str, str]:
    return (f"Your license agreement ends on {end.isoformat()}: {days} days left",
            f"The license agreement is in force until {end.isoformat()}, {days} days from now. Under clause 4.2 the "
            "parties may extend it before it expires; an extension keeps the current terms unless agreed otherwise. "
            "Please contact us to renew.")
