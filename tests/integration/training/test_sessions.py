"""Training sessions on DynamoDB Local: scheduled with a notice to the licensee, delivered or cancelled, and the
delivered ones of a period as billing reads them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib import bootstrap
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from tests.factories import Factory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_a_scheduled_session_is_noticed_delivered_and_read_for_billing(services: bootstrap.Services,
                                                                       factory: Factory, clock: FixedClock) -> None:
    licensee = factory.merchant().licensee_id
    clock.current = at("2026-06-15 10:00")
    online = services.training.schedule(licensee, at("2026-06-20 14:00"), "online", ["system_operation", "退货流程"],
                                        "staff:li", link="https://meet.example/abc", trainer="Wang Fang")
    onsite = services.training.schedule(licensee, at("2026-06-25 09:30"), "onsite", ["service_skills"], "staff:li",
                                        place="Hangzhou office, room 3")
    assert online["status"] == "scheduled" and online["starts_at"] == "2026-06-20T14:00:00+08:00"
    notices = [n for n in services.billing.notices(licensee) if n.kind.value == "training"]
    assert len(notices) == 2 and notices[0].recipient == "notices@shop.example"
    assert "培训安排通知：2026-06-20" in notices[0].subject and "Training scheduled" in notices[0].subject
    assert "https://meet.example/abc" in notices[0].text and "系统操作" in notices[0].text

    clock.current = at("2026-06-20 16:00")
    delivered = services.training.deliver(online["id"], ["Zhang San", "Li Si"], "staff:li")
    assert delivered["status"] == "delivered" and delivered["attendees"] == ["Zhang San", "Li Si"]
    cancelled = services.training.cancel(onsite["id"], "Typhoon warning", "staff:li")
    assert cancelled["status"] == "cancelled"
    assert any("培训取消通知" in n.subject for n in services.billing.notices(licensee))

    billable = services.training.delivered_between(licensee, date(2026, 6, 1), date(2026, 6, 30))
    assert [(s.session_id, s.day) for s in billable] == [(online["id"], date(2026, 6, 20))]
    assert "系统操作 / System operation" in billable[0].topics and "退货流程" in billable[0].topics
    assert services.training.delivered_between(licensee, date(2026, 7, 1), date(2026, 7, 31)) == []
    assert [s["id"] for s in services.training.sessions(licensee)] == [online["id"], onsite["id"]]

    with pytest.raises(Conflict):
        services.training.deliver(onsite["id"], ["Zhang San"], "staff:li")
    with pytest.raises(Conflict):
        services.training.cancel(online["id"], "too late", "staff:li")


@pytest.mark.parametrize(("method", "options", "code"), [
    ("online", {"link": "http://insecure.example"}, "LINK_REQUIRED"),
    ("onsite", {}, "PLACE_REQUIRED"),
    ("by post", {"place": "x"}, "INVALID_METHOD"),
])
def test_a_session_without_what_its_method_needs_is_refused(services: bootstrap.Services, factory: Factory,
                                                            method: str, options: dict[str, str], code: str) -> None:
    licensee = factory.merchant().licensee_id
    with pytest.raises(InvalidInput) as refused:
        services.training.schedule(licensee, at("2026-07-01 10:00"), method, ["features"], "staff:li", **options)
    assert refused.value.code == code
    assert services.training.sessions(licensee) == []


def test_sessions_in_the_past_without_topics_or_for_nobody_are_refused(services: bootstrap.Services,
                                                                       factory: Factory) -> None:
    licensee = factory.merchant().licensee_id
    with pytest.raises(InvalidInput):
        services.training.schedule(licensee, at("2026-06-01 10:00"), "onsite", ["features"], "s", place="x")
    with pytest.raises(InvalidInput):
        services.training.schedule(licensee, at("2026-07-01 10:00"), "onsite", [" "], "s", place="x")
    with pytest.raises(NotFound):
        services.training.schedule("lic_nobody", at("2026-07-01 10:00"), "onsite", ["features"], "s", place="x")
    session = services.training.schedule(licensee, at("2026-07-01 10:00"), "onsite", ["features"], "s", place="x")
    with pytest.raises(InvalidInput):  # not before it starts
        services.training.deliver(session["id"], ["Zhang San"], "s")
