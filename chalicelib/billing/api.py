"""Billing routes for a licensee's own invoices, authorised by one of its agent keys. A suspended licensee
can still read its invoices (it needs them to pay); another licensee's invoice is simply not found."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.core.http import json_response
from chalicelib.licensing.guard import identify_agent

billing_api = Blueprint(__name__)


def _licensee() -> str:
    validation = identify_agent(billing_api.current_request, services().licensing, None)
    assert validation.licensee_id is not None
    return validation.licensee_id


@billing_api.route("/v1/invoices", methods=["GET"])
def own_invoices() -> Response:
    """The calling licensee's invoices, oldest first."""
    licensee_id = _licensee()
    return json_response({"invoices": [i.summary() for i in services().billing.invoices(licensee_id)]})


@billing_api.route("/v1/invoices/{number}", methods=["GET"])
def own_invoice(number: str) -> Response:
    licensee_id = _licensee()
    return json_response(services().billing.own_invoice(licensee_id, number).as_dict())


@billing_api.route("/v1/invoices/{number}/print", methods=["GET"])
def own_invoice_page(number: str) -> Response:
    """The printable invoice page (HTML)."""
    licensee_id = _licensee()
    billing = services().billing
    page = billing.invoice_page(billing.own_invoice(licensee_id, number))
    return Response(body=page, status_code=200, headers={"Content-Type": "text/html; charset=utf-8",
                                                         "Cache-Control": "no-store",
                                                         "Content-Security-Policy": "default-src 'none'; "
                                                         "style-src 'unsafe-inline'"})
