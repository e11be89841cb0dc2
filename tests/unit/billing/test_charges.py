from datetime import date, timedelta
from decimal import Decimal

import pytest

from chalicelib.billing.charges import ChargeKey, ChargeReason, charges_between, due_charges
from chalicelib.billing.fees import DeliveredSession, FeeChange, FeeKind, Timing
from chalicelib.billing.periods import Cadence, DateRange
from tests.unit.billing.helpers import fee, window


def test_an_advance_fee_comes_due_on_the_first_day_of_its_period() -> None:
    item = fee("3100.00", start=date(2028, 1, 1))
    assert due_charges([item], window(), date(2028, 1, 31)) == []
    (charge,) = due_charges([item], window(), date(2028, 2, 1))
    assert charge.key == ChargeKey("agreement-1", "usage", date(2028, 2, 1), date(2028, 2, 29))
    assert charge.amount == Decimal("3100.00")
    assert charge.covered == DateRange(date(2028, 2, 1), date(2028, 2, 29))


def test_an_arrears_fee_comes_due_on_the_day_after_its_period_ends() -> None:
    item = fee("3100.00", start=date(2028, 1, 1), timing=Timing.ARREARS)
    assert due_charges([item], window(), date(2028, 2, 29)) == []
    (charge,) = due_charges([item], window(), date(2028, 3, 1))
    assert charge.period == DateRange(date(2028, 2, 1), date(2028, 2, 29))
    assert charge.amount == Decimal("3100.00")


def test_a_one_off_fee_comes_due_on_its_start_date_only() -> None:
    item = fee("5000.00", start=date(2028, 3, 15), cadence=Cadence.ONE_OFF, kind=FeeKind.OTHER, id="setup")
    assert [c.amount for c in due_charges([item], window(), date(2028, 3, 15))] == [Decimal("5000.00")]
    assert due_charges([item], window(), date(2028, 3, 16)) == []
    assert len(charges_between([item], window(), date(2028, 1, 1), date(2030, 12, 31))) == 1


def test_quantity_multiplies_the_unit_amount() -> None:
    item = fee("100.00", start=date(2028, 1, 1), quantity=7)
    (charge,) = due_charges([item], window(), date(2028, 1, 1))
    assert (charge.quantity, charge.unit_amount, charge.amount) == (7, Decimal("100.00"), Decimal("700.00"))


def test_a_license_starting_mid_period_is_charged_for_the_days_used_of_the_anchored_period() -> None:
    # The fee is anchored on 31 Jan; the license starts 10 Feb: 19 of the period's 29 days.
    item = fee("2900.00", start=date(2028, 1, 31))
    (charge,) = due_charges([item], window(start=date(2028, 2, 10)), date(2028, 2, 10))
    assert charge.key.period_start == date(2028, 1, 31)
    assert charge.key.period_end == date(2028, 2, 28)
    assert charge.covered == DateRange(date(2028, 2, 10), date(2028, 2, 28))
    assert charge.amount == Decimal("1900.00")
    assert "19/29 days" in charge.description


def test_an_agreement_ending_mid_period_is_charged_in_arrears_for_the_days_used() -> None:
    item = fee("3100.00", start=date(2028, 1, 1), timing=Timing.ARREARS)
    agreement = window(end=date(2028, 3, 10))
    (charge,) = due_charges([item], agreement, date(2028, 3, 11))
    assert charge.amount == Decimal("1000.00")  # 10 of 31 days
    assert charges_between([item], agreement, date(2028, 3, 12), date(2029, 1, 1)) == []


def test_proration_rounds_once_half_up() -> None:
    item = fee("100.00", start=date(2028, 1, 1))
    (charge,) = due_charges([item], window(start=date(2028, 1, 17)), date(2028, 1, 17))
    assert charge.amount == Decimal("48.39")  # 100 * 15 / 31 = 48.387…


def test_nothing_is_charged_outside_the_fee_items_own_dates() -> None:
    item = fee("100.00", start=date(2028, 1, 1), end=date(2028, 1, 15), timing=Timing.ARREARS)
    charges = charges_between([item], window(), date(2028, 1, 1), date(2028, 12, 31))
    assert [(c.due_on, c.amount) for c in charges] == [(date(2028, 1, 16), Decimal("48.39"))]


def test_a_catch_up_run_issues_exactly_what_daily_runs_would_have() -> None:
    items = [
        fee("3100.00", start=date(2028, 1, 31)),
        fee("900.00", start=date(2028, 1, 1), cadence=Cadence.QUARTERLY, timing=Timing.ARREARS, id="support"),
        fee("12000.00", start=date(2028, 1, 1), cadence=Cadence.YEARLY, id="maintenance"),
        fee("5000.00", start=date(2028, 2, 3), cadence=Cadence.ONE_OFF, id="setup"),
    ]
    agreement = window(start=date(2028, 1, 10), end=date(2029, 6, 30))
    daily = []
    day = date(2028, 1, 1)
    while day <= date(2029, 8, 1):
        daily.extend(due_charges(items, agreement, day))
        day += timedelta(days=1)
    caught_up = charges_between(items, agreement, date(2028, 1, 1), date(2029, 8, 1))
    assert caught_up == daily
    assert len({c.key for c in caught_up}) == len(caught_up)
    split = charges_between(items, agreement, date(2028, 1, 1), date(2028, 6, 30)) + charges_between(
        items, agreement, date(2028, 7, 1), date(2029, 8, 1)
    )
    assert split == caught_up


def test_charges_between_refuses_a_backwards_range() -> None:
    with pytest.raises(ValueError, match="back to"):
        charges_between([fee()], window(), date(2028, 2, 1), date(2028, 1, 1))


def test_an_advance_amendment_mid_period_credits_the_old_fee_and_charges_the_new_one() -> None:
    # 3 seats at 100 per month; on 10 March 2028 the licensee goes to 5 seats. March has 31 days,
    # 22 of them (10–31 March) at the new quantity.
    item = fee(
        "100.00", start=date(2028, 1, 1), quantity=3, changes=(FeeChange(date(2028, 3, 10), quantity=5),)
    )
    (period_charge,) = due_charges([item], window(), date(2028, 3, 1))
    assert period_charge.amount == Decimal("300.00")
    credit, charge = sorted(due_charges([item], window(), date(2028, 3, 10)), key=lambda c: c.amount)
    assert credit.key.reason is ChargeReason.AMENDMENT_CREDIT
    assert charge.key.reason is ChargeReason.AMENDMENT_CHARGE
    assert credit.key.reference == charge.key.reference == "2028-03-10"
    assert credit.amount == Decimal("-212.90")  # 300 - 300 * 9 / 31 (87.10 used)
    assert charge.amount == Decimal("354.84")  # 500 * 22 / 31
    assert (credit.quantity, charge.quantity) == (3, 5)
    assert credit.covered == charge.covered == DateRange(date(2028, 3, 10), date(2028, 3, 31))
    assert period_charge.amount + credit.amount + charge.amount == Decimal("87.10") + Decimal("354.84")
    (april,) = due_charges([item], window(), date(2028, 4, 1))
    assert april.amount == Decimal("500.00")


def test_an_amendment_on_the_first_day_of_a_period_needs_no_credit() -> None:
    item = fee(
        "100.00", start=date(2028, 1, 1), changes=(FeeChange(date(2028, 3, 1), amount=Decimal("120.00")),)
    )
    charges = charges_between([item], window(), date(2028, 3, 1), date(2028, 3, 31))
    assert [(c.key.reason, c.amount) for c in charges] == [(ChargeReason.PERIOD, Decimal("120.00"))]


def test_two_amendments_in_one_period_leave_the_exact_prorated_price_of_each_stretch() -> None:
    changes = (
        FeeChange(date(2028, 3, 11), amount=Decimal("200.00")),
        FeeChange(date(2028, 3, 21), amount=Decimal("50.00")),
    )
    item = fee("310.00", start=date(2028, 1, 1), changes=changes)
    march = charges_between([item], window(), date(2028, 3, 1), date(2028, 3, 31))
    assert len(march) == 5
    # 310 * 10/31 + 200 * 10/31 + 50 * 11/31 = 100.00 + 64.52 + 17.74
    assert sum(c.amount for c in march) == Decimal("182.26")


def test_an_arrears_amendment_mid_period_charges_each_stretch_at_its_own_price() -> None:
    item = fee(
        "3100.00",
        start=date(2028, 1, 1),
        timing=Timing.ARREARS,
        changes=(FeeChange(date(2028, 3, 11), amount=Decimal("6200.00")),),
    )
    charges = due_charges([item], window(), date(2028, 4, 1))
    assert [(c.key.reason, c.covered, c.amount) for c in charges] == [
        (ChargeReason.AMENDMENT_CHARGE, DateRange(date(2028, 3, 11), date(2028, 3, 31)), Decimal("4200.00")),
        (ChargeReason.PERIOD, DateRange(date(2028, 3, 1), date(2028, 3, 10)), Decimal("1000.00")),
    ]


def test_per_session_fees_are_charged_per_delivered_session_with_the_session_in_the_key() -> None:
    item = fee(
        "800.00", start=date(2028, 1, 1), cadence=Cadence.PER_SESSION, timing=Timing.ARREARS, id="training"
    )
    sessions = [
        DeliveredSession("training", "s1", date(2028, 2, 3)),
        DeliveredSession("training", "s2", date(2028, 2, 3)),
        DeliveredSession("training", "s3", date(2031, 1, 5)),  # after the agreement: not billable
    ]
    charges = due_charges([item], window(), date(2028, 2, 4), sessions)
    assert [(c.key.reason, c.key.reference, c.amount) for c in charges] == [
        (ChargeReason.SESSION, "s1", Decimal("800.00")),
        (ChargeReason.SESSION, "s2", Decimal("800.00")),
    ]
    assert charges_between([item], window(), date(2028, 1, 1), date(2031, 12, 31), sessions) == charges


def test_a_session_for_an_unknown_or_recurring_fee_item_is_refused_not_dropped() -> None:
    with pytest.raises(ValueError, match="unknown fee item"):
        due_charges([fee()], window(), date(2028, 1, 1), [DeliveredSession("nope", "s1", date(2028, 1, 1))])
    with pytest.raises(ValueError, match="monthly fee item"):
        due_charges([fee()], window(), date(2028, 1, 1), [DeliveredSession("usage", "s1", date(2028, 1, 1))])


def test_fee_items_must_have_distinct_ids() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        due_charges([fee(), fee()], window(), date(2028, 1, 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": "-1.00"}, "negative"),
        ({"amount": "1.005"}, "fraction of a fen"),
        ({"end": date(2027, 12, 31)}, "before it starts"),
        ({"quantity": -1}, "negative"),
        ({"changes": (FeeChange(date(2028, 1, 1), quantity=2),)}, "after its start"),
        (
            {"changes": (FeeChange(date(2028, 3, 1), quantity=2), FeeChange(date(2028, 2, 1), quantity=3))},
            "date order",
        ),
    ],
)
def test_a_fee_item_with_impossible_facts_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fee(**kwargs)  # type: ignore[arg-type]
