"""What billing reads of a license, once per account: the days to bill, the terms billing has taken in, and
when the account is next due. Pure: licenses are built here as values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from chalicelib.billing.facts import LicenseFacts, caught_up, renewal_next, rescheduled
from chalicelib.billing.fees import Per
from chalicelib.billing.model import Account, AccountTerms
from chalicelib.licensing.model import Agreement, Channel, EventKind, License, LicenseEvent, Period, Terms
from tests.unit.billing.helpers import fee

START = date(2028, 1, 1)


def terms(version: int, effective: date, seats: int = 3, address: str = "a@shop.example") -> Terms:
    return Terms(version, effective, frozenset({Channel.CHAT}), seats, 30, address)


def license_(*versions: Terms, periods: tuple[Period, ...] = (Period(1, START, date(2028, 12, 31), "initial"),),
             terminated_on: date | None = None) -> License:
    events = () if terminated_on is None else (
        LicenseEvent(1, EventKind.TERMINATE, datetime(2028, 3, 1, tzinfo=UTC), terminated_on, "by notice"),)
    agreement = Agreement("lic_1", "agr_1", START, (), "Hangzhou", START, 1)
    return License(agreement, versions or (terms(1, START),), periods, events)


def account(**changes: object) -> Account:
    base = Account("lic_1", "agr_1", (fee("100.00", start=START),), AccountTerms(), terms_version=1)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_license_not_terminated_is_billed_over_its_whole_window() -> None:
    facts = LicenseFacts.of(license_())
    assert facts.billable == facts.window and (facts.window.start, facts.window.end) == (START, date(2028, 12, 31))
    assert not facts.terminated and facts.terminated_on is None


def test_a_termination_cuts_the_days_to_bill_the_day_before_it_takes_effect() -> None:
    facts = LicenseFacts.of(license_(terminated_on=date(2028, 6, 15)))
    assert facts.billable is not None and facts.billable.end == date(2028, 6, 14)
    assert facts.window.end == date(2028, 12, 31)


def test_a_termination_effective_on_the_first_day_leaves_nothing_to_bill() -> None:
    assert LicenseFacts.of(license_(terminated_on=START)).billable is None


def test_days_between_a_lapsed_period_and_its_extension_are_a_gap() -> None:
    periods = (Period(1, START, date(2028, 12, 31), "initial"), Period(2, date(2029, 2, 1), date(2029, 12, 31),
                                                                      "extension"))
    facts = LicenseFacts.of(license_(periods=periods))
    assert [(g.start, g.end) for g in facts.gaps] == [(date(2029, 1, 1), date(2029, 1, 31))]


def test_the_terms_on_a_day_are_the_latest_version_in_force_then() -> None:
    facts = LicenseFacts.of(license_(terms(1, START), terms(2, date(2028, 4, 1), address="b@shop.example")))
    assert facts.terms_on(date(2028, 3, 31)).notice_address == "a@shop.example"
    assert facts.terms_on(date(2028, 4, 1)).notice_address == "b@shop.example"
    assert facts.latest_version == 2


def test_a_new_version_of_seats_on_a_day_already_billed_moves_a_per_seat_account_back_the_day_before() -> None:
    facts = LicenseFacts.of(license_(terms(1, START), terms(2, date(2028, 3, 16), seats=5)))
    per_seat = account(fee_items=(replace(fee("100.00", start=START), per=Per.SEAT),),
                       billed_through=date(2028, 3, 31))
    moved = caught_up(per_seat, facts)
    assert (moved.billed_through, moved.terms_version) == (date(2028, 3, 15), 2)


def test_a_new_version_that_changes_only_the_address_moves_nothing_back() -> None:
    facts = LicenseFacts.of(license_(terms(1, START), terms(2, date(2028, 3, 16), address="b@shop.example")))
    per_seat = account(fee_items=(replace(fee("100.00", start=START), per=Per.SEAT),),
                       billed_through=date(2028, 3, 31))
    assert caught_up(per_seat, facts).billed_through == date(2028, 3, 31)


def test_the_next_due_date_is_the_next_charge_or_the_termination() -> None:
    facts = LicenseFacts.of(license_())
    assert rescheduled(account(billed_through=date(2028, 1, 31)), facts).next_due == date(2028, 2, 1)
    ending = LicenseFacts.of(license_(terminated_on=date(2028, 2, 10)))
    assert rescheduled(account(billed_through=date(2028, 2, 1)), ending).next_due == date(2028, 2, 10)
    assert rescheduled(account(settled=True), facts).next_due is None


def test_renewal_reminders_are_looked_at_on_their_days_then_once_after_the_end() -> None:
    facts = LicenseFacts.of(license_())
    end = date(2028, 12, 31)
    assert renewal_next(facts, (60, 30, 7), [], date(2028, 6, 1)) == date(2028, 11, 1)
    sent = [f"{end.isoformat()}#{d}" for d in (60, 30, 7)]
    assert renewal_next(facts, (60, 30, 7), sent, date(2028, 12, 25)) == date(2029, 1, 1)
    assert renewal_next(LicenseFacts.of(license_(terminated_on=date(2028, 8, 1))), (60,), [], date(2028, 6, 1)) is None
