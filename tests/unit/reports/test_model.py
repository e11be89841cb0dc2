"""The report's definitions on fixed data: days in the shop's time zone, first response and resolution
(median and p90 by nearest rank), per agent, unanswered and unresolved, hand-overs."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.reports.model import Facts, percentile, period, report

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, 1 June


def chat(minutes_in: float, first: float | None, resolved: float | None, agent: str = "王芳", **kw: bool) -> Facts:
    start = T0 + timedelta(minutes=minutes_in)
    return Facts("chat", start, start + timedelta(seconds=first) if first is not None else None,
                 agent if first is not None else None,
                 start + timedelta(seconds=resolved) if resolved is not None else None, **kw)


def test_nearest_rank_percentiles() -> None:
    values = list(range(1, 11))
    assert percentile(values, 0.5) == 5 and percentile(values, 0.9) == 9 and percentile([], 0.5) is None
    assert percentile([30], 0.9) == 30


def test_first_response_resolution_and_agents_from_fixed_facts() -> None:
    facts = [chat(0, 30, 600), chat(10, 60, 1200), chat(20, 90, None, "李雷"), chat(30, None, None),
             chat(40, 120, 300, "李雷", handed_over=True),
             Facts("ticket", T0, T0 + timedelta(hours=2), "王芳", T0 + timedelta(hours=5)),
             Facts("ticket", T0, None, None, None, agent_started=True)]
    out = report(facts, date(2026, 6, 1), date(2026, 6, 1), SHANGHAI)
    assert out["totals"] == {"chats": 5, "tickets": 2, "unanswered": 1, "unresolved": 3, "handovers": 1}
    assert out["first_response"]["chat"] == {"count": 4, "median_seconds": 60, "p90_seconds": 120}
    assert out["first_response"]["ticket"] == {"count": 1, "median_seconds": 7200, "p90_seconds": 7200}
    assert out["resolution"]["chat"] == {"count": 3, "median_seconds": 600, "p90_seconds": 1200}
    assert out["resolution"]["all"]["p90_seconds"] == 18000
    assert out["agents"] == [{"name": "王芳", "first_responses": 3, "median_first_response_seconds": 60},
                             {"name": "李雷", "first_responses": 2, "median_first_response_seconds": 90}]
    assert out["ratings"] == {"count": 0, "average": None}


def test_days_are_the_shops_days_and_the_period_bounds_what_counts() -> None:
    late = Facts("chat", datetime(2026, 6, 1, 16, 30, tzinfo=UTC), None, None, None)  # 00:30 on 2 June, Shanghai
    early = Facts("ticket", datetime(2026, 5, 31, 15, 59, tzinfo=UTC), None, None, None)  # 23:59 on 31 May
    out = report([late, early], date(2026, 6, 1), date(2026, 6, 2), SHANGHAI)
    assert out["by_day"] == [{"date": "2026-06-01", "chats": 0, "tickets": 0},
                             {"date": "2026-06-02", "chats": 1, "tickets": 0}]


def test_the_period_defaults_to_the_last_seven_days_and_refuses_nonsense() -> None:
    assert period(None, None, date(2026, 6, 15)) == (date(2026, 6, 9), date(2026, 6, 15))
    with pytest.raises(InvalidInput):
        period(date(2026, 6, 2), date(2026, 6, 1), date(2026, 6, 15))
    with pytest.raises(InvalidInput):
        period(date(2026, 1, 1), date(2026, 6, 1), date(2026, 6, 15))
