"""Billing as staff and licensees meet it: `./kefu` commands and the invoice routes over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from chalicelib import bootstrap
from chalicelib.cli import install_all
from chalicelib.core.clock import FixedClock
from chalicelib.metrics import MemorySink
from chalicelib.settings import Settings
from tests.factories import Factory
from tests.integration.billing.conftest import KeptMail, schedule, shanghai

cli = install_all()


@pytest.fixture
def services(settings: Settings, tables: None, clock: FixedClock, metrics: MemorySink) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(settings, clock, metrics, mailer=KeptMail())
    bootstrap.use(built)
    yield built
    bootstrap.use(None)


def test_staff_set_fees_run_billing_for_a_date_read_invoices_record_payments_and_see_the_statement(
        kefu, factory: Factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    merchant = factory.merchant()
    licensee = merchant.licensee_id
    kefu("fees", "add", licensee, "--id", "usage", "--kind", "usage", "--description", "System usage fee",
         "--amount", "1200", "--cadence", "monthly", "--start", "2026-01-01")
    kefu("fees", "add", licensee, "--id", "maintenance", "--kind", "maintenance", "--description", "Maintenance",
         "--amount", "6000.00", "--cadence", "yearly", "--start", "2026-01-01")
    kefu("fees", "terms", licensee, "--late-fee-rate", "0.001", "--grace-days", "10", "--renewal-reminders", "60,30")
    shown = json.loads(kefu("fees", "show", licensee, "--json"))
    assert shown["terms"]["late_fee_rate_per_day"] == "0.001" and shown["next_due"] == "2026-01-01"
    dry = json.loads(kefu("billing", "run", "--date", "2026-03-01", "--dry-run", "--json"))
    assert [i["total"] for i in dry["invoices"] if i["licensee"] == licensee] == ["9600.00"]
    assert json.loads(kefu("invoices", "list", "--licensee", licensee, "--json")) == []
    kefu("billing", "run", "--date", "2026-03-01")
    [invoice] = json.loads(kefu("invoices", "list", "--licensee", licensee, "--status", "open", "--json"))
    assert set(invoice) >= {"number", "licensee", "period", "total", "status", "due_date"}
    assert invoice["total"] == "9600.00" and invoice["due_date"] == "2026-03-31"
    page = tmp_path / "invoice.html"
    shown_invoice = kefu("invoices", "show", invoice["number"], "--html", str(page))
    assert "TOTAL CNY" in shown_invoice and invoice["number"] in page.read_text()
    reference = f"BT-{licensee}"
    kefu("payments", "record", licensee, "--amount", "10000.00", "--method", "bank_transfer", "--reference",
         reference, "--date", "2026-03-05")
    refused = kefu("payments", "record", licensee, "--amount", "1", "--method", "bank_transfer", "--reference",
                   reference.upper(), expect=2)
    assert "DUPLICATE_PAYMENT_REFERENCE" in refused
    statement = json.loads(kefu("statement", licensee, "--json"))
    assert statement["owed"] == "0.00" and statement["credit"] == "400.00"
    notices = json.loads(kefu("notices", "list", licensee, "--json"))
    assert [n["kind"] for n in notices] == ["invoice"] and notices[0]["delivery"] == "sent"
    kefu("force-majeure", "add", "--start", "2026-04-01", "--end", "2026-04-03", "--reason", "flood",
         "--licensee", licensee)
    assert any(p["reason"] == "flood" for p in json.loads(kefu("force-majeure", "list", "--json")))


def test_jobs_are_listed_and_any_job_runs_on_demand_for_a_date(kefu, factory: Factory, services) -> None:  # type: ignore[no-untyped-def]
    names = [j["name"] for j in json.loads(kefu("jobs", "list", "--json"))]
    assert {"billing-run", "overdue-run", "renewal-run"} <= set(names)
    merchant = factory.merchant()
    services.billing.set_schedule(merchant.licensee_id, schedule(), None, "test")
    result = json.loads(kefu("jobs", "run", "billing-run", "--date", "2026-02-01", "--json"))
    assert result["day"] == "2026-02-01"
    assert [i for i in result["invoices"] if i["licensee"] == merchant.licensee_id]
    assert "No scheduled job named" in kefu("jobs", "run", "nope", expect=2)


def test_a_licensee_reads_and_prints_its_own_invoices_but_never_another_licensees(api, factory: Factory,
                                                                                   services) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = factory.merchant(), factory.merchant()
    for merchant in (mine, theirs):
        services.billing.set_schedule(merchant.licensee_id, schedule(), None, "test")
        services.billing.bill_now(merchant.licensee_id, shanghai(date(2026, 6, 15)))
    auth = {"authorization": f"Bearer {mine.agent_key}"}
    status, body, _ = api.call("GET", "/v1/invoices", headers=auth)
    assert status == 200 and [i["licensee"] for i in body["invoices"]] == [mine.licensee_id]
    number = body["invoices"][0]["number"]
    status, body, _ = api.call("GET", f"/v1/invoices/{number}", headers=auth)
    assert status == 200 and body["total"] == "14700.00"
    page = api.http.request("GET", f"/v1/invoices/{number}/print", headers=auth)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert number.encode() in page.body
    [other] = services.billing.invoices(theirs.licensee_id)
    status, body, _ = api.call("GET", f"/v1/invoices/{other.number}", headers=auth)
    assert status == 404 and body["error"]["code"] == "UNKNOWN_INVOICE"
    status, body, _ = api.call("GET", "/v1/invoices")
    assert status == 401


def test_staff_change_seats_and_terminate_in_licensing_and_the_daily_job_bills_both_without_billing_commands(
        kefu, factory: Factory) -> None:  # type: ignore[no-untyped-def]
    licensee = factory.merchant().licensee_id  # 3 seats from 2026-01-01

    def billed(day: str) -> list[dict]:  # type: ignore[type-arg]
        report = json.loads(kefu("jobs", "run", "billing-run", "--date", day, "--json"))
        return [i for i in report["invoices"] if i["licensee"] == licensee]

    kefu("fees", "add", licensee, "--id", "seats", "--kind", "usage", "--description", "Agent seats",
         "--amount", "100.00", "--cadence", "monthly", "--start", "2026-01-01", "--per", "seat")
    assert "per seat (licensed)" in kefu("fees", "show", licensee)
    assert [i["total"] for i in billed("2026-06-01")] == ["1800.00"]
    kefu("licenses", "amend", licensee, "--effective", "2026-06-16", "--seats", "5")
    assert [i["total"] for i in billed("2026-06-16")] == ["100.00"]  # -150.00 for 3 seats, +250.00 for 5
    kefu("licenses", "terminate", licensee, "--effective", "2026-06-20", "--reason", "by notice")
    [settlement] = billed("2026-06-20")
    # June is owed for 19 days (15 at 3 seats, 4 at 5): 216.67 of the 400.00 billed, so -183.33; plus the
    # 1900.00 unpaid.
    assert settlement["kind"] == "settlement" and settlement["total"] == "1716.67"
    assert billed("2026-06-20") == []
