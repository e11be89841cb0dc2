"""Technical-support requests on DynamoDB Local: clocks in business time, pauses, breaches recorded once,
tenants apart, the support calendar kept by staff."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib import bootstrap
from chalicelib.audit.store import history
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.mailer import Delivery
from chalicelib.metrics import MemorySink
from chalicelib.notices.model import NoticeKind
from chalicelib.support.model import Target, Targets
from tests.factories import Factory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def merchant_id(factory: Factory) -> str:
    return factory.merchant().licensee_id


def test_a_request_opened_before_national_day_is_due_after_it(services: bootstrap.Services, clock: FixedClock,
                                                               merchant_id: str) -> None:
    clock.current = at("2026-09-30 17:00")
    opened = services.support.open(merchant_id, "Widget not loading", "The widget shows nothing.", "installation",
                                   "agent:one", "api")
    assert opened["first_response_due"] == "2026-10-08T12:00:00+08:00"
    # 27 business hours: 1 on 30 September, 9 each on 8 and 9 October, 8 on Saturday 10 October (make-up day)
    assert opened["resolution_due"] == "2026-10-10T17:00:00+08:00"
    assert opened["status"] == "open" and opened["messages"][0]["text"] == "The widget shows nothing."
    assert services.support.show(opened["id"]) == opened


def test_a_merchant_sees_only_its_own_requests(services: bootstrap.Services, factory: Factory) -> None:
    mine, theirs = factory.merchant().licensee_id, factory.merchant().licensee_id
    request = services.support.open(mine, "Upgrade", "When is the next version?", "upgrade", "agent:one", "api")
    assert [r["id"] for r in services.support.of_licensee(mine)] == [request["id"]]
    assert services.support.of_licensee(theirs) == []
    with pytest.raises(NotFound):
        services.support.show_for(theirs, request["id"])
    with pytest.raises(NotFound):
        services.support.merchant_reply(theirs, request["id"], "agent:x", "let me in")


def test_waiting_on_the_merchant_stops_the_resolution_clock(services: bootstrap.Services, clock: FixedClock,
                                                            merchant_id: str) -> None:
    clock.current = at("2026-06-15 09:00")
    request = services.support.open(merchant_id, "Config", "Which port?", "configuration", "agent:one", "api")
    assert request["resolution_due"] == "2026-06-17T18:00:00+08:00"
    clock.current = at("2026-06-15 10:00")
    answered = services.support.staff_reply(request["id"], "staff:li", "Which browser do you use?",
                                            wait_for_merchant=True)
    assert answered["first_response_met"] is True and answered["status"] == "waiting_on_merchant"
    assert answered["resolution_due"] is None and answered["paused"] is True
    clock.current = at("2026-06-16 10:00")  # a business day later
    resumed = services.support.merchant_reply(merchant_id, request["id"], "agent:one", "Chrome.")
    assert resumed["status"] == "open" and resumed["paused"] is False
    assert resumed["resolution_due"] == "2026-06-18T18:00:00+08:00"  # one business day later
    clock.current = at("2026-06-16 11:00")
    closed = services.support.close(request["id"], "staff:li", "Fixed in the settings.")
    assert closed["status"] == "closed" and closed["resolution_met"] is True
    assert [m["side"] for m in closed["messages"]] == ["merchant", "licensor", "merchant", "licensor"]
    assert request["id"] not in [r["id"] for r in services.support.queue()]
    with pytest.raises(Conflict):
        services.support.staff_reply(request["id"], "staff:li", "one more thing")


def test_the_licensors_answers_and_the_resolution_reach_the_notice_address_once_each(
        services: bootstrap.Services, clock: FixedClock, merchant_id: str) -> None:
    clock.current = at("2026-06-15 09:00")
    request = services.support.open(merchant_id, "支付回调失败", "回调一直超时。", "fault", "agent:one", "console")
    services.support.merchant_reply(merchant_id, request["id"], "agent:one", "还是不行。")
    assert not [n for n in services.billing.notices(merchant_id) if n.kind is NoticeKind.SUPPORT_ANSWER]
    services.support.staff_reply(request["id"], "staff:li", "请检查回调地址是否可从公网访问。")
    services.support.close(request["id"], "staff:li", "已修复。")
    told = sorted((n for n in services.billing.notices(merchant_id) if n.kind is NoticeKind.SUPPORT_ANSWER),
                  key=lambda n: n.key)
    assert [n.key for n in told] == [f"support#{request['id']}#3", f"support#{request['id']}#resolved#4"]
    answer, resolved = told
    assert answer.recipient == "notices@shop.example" and answer.delivery is Delivery.SENT
    assert "支付回调失败" in answer.subject and "Support answer" in answer.subject  # zh-CN with English
    assert f"[{request['id']}]" in answer.subject  # a reply to the support address threads into the request
    assert "请检查回调地址是否可从公网访问。" in answer.text and request["id"] in answer.text
    assert "已解决" in resolved.subject and "已修复。" in resolved.text and "resolved" in resolved.text
    # the same answer told again (a retried request) sends nothing more
    assert not services.notices.notify(merchant_id, NoticeKind.SUPPORT_ANSWER, answer.key, {})


def test_force_majeure_recorded_by_billing_pauses_the_clocks(services: bootstrap.Services, clock: FixedClock,
                                                             merchant_id: str) -> None:
    services.billing.add_force_majeure(date(2026, 6, 16), date(2026, 6, 17), "Typhoon", "staff:li", merchant_id)
    clock.current = at("2026-06-15 16:00")
    request = services.support.open(merchant_id, "Down", "Nothing works.", "fault", "agent:one", "api")
    assert request["first_response_due"] == "2026-06-18T11:00:00+08:00"


def test_a_breach_is_recorded_once_with_its_audit_record_and_a_metric(settings: object, tables: None,
                                                                      merchant_id: str,
                                                                      services: bootstrap.Services,
                                                                      clock: FixedClock, metrics: MemorySink) -> None:
    clock.current = at("2026-06-15 09:00")
    request = services.support.open(merchant_id, "Slow", "Replies are slow.", "fault", "agent:one", "api")
    clock.current = at("2026-06-15 12:30")
    services.support.check(clock.now())
    assert metrics.total("SupportTargets", target="first_response", state="approaching") >= 1
    assert metrics.total("SupportTargetsApproaching", target="first_response") >= 1
    clock.current = at("2026-06-15 12:45")
    services.support.check(clock.now())
    warned = services.support.store.load(request["id"])
    assert warned is not None and warned.warned == {Target.FIRST_RESPONSE}
    # announced once, not at every check: a second announcement of the same target is refused by its key
    assert not services.support.store.record_warning(warned, Target.FIRST_RESPONSE, clock.now(), clock.now())
    clock.current = at("2026-06-15 13:01")
    first = services.support.check(clock.now())
    again = services.support.check(clock.now())
    assert first["breaches_recorded"] >= 1 and again["breaches_recorded"] == 0
    shown = services.support.show(request["id"])
    assert shown["breached"] == ["first_response"] and shown["breaches_recorded"] == ["first_response"]
    breaches = [r for r in history(f"licensee:{merchant_id}") if r.action == "support.breached"]
    assert len(breaches) == 1 and breaches[0].details["due"] == "2026-06-15T13:00:00+08:00"
    assert metrics.total("SupportTargets", target="first_response", state="breached") == 1
    # a late answer is met late: the breach stands, and is not recorded twice
    late = services.support.staff_reply(request["id"], "staff:li", "Sorry for the wait.")
    assert late["first_response_met"] is False
    assert metrics.total("SupportTargets", target="first_response", state="breached") == 1


def test_targets_per_agreement_apply_to_new_requests(services: bootstrap.Services, clock: FixedClock,
                                                     merchant_id: str) -> None:
    services.support.set_targets(merchant_id, Targets(60, 9 * 60), "staff:li")
    clock.current = at("2026-06-15 17:30")
    request = services.support.open(merchant_id, "Quick", "Question.", None, "agent:one", "api")
    assert request["category"] == "fault"
    assert request["first_response_due"] == "2026-06-16T09:30:00+08:00"
    assert request["resolution_due"] == "2026-06-16T17:30:00+08:00"
    with pytest.raises(NotFound):
        services.support.set_targets("lic_nobody", Targets(), "staff:li")


def test_bad_requests_are_refused_before_storage(services: bootstrap.Services, merchant_id: str) -> None:
    with pytest.raises(InvalidInput):
        services.support.open(merchant_id, " ", "text", None, "agent:one", "api")
    with pytest.raises(InvalidInput):
        services.support.open(merchant_id, "subject", "text", "billing", "agent:one", "api")
    with pytest.raises(NotFound):
        services.support.open("lic_nobody", "subject", "text", None, "staff:li", "cli")
    with pytest.raises(InvalidInput):
        services.support.open(merchant_id, "s", "t", None, "staff:li", "cli",
                              services.clock.now() + timedelta(days=1))
    assert services.support.of_licensee(merchant_id) == []


def test_staff_import_a_years_schedule_and_single_days(services: bootstrap.Services, clock: FixedClock,
                                                       merchant_id: str) -> None:
    # 2031: far from the years other tests use, as the calendar is shared by the whole database
    assert services.support.calendar_year(2031)["provisional"] is True
    shown = services.support.import_calendar(2031, "2031-06-02 off Test holiday\n2031-06-07 on make-up\n",
                                             "staff:li")
    assert shown["source"] == "imported" and not shown["provisional"]
    assert [d["day"] for d in shown["days"]] == ["2031-06-02", "2031-06-07"]
    services.support.set_day(date(2031, 6, 3), False, "staff:li", "office move")
    calendar = services.support.calendar()
    assert not calendar.is_working(date(2031, 6, 2)) and not calendar.is_working(date(2031, 6, 3))
    assert calendar.is_working(date(2031, 6, 7))
    services.support.set_day(date(2031, 6, 3), None, "staff:li")
    assert services.support.calendar().is_working(date(2031, 6, 3))
    with pytest.raises(InvalidInput):
        services.support.import_calendar(2031, "2031-06-02 holiday", "staff:li")


def test_from_december_the_check_says_next_years_schedule_is_missing(services: bootstrap.Services,
                                                                     metrics: MemorySink) -> None:
    assert services.support.check(at("2026-11-30 10:00"))["calendar_missing"] is None
    assert services.support.check(at("2026-12-01 10:00"))["calendar_missing"] == 2027
    assert metrics.total("SupportCalendarMissing", year="2027") == 1


def test_targets_are_terms_of_the_agreement_set_at_signing_and_by_amendment(services: bootstrap.Services,
                                                                             factory: Factory,
                                                                             clock: FixedClock) -> None:
    from dataclasses import replace as changed

    licensee_id = factory.licensee()
    services.licensing.sign(licensee_id, changed(factory.draft(), support_targets=(120, 2 * 9 * 60)), "staff:li")
    clock.current = at("2026-06-15 09:00")
    signed = services.support.open(licensee_id, "Install", "How?", "installation", "agent:one", "api")
    assert signed["targets"] == {"first_response_minutes": 120, "resolution_minutes": 1080}
    assert signed["first_response_due"] == "2026-06-15T11:00:00+08:00"
    assert signed["resolution_due"] == "2026-06-16T18:00:00+08:00"

    services.licensing.amend(licensee_id, date(2026, 7, 1), "staff:li", support_targets=(60, 540), note="faster")
    assert services.support.open(licensee_id, "Still", "old terms", None, "agent:one", "api")["targets"] == \
        signed["targets"]  # the amendment takes effect on its date
    clock.current = at("2026-07-01 09:00")
    amended = services.support.open(licensee_id, "Later", "new terms", None, "agent:one", "api")
    assert amended["first_response_due"] == "2026-07-01T10:00:00+08:00"
    terms = services.licensing.show(licensee_id).as_dict()["terms"]
    assert (terms["support_first_response_minutes"], terms["support_resolution_minutes"]) == (60, 540)
    assert services.support.show(signed["id"])["targets"] == signed["targets"]  # a request keeps its own
    with pytest.raises(InvalidInput):
        services.licensing.amend(licensee_id, date(2026, 7, 2), "staff:li", support_targets=(600, 60))
