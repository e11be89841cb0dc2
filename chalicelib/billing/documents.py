"""What billing puts in front of people: the printable invoice page and the text of each notice (clause
13.1). Pure functions of records; every value is escaped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from chalicelib.billing.model import IssuedInvoice, PaymentMethod
from chalicelib.core.money import format_amount
from chalicelib.licensing.model import Party
from chalicelib.notices.model import SEPARATOR, NoticeKind, compose, label, languages

_STYLE = """
body{font-family:"Helvetica Neue",Arial,"PingFang SC","Microsoft YaHei",sans-serif;max-width:800px;margin:2em auto;
color:#222}h1{font-size:1.6em;margin-bottom:0}table{width:100%;border-collapse:collapse;margin-top:1em}
th,td{padding:.4em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}td.n,th.n{text-align:right}
.parties{display:flex;justify-content:space-between;margin-top:1.5em}.parties div{width:48%}
.total td{font-weight:bold;border-top:2px solid #222}.status{float:right;font-size:1.2em;padding:.2em .6em;
border:2px solid #555}@media print{.status{border-color:#000}}
"""

# Invoice titles in both languages (the subject of the invoice notice, the heading of the page).
KIND_TITLES = {"regular": "发票 / Invoice", "late_fee": "滞纳金发票（第 8 条）/ Late-fee invoice (clause 8)",
               "settlement": "最终结算发票（第 11.3 条）/ Final settlement invoice (clause 11.3)"}
# Clause 5.2: bank transfer, cheque, cash "and others": the ways merchants on the platform pay.
ACCEPTED_METHODS = (PaymentMethod.BANK_TRANSFER, PaymentMethod.ALIPAY, PaymentMethod.WECHAT_PAY,
                    PaymentMethod.UNIONPAY, PaymentMethod.CHEQUE, PaymentMethod.CASH)


def methods(locale: str) -> str:
    """The payment methods the licensor accepts, named in one language."""
    separator = "、" if locale.startswith("zh") else ", "
    return separator.join(label(f"payment.{m.value}", locale) for m in ACCEPTED_METHODS)


def method_name(method: PaymentMethod, setting: str | None = None) -> str:
    return " / ".join(label(f"payment.{method.value}", locale) for locale in languages(setting))


def _party(title: str, party: Party | None, extra: str = "") -> str:
    if party is None:
        return f"<div><strong>{escape(title)}</strong><br>-</div>"
    return (f"<div><strong>{escape(title)}</strong><br>{escape(party.full_name)}<br>{escape(party.address)}<br>"
            f"{escape(party.contact_person)} · {escape(party.phone)}{extra}</div>")


def _money(text: str | Decimal) -> str:
    return escape(format_amount(Decimal(str(text))))


def _both(key: str, setting: str | None, **params: object) -> str:
    return " / ".join(escape(label(key, locale, **params)) for locale in languages(setting))


def invoice_html(invoice: IssuedInvoice, licensor: Party | None, licensee: Party | None,
                 setting: str | None = None) -> str:
    """A complete HTML page that prints as the invoice: parties, lines, tax, total, due date, balance; headings in
    the licensee's language (zh-CN with English by default)."""
    rows = []
    for line in invoice.lines:
        unit = line.get("unit_amount")
        rows.append(f"<tr><td>{escape(str(line['description']))}</td><td class=n>{escape(str(line.get('quantity', 1)))}"
                    f"</td><td class=n>{_money(unit) if unit is not None else ''}</td>"
                    f"<td class=n>{_money(line['amount'])}</td></tr>")
    title = escape(KIND_TITLES.get(invoice.kind.value, KIND_TITLES["regular"]))
    period = f"<p>{_both('invoice.period', setting)}: {escape(str(invoice.period))}</p>" if invoice.period else ""
    note = f"<p>{escape(invoice.note)}</p>" if invoice.note else ""
    lang = languages(setting)[0]
    accepted = "<br>".join(escape(methods(locale)) for locale in languages(setting))
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} {escape(invoice.number)}</title>
<style>{_STYLE}</style></head><body>
<span class="status">{escape(invoice.status.value.upper())}</span>
<h1>{title} {escape(invoice.number)}</h1>
<p>{_both('invoice.issued', setting)} {invoice.issue_date.isoformat()} · {_both('invoice.due', setting)}
{invoice.due_date.isoformat()} · {_both('invoice.agreement', setting)} {escape(invoice.agreement_id)}</p>{period}
<section class="parties">{_party(_both('invoice.from', setting), licensor)}{_party(_both('invoice.to', setting),
                                                                    licensee, f"<br>{escape(invoice.licensee_id)}")}
</section>
<table><thead><tr><th>{_both('invoice.description', setting)}</th><th class=n>Qty</th><th class=n>Unit</th>
<th class=n>{_both('invoice.amount', setting)} ({escape(invoice.currency)})</th></tr></thead><tbody>
{''.join(rows)}
<tr><td colspan=3>{_both('invoice.subtotal', setting)}</td><td class=n>{_money(invoice.subtotal)}</td></tr>
<tr><td colspan=3>{_both('invoice.tax', setting, rate=str(invoice.tax_rate))}</td>
<td class=n>{_money(invoice.tax)}</td></tr>
<tr class="total"><td colspan=3>{_both('invoice.total', setting)}</td><td class=n>{_money(invoice.total)}</td></tr>
<tr><td colspan=3>{_both('invoice.balance', setting)}</td><td class=n>{_money(invoice.balance)}</td></tr>
</tbody></table>{note}
<p>{_both('invoice.methods', setting)}:<br>{accepted}</p>
</body></html>
"""


def _invoice_params(invoice: IssuedInvoice, locale: str) -> dict[str, object]:
    lines = [f"  {line['description']}: {format_amount(Decimal(line['amount']))} {invoice.currency}"
             for line in invoice.lines]
    lines.append(f"  {label('invoice.tax', locale, rate=str(invoice.tax_rate))}: {format_amount(invoice.tax)}")
    lines.append(f"  {label('invoice.balance', locale)}: {format_amount(invoice.balance)} {invoice.currency}")
    return {"number": invoice.number, "agreement": invoice.agreement_id, "issue_date": invoice.issue_date,
            "due_date": invoice.due_date, "lines": "\n".join(lines), "total": format_amount(invoice.total),
            "currency": invoice.currency, "methods": methods(locale)}


def _per_language(kind: NoticeKind, invoice: IssuedInvoice, setting: str | None, variant: str = "",
                  **extra: object) -> tuple[str, str]:
    parts = [compose(kind, {**_invoice_params(invoice, locale), **extra}, locale, variant)
             for locale in languages(setting)]
    return " / ".join(p[0] for p in parts), SEPARATOR.join(p[1] for p in parts)


def invoice_text(invoice: IssuedInvoice, setting: str | None = None) -> str:
    kind = NoticeKind.LATE_FEE if invoice.kind.value == "late_fee" else NoticeKind.INVOICE
    return _per_language(kind, invoice, setting)[1]


def reminder_text(invoice: IssuedInvoice, when: str, days: int, setting: str | None = None) -> tuple[str, str]:
    return _per_language(NoticeKind.REMINDER, invoice, setting, "before_due" if when == "before_due" else "overdue",
                         days=days, balance=format_amount(invoice.balance))


def suspension_text(amount: Decimal, currency: str, since: date | None,
                    setting: str | None = None) -> tuple[str, str]:
    return compose(NoticeKind.SUSPENSION, {"amount": format_amount(amount), "currency": currency,
                                           "since": since.isoformat() if since else "-"}, setting)


def reinstatement_text(setting: str | None = None) -> tuple[str, str]:
    return compose(NoticeKind.REINSTATEMENT, {}, setting)


def renewal_text(end: date, days: int, setting: str | None = None) -> tuple[str, str]:
    return compose(NoticeKind.RENEWAL, {"end": end.isoformat(), "days": days}, setting)
