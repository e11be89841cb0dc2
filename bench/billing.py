"""The billing run: capacity units and invoices per second for 1,000 due agreements among 10,000, and the
same run with 1,000 due among 1,000. The run reads the due-date index, not the table, so its read capacity
must not grow with the agreements that are not due (goal: ratio within 0.9-1.1)."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Any

from bench.harness import BenchEnv, Figure

DUE = 1000
START = date(2026, 1, 1)
RUN_DAY = date(2026, 6, 1)


class NullMailer:
    def send(self, mail: Any) -> Any:
        from chalicelib.core.mailer import SentMail

        return SentMail("bench", "bench@kefu.bench")


def schedule() -> tuple[Any, ...]:
    """What a merchant's agreement bills each month, as a licensor writes it: usage, support and agent seats,
    each described in Chinese and English (three lines on every invoice, three charges claimed)."""
    from decimal import Decimal

    from chalicelib.billing.fees import FeeItem, FeeKind, Timing
    from chalicelib.billing.periods import Cadence

    return (FeeItem("usage", FeeKind.USAGE, "系统使用费（聊天、邮件、电话）System usage fee (chat, email, phone)",
                    Decimal("1200.00"), Cadence.MONTHLY, Timing.ADVANCE, START),
            FeeItem("support", FeeKind.SUPPORT, "技术支持服务费 Technical support", Decimal("300.00"),
                    Cadence.MONTHLY, Timing.ADVANCE, START),
            FeeItem("seats", FeeKind.OTHER, "坐席费（3 个坐席）Agent seats (3)", Decimal("100.00"), Cadence.MONTHLY,
                    Timing.ADVANCE, START, quantity=3))


def seed(total: int, due: int) -> None:
    """`total` licensees with a signed agreement and a monthly fee schedule of three fees; `due` of them due on
    RUN_DAY. Written with BatchWriteItem, as a migration would, to keep the benchmark quick."""
    from chalicelib.billing.items import BillingItem, account_item
    from chalicelib.billing.model import Account, AccountTerms
    from chalicelib.licensing.store import AgreementItem, LicensingItem, PartyItem, PeriodItem, TermsItem

    fees = schedule()
    created = datetime(2025, 12, 20, tzinfo=UTC)
    with LicensingItem.batch_write() as licensing, BillingItem.batch_write() as billing:
        for n in range(total):
            licensee_id = f"lic_bench{n:06d}"
            pk = f"LICENSEE#{licensee_id}"
            licensing.save(PartyItem(pk=pk, sk="PROFILE", directory="licensee", full_name=f"Bench Shop {n}",
                                     short_name=f"Bench {n}", address="1 Bench Road", contact_person="Bench",
                                     phone="+86 21 0000 0000", created_at=created))
            licensing.save(AgreementItem(pk=pk, sk="AGREEMENT", agreement_id=f"agr_bench{n:06d}",
                                         signed_on=START.isoformat(), signatories=[], place="Hangzhou",
                                         effective_date=START.isoformat(), term_years=1, revision=1))
            licensing.save(TermsItem(pk=pk, sk="TERMS#000001", version=1, effective_date=START.isoformat(),
                                     channels=["chat"], seats=3, payment_terms_days=30,
                                     notice_address=f"billing{n}@bench.example"))
            licensing.save(PeriodItem(pk=pk, sk="PERIOD#000001", number=1, start=START.isoformat(),
                                      end="2026-12-31", period_kind="initial"))
            is_due = n < due
            billing.save(account_item(Account(
                licensee_id=licensee_id, agreement_id=f"agr_bench{n:06d}", fee_items=fees, terms=AccountTerms(),
                billed_through=date(2026, 5, 31) if is_due else RUN_DAY,
                next_due=RUN_DAY if is_due else date(2026, 7, 1), revision=1)))


def scenario(env: BenchEnv, total: int) -> tuple[Any, float, int]:
    from chalicelib.adapters import dynamodb
    from chalicelib.core.clock import FixedClock

    built = env.build(FixedClock(datetime(2026, 6, 1, 4, 0, tzinfo=UTC)))
    for table in built.tables:  # a fresh database for each scenario
        table.delete_table()
    dynamodb.ensure_tables(built.tables)
    seed(total, DUE)
    built.billing.mailer = NullMailer()
    now = datetime(2026, 5, 31, 16, 5, tzinfo=UTC)  # 00:05 on 1 June in Shanghai
    with env.capacity() as used:
        started = time.perf_counter()
        report = built.billing.run_billing(now)
        elapsed = time.perf_counter() - started
    elapsed -= used.pricing_seconds  # the meter's own reads of each transaction's items are not the run's time
    assert len(report.invoices) == DUE and not report.errors, json.dumps(report.as_dict())[:500]
    return used, elapsed, len(report.invoices)


def run(env: BenchEnv) -> list[Figure]:
    many, many_seconds, issued = scenario(env, 10 * DUE)
    few, few_seconds, _ = scenario(env, DUE)
    ratio = many.read / few.read if few.read else float("inf")
    wcu = many.write / issued
    reported = many.reported_write / issued
    return [
        Figure("invoices issued (1,000 due among 10,000)", issued, "invoices"),
        Figure("read capacity, 1,000 due among 10,000", round(many.read, 1), "RCU", note=f"{many.calls}"),
        Figure("write capacity, 1,000 due among 10,000", round(many.write, 1), "WCU"),
        Figure("read capacity units per invoice", round(many.read / issued, 2), "RCU"),
        Figure("write capacity units per invoice", round(wcu, 2), "WCU", "<= 8", wcu <= 8,
               note="at AWS's prices; three lines: one transaction of invoice, number, 3 charge claims, notice, "
                    "account, audit"),
        Figure("write capacity units per invoice as DynamoDB Local reports them", round(reported, 2), "WCU",
               note="4 per distinct shape of write in a transaction, not per item"),
        Figure("invoices/s on DynamoDB Local (10,000 agreements)", round(issued / many_seconds, 1), "per s"),
        Figure("invoices/s on DynamoDB Local (1,000 agreements)", round(DUE / few_seconds, 1), "per s"),
        Figure("read capacity: among 10,000 / among 1,000", round(ratio, 3), "ratio", "0.9-1.1",
               0.9 <= ratio <= 1.1, note=f"{few.read:.1f} RCU among 1,000"),
    ]
