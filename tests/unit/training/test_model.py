"""Training sessions' rules without a database: what a session needs, and what it may become."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.training.model import Status, cancel, deliver, new_session

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
START = datetime(2026, 6, 20, 14, 0, tzinfo=SHANGHAI)


def session():  # type: ignore[no-untyped-def]
    return new_session("trn_1", "lic_1", START, "online", ["features", " features ", "话术"],
                       link="https://meet.example/a", now=NOW)


def test_topics_are_kept_once_in_order_and_standard_ones_are_named_in_both_languages() -> None:
    made = session()
    assert made.topics == ("features", "话术")
    assert made.topic_label() == "功能 / Features, 话术"


def test_scheduled_becomes_delivered_or_cancelled_and_nothing_after() -> None:
    delivered = deliver(session(), ["Zhang San", " ", "Zhang San"], START)
    assert delivered.status is Status.DELIVERED and delivered.attendees == ("Zhang San",)
    with pytest.raises(Conflict):
        cancel(delivered, "late", START)
    cancelled = cancel(session(), "Typhoon", NOW)
    assert cancelled.status is Status.CANCELLED and cancelled.reason == "Typhoon"
    with pytest.raises(Conflict):
        deliver(cancelled, ["Zhang San"], START)
    with pytest.raises(InvalidInput):
        deliver(session(), [], START)
    with pytest.raises(InvalidInput):
        cancel(session(), " ", NOW)


@pytest.mark.parametrize(("options", "code"), [
    ({"method": "online", "link": ""}, "LINK_REQUIRED"),
    ({"method": "online", "link": "javascript:alert(1)"}, "LINK_REQUIRED"),
    ({"method": "onsite", "place": ""}, "PLACE_REQUIRED"),
    ({"method": "onsite", "place": "Hangzhou", "duration_minutes": 5}, "INVALID_DURATION"),
    ({"method": "onsite", "place": "Hangzhou", "topics": []}, "TOPICS_REQUIRED"),
    ({"method": "onsite", "place": "Hangzhou", "starts_at": NOW}, "INVALID_TIME"),
    ({"method": "onsite", "place": "Hangzhou", "starts_at": START.replace(tzinfo=None)}, "INVALID_TIME"),
])
def test_a_session_missing_what_it_needs_is_refused(options: dict[str, object], code: str) -> None:
    values: dict[str, object] = {"starts_at": START, "topics": ["features"], **options}
    starts_at, method, topics = values.pop("starts_at"), values.pop("method"), values.pop("topics")
    with pytest.raises(InvalidInput) as refused:
        new_session("trn_1", "lic_1", starts_at, method, topics, now=NOW, **values)  # type: ignore[arg-type]
    assert refused.value.code == code
