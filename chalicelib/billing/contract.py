"""Billing's part of the published API (see chalicelib/core/openapi.py for how an operation is written)."""

from __future__ import annotations

from chalicelib.core.openapi import AGENT, AMOUNT, ANY_OBJECT, DAY, INSTANT, STRING, array, nullable, obj, operation

INVOICE_SUMMARY = obj(number=STRING, licensee=STRING, kind=STRING, period=nullable(STRING), issue_date=DAY,
                      due_date=DAY, currency=STRING, total=AMOUNT, balance=AMOUNT, status=STRING)
INVOICE = {**INVOICE_SUMMARY, "properties": {
    **INVOICE_SUMMARY["properties"], "agreement_id": STRING, "lines": array(ANY_OBJECT), "subtotal": AMOUNT,
    "tax_rate": STRING, "tax": AMOUNT, "issued_at": INSTANT, "paid_on": nullable(DAY), "note": nullable(STRING)}}
INVOICE["required"] = sorted(INVOICE["properties"])

OPERATIONS = [
    operation("GET", "/v1/invoices", "The calling licensee's invoices, oldest first", AGENT,
              ok=obj(invoices=array(INVOICE_SUMMARY))),
    operation("GET", "/v1/invoices/{number}", "One of the licensee's invoices", AGENT, ok=INVOICE),
    operation("GET", "/v1/invoices/{number}/print", "The printable invoice page", AGENT, ok={"type": "string"},
              media="text/html"),
]
