"""The privacy rules as pure functions: who a request names, retention periods, the export window after
termination (clause 11.2) and the archive's format."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.privacy import archive
from chalicelib.privacy.model import (
    DEFAULT_RETENTION_DAYS,
    ExportWindow,
    Person,
    Retained,
    WindowState,
    check_retention,
    extend,
    parse_contact,
    person,
    retention,
)


def test_a_contact_is_read_as_staff_type_it() -> None:
    who = parse_contact(["Lina@Customer.Example", "+86 138-0013-8000", "customer:c-42"])
    assert who == Person("lina@customer.example", "+86 138-0013-8000", "c-42")
    assert who.e164 == "+8613800138000" and who.phone_digits == "8613800138000"


@pytest.mark.parametrize(("given", "code"), [({}, "NO_CONTACT"), ({"email": "lina"}, "INVALID_EMAIL"),
                                             ({"phone": "call me"}, "INVALID_PHONE"),
                                             ({"customer_id": " "}, "INVALID_CUSTOMER_ID")])
def test_a_request_that_names_nobody_clearly_is_refused(given: dict[str, str], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        person(**given)
    assert refused.value.code == code


def test_the_audit_trail_keeps_a_digest_of_the_contact_never_the_contact() -> None:
    who = person(email="lina@customer.example")
    digest = who.digest("lic_1")
    assert "lina" not in digest and digest == person(email="LINA@customer.example").digest("lic_1")
    assert digest != who.digest("lic_2")  # the same customer of another shop is another person's record


def test_retention_takes_the_merchants_own_periods_over_the_defaults() -> None:
    periods = retention({"chats": 30})
    assert periods[Retained.CHATS] == 30 and periods[Retained.TICKETS] == DEFAULT_RETENTION_DAYS[Retained.TICKETS]
    assert check_retention({"chats": 30, "held_mail": 1}) == {"chats": 30, "held_mail": 1}
    for wrong in ({"chats": 0}, {"chats": 3651}, {"chats": "30"}, {"chats": True}):
        with pytest.raises(InvalidInput):
            check_retention(wrong)


@pytest.mark.parametrize(("today", "state"), [(date(2026, 6, 30), WindowState.PENDING),
                                              (date(2026, 7, 1), WindowState.OPEN),
                                              (date(2026, 7, 31), WindowState.OPEN),
                                              (date(2026, 8, 1), WindowState.CLOSED)])
def test_the_export_window_runs_thirty_days_from_the_termination_inclusive(today: date, state: WindowState) -> None:
    window = ExportWindow("lic_1", date(2026, 7, 1))
    assert window.ends_on == date(2026, 7, 31) and window.state(today) is state


def test_a_window_is_extended_only_before_it_ends_and_only_forward() -> None:
    window = ExportWindow("lic_1", date(2026, 7, 1))
    assert extend(window, date(2026, 8, 15), date(2026, 7, 20)) == date(2026, 8, 15)
    assert ExportWindow("lic_1", date(2026, 7, 1), extended_until=date(2026, 8, 15)).state(date(2026, 8, 10)) \
        is WindowState.OPEN
    for until, today in ((date(2026, 7, 20), date(2026, 7, 10)), (date(2026, 9, 1), date(2026, 8, 1)),
                         (date(2027, 9, 1), date(2026, 7, 10))):
        with pytest.raises(InvalidInput):
            extend(window, until, today)
    erased = ExportWindow("lic_1", date(2026, 7, 1), erased_at=datetime(2026, 8, 1, tzinfo=UTC))
    assert erased.state(date(2026, 7, 5)) is WindowState.ERASED
    assert ExportWindow("lic_1", None).state(date(2026, 7, 5)) is WindowState.NONE


def test_an_archive_carries_its_data_its_files_and_a_readme_in_both_languages() -> None:
    built = archive.build({"chats": [{"at": datetime(2026, 6, 15, tzinfo=UTC), "tags": frozenset({"b", "a"})}]},
                          [("files/a.png", b"1"), ("files/a.png", b"2")], ("zh-CN", "en"))
    data, files = archive.read(built)
    assert data["format"] == archive.FORMAT and data["chats"][0] == {"at": "2026-06-15T00:00:00+00:00",
                                                                     "tags": ["a", "b"]}
    assert files == {"files/a.png": b"1", "files/a.png-2": b"2"}
    assert archive.safe_name("../../etc/passwd") == "etc_passwd" and archive.safe_name("茶叶.png") == "茶叶.png"
