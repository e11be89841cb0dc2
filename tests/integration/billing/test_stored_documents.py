"""An invoice's documents ride in its items deflated: the account's fee schedule, the invoice's lines and the
notice's text. They read back as written, an invoice of three Chinese lines stays under the KB its writes and
index entries are billed by, and items written before the documents were deflated are read as they were."""

from __future__ import annotations

import json
import zlib
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib import bootstrap
from chalicelib.adapters import dynamodb
from chalicelib.billing.fees import FeeItem, FeeKind, Timing
from chalicelib.billing.periods import Cadence
from tests.integration.billing.conftest import shanghai

START = date(2026, 1, 1)
END = date(2026, 2, 28)  # tests share one database: these accounts are billed out by the tests' own runs
FEES = [
    FeeItem("usage", FeeKind.USAGE, "系统使用费（聊天、邮件、电话）System usage fee", Decimal("1200.00"),
            Cadence.MONTHLY, Timing.ADVANCE, START, END),
    FeeItem("support", FeeKind.SUPPORT, "技术支持服务费 Technical support", Decimal("300.00"), Cadence.MONTHLY,
            Timing.ADVANCE, START, END),
    FeeItem("seats", FeeKind.OTHER, "坐席费 Agent seats", Decimal("100.00"), Cadence.MONTHLY, Timing.ADVANCE, START,
            END, quantity=3),
]


def raw(services: bootstrap.Services, licensee_id: str, sk: str) -> dict[str, Any]:
    from chalicelib.billing.items import BillingItem

    client = dynamodb.connection().client
    found: dict[str, Any] = client.get_item(TableName=BillingItem.Meta.table_name, ConsistentRead=True,
                                            Key={"pk": {"S": f"BILLING#{licensee_id}"}, "sk": {"S": sk}})["Item"]
    return found


def size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item: names and values in bytes (strings UTF-8, binaries raw, numbers close)."""
    total = 0
    for name, value in item.items():
        (kind, data), = value.items()
        total += len(name.encode()) + (len(data) if kind == "B" else len(str(data).encode()))
    return total


def test_an_invoice_of_three_chinese_lines_is_stored_deflated_under_a_kb(services, billed) -> None:
    merchant = billed(FEES)
    services.billing.run_billing(shanghai(date(2026, 1, 1)))
    invoice = services.billing.invoices(merchant.licensee_id)[0]
    described = sorted(line["description"] for line in invoice.lines)
    assert len(described) == 3 and all(any(d.startswith(f.description) for d in described) for f in FEES)

    stored = raw(services, merchant.licensee_id, f"INVOICE#{invoice.number}")
    assert "lines" not in stored
    assert sorted(line["description"] for line in json.loads(zlib.decompress(stored["lines_z"]["B"]))) == described
    account = raw(services, merchant.licensee_id, "ACCOUNT")
    assert "fee_items" not in account and "系统使用费" in zlib.decompress(account["fee_items_z"]["B"]).decode()
    notice = raw(services, merchant.licensee_id, f"NOTICE#invoice#{invoice.number}")
    assert "text" not in notice and invoice.number in zlib.decompress(notice["text_z"]["B"]).decode()
    for item in (stored, account, notice):
        assert size(item) < 1024, (item["sk"], size(item))
    # what was mailed is the text kept
    kept = services.billing.ctx.store.notices(merchant.licensee_id, "invoice#")[0]
    assert "系统使用费" in kept.text and invoice.number in kept.subject
    services.billing.run_billing(shanghai(date(2026, 2, 1)))  # February, the schedule's last month


def test_items_written_before_the_documents_were_deflated_read_as_they_were(services, billed) -> None:
    from chalicelib.billing.items import BillingItem

    merchant = billed(FEES)
    services.billing.run_billing(shanghai(date(2026, 1, 1)))
    invoice = services.billing.invoices(merchant.licensee_id)[0]
    notice = services.billing.ctx.store.notices(merchant.licensee_id, "invoice#")[0]
    account = services.billing.ctx.store.account(merchant.licensee_id)
    client = dynamodb.connection().client
    written = (("ACCOUNT", "fee_items_z", "fee_items"), (f"INVOICE#{invoice.number}", "lines_z", "lines"),
               (f"NOTICE#invoice#{invoice.number}", "text_z", "text"))
    for sk, deflated, legacy in written:
        item = raw(services, merchant.licensee_id, sk)
        item[legacy] = {"S": zlib.decompress(item.pop(deflated)["B"]).decode()}  # as the earlier code wrote it
        client.put_item(TableName=BillingItem.Meta.table_name, Item=item)
        assert deflated not in raw(services, merchant.licensee_id, sk)

    assert services.billing.invoices(merchant.licensee_id)[0].lines == invoice.lines
    assert services.billing.ctx.store.notices(merchant.licensee_id, "invoice#")[0].text == notice.text
    assert services.billing.ctx.store.account(merchant.licensee_id) == account
    # and the next write of such an item deflates it
    services.billing.run_billing(shanghai(date(2026, 2, 1)))
    assert "fee_items_z" in raw(services, merchant.licensee_id, "ACCOUNT")
