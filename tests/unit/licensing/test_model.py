"""License status and validation are pure functions of facts: tested on boundary dates and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.licensing import model
from chalicelib.licensing.model import (
    Agreement,
    Channel,
    Code,
    EventKind,
    KeyKind,
    KeyRecord,
    License,
    LicenseEvent,
    Status,
    Terms,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOW = 30
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def key(key_id: str, kind: KeyKind = KeyKind.AGENT, created: int = 0, revoked: bool = False,
        origins: tuple[str, ...] = ()) -> KeyRecord:
    at = T0 + timedelta(minutes=created)
    return KeyRecord(key_id, kind, key_id[:6], at, at if revoked else None, origins)


def make(start: date = date(2026, 1, 1), years: int = 1, *, terms: tuple[Terms, ...] | None = None,
         events: tuple[LicenseEvent, ...] = (), keys: tuple[KeyRecord, ...] = (), extra_periods: int = 0) -> License:
    periods = [model.period_for(1, start, years, "initial")]
    for n in range(extra_periods):
        periods.append(model.period_for(n + 2, periods[-1].end + timedelta(days=1), 1, "extension"))
    agreement = Agreement("lic_1", "agr_1", start, (), "Hangzhou", start, years)
    terms = terms or (Terms(1, start, frozenset({Channel.CHAT, Channel.EMAIL}), 2, 30, "n@x.example"),)
    return License(agreement, terms, tuple(periods), events, keys)


def status_at(lic: License, instant: datetime) -> Status:
    return model.status(lic, instant, SHANGHAI, WINDOW)


def test_one_year_term_from_first_of_january_ends_on_31_december() -> None:
    assert model.period_for(1, date(2026, 1, 1), 1, "initial").end == date(2026, 12, 31)


def test_term_from_29_february_ends_the_day_before_its_clamped_anniversary() -> None:
    period = model.period_for(1, date(2028, 2, 29), 1, "initial")
    assert period.end == date(2029, 2, 27)
    assert model.period_for(2, period.end + timedelta(days=1), 1, "extension").start == date(2029, 2, 28)


def test_license_ending_today_is_valid_until_midnight_shanghai() -> None:
    lic = make(date(2026, 1, 1))
    assert status_at(lic, shanghai(2026, 12, 31, 23, 59, 59)) is Status.EXPIRING
    assert status_at(lic, shanghai(2027, 1, 1, 0, 0, 0)) is Status.EXPIRED
    # 16:00 UTC on 31 December is already 1 January in Shanghai.
    assert status_at(lic, datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)) is Status.EXPIRING
    assert status_at(lic, datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC)) is Status.EXPIRED


def test_license_starts_at_midnight_shanghai_not_utc() -> None:
    lic = make(date(2026, 1, 1))
    assert status_at(lic, datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC)) is Status.NOT_YET_VALID
    assert status_at(lic, datetime(2025, 12, 31, 16, 0, 0, tzinfo=UTC)) is Status.ACTIVE


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 12, 1), Status.ACTIVE),     # 30 days left: not yet within the window
    (date(2026, 12, 2), Status.EXPIRING),   # 29 days left
    (date(2026, 12, 31), Status.EXPIRING),  # the last day
])
def test_expiring_within_the_configured_window_before_the_end(day: date, expected: Status) -> None:
    assert status_at(make(date(2026, 1, 1)), shanghai(day.year, day.month, day.day, 12)) is expected


def test_an_extension_makes_an_expiring_license_active_again_with_its_terms_unchanged() -> None:
    lic = make(date(2026, 1, 1))
    extended = License(lic.agreement, lic.terms, (*lic.periods, model.next_period(lic, 1)))
    assert extended.periods[-1].start == date(2027, 1, 1) and extended.periods[-1].end == date(2027, 12, 31)
    assert status_at(extended, shanghai(2026, 12, 20, 12)) is Status.ACTIVE
    assert model.terms_on(extended, date(2027, 6, 1)) == model.terms_on(lic, date(2026, 6, 1))


def test_a_lapsed_license_extended_from_a_later_date_leaves_the_gap_unlicensed() -> None:
    lic = make(date(2026, 1, 1))
    extended = License(lic.agreement, lic.terms, (*lic.periods, model.next_period(lic, 1, date(2027, 3, 1))))
    assert status_at(extended, shanghai(2027, 2, 1, 12)) is Status.EXPIRED
    assert status_at(extended, shanghai(2027, 3, 1, 0)) is Status.ACTIVE


def test_suspension_bites_from_its_instant_and_reinstatement_lifts_it() -> None:
    at = shanghai(2026, 6, 1, 10)
    events = (LicenseEvent(1, EventKind.SUSPEND, at), LicenseEvent(2, EventKind.REINSTATE, at + timedelta(days=2)))
    lic = make(events=events)
    assert status_at(lic, at - timedelta(seconds=1)) is Status.ACTIVE
    assert status_at(lic, at) is Status.SUSPENDED
    assert status_at(lic, at + timedelta(days=2)) is Status.ACTIVE


def test_termination_bites_from_the_start_of_its_effective_day_in_shanghai() -> None:
    lic = make(events=(LicenseEvent(1, EventKind.TERMINATE, shanghai(2026, 5, 1, 9), date(2026, 6, 1)),))
    assert status_at(lic, shanghai(2026, 5, 31, 23, 59, 59)) is Status.ACTIVE
    assert status_at(lic, shanghai(2026, 6, 1, 0, 0, 0)) is Status.TERMINATED


def test_terminated_outranks_suspended_which_outranks_expired() -> None:
    suspended = LicenseEvent(1, EventKind.SUSPEND, shanghai(2026, 6, 1, 10))
    terminated = LicenseEvent(2, EventKind.TERMINATE, shanghai(2026, 6, 2, 10), date(2026, 7, 1))
    lic = make(events=(suspended, terminated))
    assert status_at(lic, shanghai(2026, 6, 20, 12)) is Status.SUSPENDED
    assert status_at(lic, shanghai(2026, 7, 1, 12)) is Status.TERMINATED
    assert status_at(lic, shanghai(2027, 2, 1, 12)) is Status.TERMINATED
    assert status_at(make(events=(suspended,)), shanghai(2027, 2, 1, 12)) is Status.SUSPENDED


def test_amended_channels_apply_from_the_amendments_effective_date() -> None:
    first = Terms(1, date(2026, 1, 1), frozenset({Channel.CHAT}), 2, 30, "n@x.example")
    second = model.amended(first, 2, date(2026, 7, 1), channels=frozenset({Channel.CHAT, Channel.PHONE}))
    lic = make(terms=(first, second), keys=(key("k_agent"),))
    june, july = shanghai(2026, 6, 30, 23), shanghai(2026, 7, 1, 0)
    assert model.check(lic, "k_agent", Channel.PHONE, june, SHANGHAI, WINDOW)[0] is Code.CHANNEL_NOT_LICENSED
    assert model.check(lic, "k_agent", Channel.PHONE, july, SHANGHAI, WINDOW)[0] is Code.VALID
    assert second.seats == first.seats and second.notice_address == first.notice_address  # inherited


def test_after_seats_are_reduced_the_most_recently_issued_agent_keys_lose_theirs() -> None:
    first = Terms(1, date(2026, 1, 1), frozenset({Channel.CHAT}), 3, 30, "n@x.example")
    fewer = model.amended(first, 2, date(2026, 7, 1), seats=1)
    keys = (key("k_old", created=1), key("k_mid", created=2), key("k_new", created=3))
    lic = make(terms=(first, fewer), keys=keys)
    july = shanghai(2026, 7, 2, 12)
    assert model.check(lic, "k_old", Channel.CHAT, july, SHANGHAI, WINDOW)[0] is Code.VALID
    assert model.check(lic, "k_mid", Channel.CHAT, july, SHANGHAI, WINDOW)[0] is Code.SEAT_LIMIT
    assert model.check(lic, "k_new", Channel.CHAT, shanghai(2026, 6, 1, 12), SHANGHAI, WINDOW)[0] is Code.VALID


def test_revoking_a_key_frees_its_seat_for_the_next_one() -> None:
    first = Terms(1, date(2026, 1, 1), frozenset({Channel.CHAT}), 1, 30, "n@x.example")
    lic = make(terms=(first,), keys=(key("k_gone", created=1, revoked=True), key("k_next", created=2)))
    now = shanghai(2026, 6, 1, 12)
    assert model.check(lic, "k_gone", Channel.CHAT, now, SHANGHAI, WINDOW)[0] is Code.UNKNOWN_KEY
    assert model.check(lic, "k_next", Channel.CHAT, now, SHANGHAI, WINDOW)[0] is Code.VALID


def test_widget_keys_hold_no_seat() -> None:
    first = Terms(1, date(2026, 1, 1), frozenset({Channel.CHAT}), 0, 30, "n@x.example")
    lic = make(terms=(first,), keys=(key("k_widget", KeyKind.WIDGET), key("k_agent")))
    now = shanghai(2026, 6, 1, 12)
    assert model.check(lic, "k_widget", Channel.CHAT, now, SHANGHAI, WINDOW)[0] is Code.VALID
    assert model.check(lic, "k_agent", Channel.CHAT, now, SHANGHAI, WINDOW)[0] is Code.SEAT_LIMIT


def test_codes_follow_their_order_of_precedence() -> None:
    now = shanghai(2026, 6, 1, 12)
    suspended = make(events=(LicenseEvent(1, EventKind.SUSPEND, now - timedelta(hours=1)),), keys=(key("k"),))
    # Suspended and the channel is not licensed: SUSPENDED wins.
    assert model.check(suspended, "k", Channel.PHONE, now, SHANGHAI, WINDOW) == (Code.SUSPENDED, Status.SUSPENDED)
    assert model.check(suspended, "nope", Channel.CHAT, now, SHANGHAI, WINDOW) == (Code.UNKNOWN_KEY, None)
    assert model.check(None, "k", Channel.CHAT, now, SHANGHAI, WINDOW) == (Code.UNKNOWN_KEY, None)
    expired = make(date(2024, 1, 1), keys=(key("k"),))
    assert model.check(expired, "k", Channel.PHONE, now, SHANGHAI, WINDOW) == (Code.EXPIRED, Status.EXPIRED)
    future = make(date(2027, 1, 1), keys=(key("k"),))
    assert model.check(future, "k", Channel.CHAT, now, SHANGHAI, WINDOW)[0] is Code.NOT_YET_VALID


@pytest.mark.parametrize(("origin", "allowed"), [
    ("https://shop.example", True),
    ("https://SHOP.example:443", True),
    ("https://shop.example/", True),
    ("http://shop.example", False),             # another scheme
    ("https://shop.example:8443", False),       # another port
    ("https://evil-shop.example", False),
    ("https://shop.example.evil.test", False),
    ("https://www.brand.example", True),        # wildcard subdomain
    ("https://brand.example", False),           # the wildcard does not cover the bare domain
    ("https://x.evilbrand.example", False),
    ("null", False),
    ("", False),
])
def test_widget_keys_work_only_from_their_allowed_origins(origin: str, allowed: bool) -> None:
    widget = key("k_w", KeyKind.WIDGET, origins=("https://shop.example", "https://*.brand.example"))
    assert model.origin_allowed(widget, origin) is allowed


def test_a_missing_origin_is_never_allowed() -> None:
    assert not model.origin_allowed(key("k_w", KeyKind.WIDGET, origins=("https://shop.example",)), None)


def test_a_complete_party_record_has_no_problems() -> None:
    party = model.Party("Demo Tea House Co., Ltd.", "Demo Tea", "88 Demo Street, Shanghai", "Wang Fang",
                        "+86 21 6000 0000")
    assert model.party_problems(party) == []


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("full_name", "", "full_name is required"),
    ("short_name", "x" * 61, "short_name is longer than 60 characters"),
    ("contact_person", "   ", "contact_person is required"),
    ("phone", "call me", "phone is not a phone number"),
    ("short_name", "Shop\r\nBcc: everyone@example.com", "short_name holds a line break or a control character"),
    ("full_name", "Shop\u2028Co", "full_name holds a line break or a control character"),
])
def test_each_missing_or_malformed_party_field_is_named(field: str, value: str, problem: str) -> None:
    fields = {"full_name": "Full", "short_name": "Short", "address": "Addr", "contact_person": "Wang",
              "phone": "021-6000-0000"}
    fields[field] = value
    assert model.party_problems(model.Party(**fields)) == [problem]


def test_a_license_names_its_active_agent_keys_emails_and_every_terms_versions_notice_address() -> None:
    from dataclasses import replace

    first = Terms(1, date(2026, 1, 1), frozenset({Channel.CHAT}), 2, 30, " Billing@Shop.Example ")
    moved = replace(first, version=2, effective_date=date(2026, 6, 1), notice_address="finance@shop.example")
    again = replace(moved, version=3, seats=3)
    agent = replace(key("key_a"), agent_email="Zhang@Shop.Example")
    gone = replace(key("key_b", revoked=True), agent_email="li@shop.example")
    lic = make(terms=(first, moved, again), keys=(agent, gone, key("key_w", KeyKind.WIDGET), key("key_c")))
    assert model.named_addresses(lic) == {("zhang@shop.example", "KEY#key_a"), ("billing@shop.example", "NOTICE"),
                                          ("finance@shop.example", "NOTICE")}
