"""A request's rules without a database: whose turn it is, when targets fall due, when they are breached."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.support.model import (
    Side,
    Status,
    Target,
    Targets,
    clocks,
    close,
    force_majeure_pauses,
    new_breaches,
    new_request,
    new_warnings,
    reply,
)
from chalicelib.support.workdays import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def opened(when: str = "2026-06-15 09:00"):  # type: ignore[no-untyped-def]
    return new_request("sup_1", "lic_1", "Subject", "Text", "fault", at(when), "agent:one", "api", Targets())


def test_a_target_is_approaching_once_80_percent_of_its_business_minutes_are_spent_and_breached_after_it() -> None:
    request = opened()  # 4 business hours to answer: 80 % is 192 minutes, at 12:12
    assert clocks(request, at("2026-06-15 12:11"), CALENDAR, SHANGHAI).approaching == frozenset()
    warned = clocks(request, at("2026-06-15 12:12"), CALENDAR, SHANGHAI)
    assert warned.approaching == {Target.FIRST_RESPONSE} and new_warnings(request, warned) == {Target.FIRST_RESPONSE}
    assert new_warnings(replace(request, warned=frozenset({Target.FIRST_RESPONSE})), warned) == frozenset()
    overnight = opened("2026-06-15 17:00")  # 80 % across the night: 1 hour that day, 132 minutes the next
    assert clocks(overnight, at("2026-06-16 11:11"), CALENDAR, SHANGHAI).approaching == frozenset()
    assert clocks(overnight, at("2026-06-16 11:12"), CALENDAR, SHANGHAI).approaching == {Target.FIRST_RESPONSE}
    late = clocks(request, at("2026-06-15 13:01"), CALENDAR, SHANGHAI)
    assert late.breached == {Target.FIRST_RESPONSE} and new_breaches(request, late) == {Target.FIRST_RESPONSE}


def test_an_answer_in_time_meets_the_target_for_good() -> None:
    answered = reply(opened(), Side.LICENSOR, "staff:li", "Hello", at("2026-06-15 12:59"))
    later = clocks(answered, at("2026-06-30 10:00"), CALENDAR, SHANGHAI)
    assert later.first_response_met is True and Target.FIRST_RESPONSE not in later.breached
    assert later.breached == {Target.RESOLUTION}  # three business days have long passed


def test_the_turn_passes_between_licensor_and_merchant() -> None:
    waiting = reply(opened(), Side.LICENSOR, "staff:li", "Which version?", at("2026-06-15 10:00"),
                    wait_for_merchant=True)
    assert waiting.status is Status.WAITING and clocks(waiting, at("2026-06-20 10:00"), CALENDAR, SHANGHAI).paused
    back = reply(waiting, Side.MERCHANT, "agent:one", "2.1", at("2026-06-16 10:00"))
    assert back.status is Status.OPEN and back.waiting[0].end == at("2026-06-16 10:00")
    done = close(back, at("2026-06-16 11:00"))
    assert done.status is Status.CLOSED and done.closed_at == at("2026-06-16 11:00")
    with pytest.raises(Conflict):
        reply(done, Side.MERCHANT, "agent:one", "again", at("2026-06-16 12:00"))
    with pytest.raises(InvalidInput):
        reply(back, Side.MERCHANT, "agent:one", "wait for me", at("2026-06-16 12:00"), wait_for_merchant=True)


def test_closing_unanswered_counts_as_the_first_response() -> None:
    done = close(opened(), at("2026-06-15 10:00"))
    assert done.first_response_at == at("2026-06-15 10:00")


def test_force_majeure_days_pause_from_midnight_to_midnight_in_shanghai() -> None:
    [pause] = force_majeure_pauses([(date(2026, 6, 16), date(2026, 6, 17))], SHANGHAI)
    assert (pause.start, pause.end) == (at("2026-06-16 00:00"), at("2026-06-18 00:00"))
    current = clocks(opened("2026-06-15 16:00"), at("2026-06-16 10:00"), CALENDAR, SHANGHAI, [pause])
    assert current.paused and current.first_response_due == at("2026-06-18 11:00")


@pytest.mark.parametrize(("subject", "text", "category"), [("", "t", None), ("s", " ", None), ("s", "t", "billing"),
                                                          ("x" * 201, "t", None)])
def test_a_request_without_what_it_needs_is_refused(subject: str, text: str, category: str | None) -> None:
    with pytest.raises(InvalidInput):
        new_request("sup_1", "lic_1", subject, text, category, at("2026-06-15 09:00"), "a", "api", Targets())


def test_targets_must_make_sense() -> None:
    with pytest.raises(InvalidInput):
        Targets(0, 60)
    with pytest.raises(InvalidInput):
        Targets(120, 60)


def test_a_due_time_in_a_provisional_year_says_so() -> None:
    request = new_request("sup_1", "lic_1", "s", "t", None, at("2026-12-31 17:00"), "a", "api", Targets())
    assert clocks(request, at("2026-12-31 17:00"), CALENDAR, SHANGHAI).provisional
    assert not clocks(opened(), at("2026-06-15 09:00"), CALENDAR, SHANGHAI).provisional
