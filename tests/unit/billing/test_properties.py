"""Properties that must hold for any facts: money is never created, lost or billed twice."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.billing.charges import charges_between
from chalicelib.billing.fees import FeeChange, FeeItem, Timing
from chalicelib.billing.invoices import BillingTerms, OpenInvoice, allocate
from chalicelib.billing.periods import Cadence, DateRange, period_containing
from chalicelib.billing.settlement import AccountPosition, settlement
from chalicelib.core.money import from_fen, prorate
from tests.unit.billing.helpers import fee, window

FEN = Decimal("0.01")
amounts = st.integers(min_value=0, max_value=10**9).map(from_fen)
days_2028_2029 = st.integers(min_value=0, max_value=730).map(lambda n: date(2028, 1, 1) + timedelta(days=n))
cadences = st.sampled_from([Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.YEARLY])
timings = st.sampled_from([Timing.ADVANCE, Timing.ARREARS])


@given(
    amount=amounts,
    anchor=days_2028_2029,
    cadence=cadences,
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=4),
)
def test_prorated_pieces_of_a_split_period_add_up_to_the_whole_within_half_a_fen_per_piece(
    amount: Decimal, anchor: date, cadence: Cadence, cuts: list[int]
) -> None:
    period = period_containing(anchor, cadence, anchor)
    offsets = sorted({cut % period.days for cut in cuts} - {0})
    bounds = [0, *offsets, period.days]
    pieces = [prorate(amount, end - start, period.days) for start, end in itertools.pairwise(bounds)]
    assert abs(sum(pieces) - amount) <= FEN * len(pieces) / 2
    if len(pieces) == 2:
        assert abs(sum(pieces) - amount) <= FEN


@given(
    payment=amounts,
    balances=st.lists(st.tuples(st.integers(min_value=0, max_value=10**8), days_2028_2029), max_size=8),
)
def test_allocation_never_creates_or_loses_a_fen(payment: Decimal, balances: list[tuple[int, date]]) -> None:
    invoices = [OpenInvoice(f"INV-{n}", due, from_fen(fen)) for n, (fen, due) in enumerate(balances)]
    allocation = allocate(payment, invoices)
    applied = sum((a.amount for a in allocation.applied), Decimal(0))
    assert applied + allocation.credit == payment
    before = sum((i.balance for i in invoices), Decimal(0))
    after = sum((i.balance for i in allocation.open_invoices), Decimal(0))
    assert before - applied == after
    assert allocation.credit >= 0
    assert allocation.credit == 0 or after == 0  # credit only once everything is paid
    by_id = {i.invoice_id: i.balance for i in invoices}
    assert all(0 < a.amount <= by_id[a.invoice_id] for a in allocation.applied)


def items_with_changes() -> st.SearchStrategy[list[FeeItem]]:
    change = st.tuples(
        st.integers(min_value=1, max_value=700),
        st.integers(min_value=0, max_value=10**7),
        st.integers(min_value=1, max_value=9),
    )

    def build(
        start: date, cadence: Cadence, timing: Timing, fen: int, raw: list[tuple[int, int, int]], n: int
    ) -> FeeItem:
        effective = sorted({start + timedelta(days=offset): (f, q) for offset, f, q in raw}.items())
        changes = tuple(FeeChange(day, amount=from_fen(f), quantity=q) for day, (f, q) in effective)
        return fee(
            str(from_fen(fen)), start=start, cadence=cadence, timing=timing, changes=changes, id=f"fee-{n}"
        )

    item = st.tuples(days_2028_2029, cadences, timings, st.integers(0, 10**7), st.lists(change, max_size=3))
    return st.lists(item, min_size=1, max_size=3).map(
        lambda raw: [build(*fields, n) for n, fields in enumerate(raw)]
    )


@settings(max_examples=60, deadline=None)
@given(items=items_with_changes(), split=days_2028_2029)
def test_billing_runs_split_anywhere_issue_each_charge_exactly_once(
    items: list[FeeItem], split: date
) -> None:
    agreement = window(start=date(2028, 2, 10), end=date(2030, 3, 31))
    whole = charges_between(items, agreement, date(2028, 1, 1), date(2030, 12, 31))
    first = charges_between(items, agreement, date(2028, 1, 1), split)
    rest = charges_between(items, agreement, split + timedelta(days=1), date(2030, 12, 31))
    assert first + rest == whole
    assert len({c.key for c in whole}) == len(whole)


@settings(max_examples=60, deadline=None)
@given(items=items_with_changes(), billed_through=days_2028_2029, termination=days_2028_2029)
def test_invoiced_plus_settlement_is_exactly_what_the_days_of_service_cost(
    items: list[FeeItem], billed_through: date, termination: date
) -> None:
    agreement = window(start=date(2028, 1, 1), end=date(2030, 3, 31))
    invoiced = charges_between(items, agreement, date(2028, 1, 1), billed_through)
    final = settlement(
        items,
        agreement,
        termination,
        invoiced,
        AccountPosition(),
        Decimal("0.00"),
        terms=BillingTerms(),
        issue_date=termination,
    )
    cut = window(start=date(2028, 1, 1), end=max(termination - timedelta(days=1), date(2028, 1, 1)))
    owed = sum(
        (c.amount for c in charges_between(items, cut, date(2028, 1, 1), date(2031, 1, 1))), Decimal(0)
    )
    if termination == date(2028, 1, 1):
        owed = Decimal(0)
    assert sum((c.amount for c in invoiced), Decimal(0)) + final.total == owed


@settings(max_examples=60, deadline=None)
@given(items=items_with_changes())
def test_advance_and_arrears_billing_cost_the_same_for_the_same_days(items: list[FeeItem]) -> None:
    agreement = window(start=date(2028, 1, 1), end=date(2029, 12, 31))

    def total(timing: Timing) -> Decimal:
        same = [FeeItem(**{**vars(item), "timing": timing}) for item in items]
        charges = charges_between(same, agreement, date(2028, 1, 1), date(2030, 1, 1))
        return sum((c.amount for c in charges), Decimal(0))

    assert total(Timing.ADVANCE) == total(Timing.ARREARS)


def test_a_date_range_counts_both_ends() -> None:
    assert DateRange(date(2028, 2, 28), date(2028, 3, 1)).days == 3
