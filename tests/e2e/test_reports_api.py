"""The report through HTTP on fixed data made as agents make it: the figures are the definitions' (see
chalicelib/reports/model.py) applied to what happened, and only the asking shop's."""

from __future__ import annotations

from datetime import timedelta

from chalicelib import bootstrap
from chalicelib.core.clock import FixedClock
from tests.e2e.conftest import Api
from tests.factories import ORIGIN, Factory, Merchant
from tests.mail_helpers import deliver, mail_merchant, raw_mail


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def fixture_day(api: Api, services: bootstrap.Services, factory: Factory) -> Merchant:
    """15 June 2026 from 12:00 Shanghai: two chats answered after 30 s and 90 s (the first resolved after
    10 minutes, the second left open), one ticket answered after an hour and closed after two."""
    clock = services.clock
    assert isinstance(clock, FixedClock)
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    widget = {"x-widget-key": owner.widget_key, "origin": ORIGIN}
    agent = bearer(owner.agent_key)
    first = api.call("POST", "/v1/widget/conversations", {"text": "在吗？"}, widget)[1]
    clock.advance(timedelta(seconds=30))
    api.call("POST", f"/v1/agent/conversations/{first['id']}/messages", {"text": "在的。"}, agent)
    second = api.call("POST", "/v1/widget/conversations", {"text": "有货吗？"}, widget)[1]
    clock.advance(timedelta(seconds=90))
    api.call("POST", f"/v1/agent/conversations/{second['id']}/messages", {"text": "有。"}, agent)
    clock.advance(timedelta(seconds=600 - 120))
    api.call("POST", f"/v1/agent/conversations/{first['id']}/status", {"status": "resolved"}, agent)
    deliver(services, raw_mail("anna@example.org", address, subject="发票"), [address])
    ticket = api.call("GET", "/v1/agent/tickets", headers=agent)[1]["items"][0]
    clock.advance(timedelta(hours=1))
    api.call("POST", f"/v1/agent/tickets/{ticket['id']}/replies", {"text": "已开。"}, agent)
    clock.advance(timedelta(hours=1))
    api.call("POST", f"/v1/agent/tickets/{ticket['id']}/status", {"status": "closed"}, agent)
    return owner


def test_the_report_shows_the_figures_of_the_fixture(api: Api, services: bootstrap.Services,
                                                     factory: Factory) -> None:
    owner = fixture_day(api, services, factory)
    status, out, _ = api.call("GET", "/v1/agent/reports?from=2026-06-15&to=2026-06-15",
                              headers=bearer(owner.agent_key))
    assert status == 200, out
    assert out["by_day"] == [{"date": "2026-06-15", "chats": 2, "tickets": 1}]
    assert out["totals"] == {"chats": 2, "tickets": 1, "unanswered": 0, "unresolved": 1, "handovers": 0}
    assert out["first_response"]["chat"] == {"count": 2, "median_seconds": 30, "p90_seconds": 90}
    assert out["first_response"]["ticket"] == {"count": 1, "median_seconds": 3600, "p90_seconds": 3600}
    assert out["resolution"]["chat"] == {"count": 1, "median_seconds": 600, "p90_seconds": 600}
    assert out["resolution"]["ticket"] == {"count": 1, "median_seconds": 7200, "p90_seconds": 7200}
    assert out["agents"] == [{"name": "Agent One", "first_responses": 3, "median_first_response_seconds": 90}]
    assert out["timezone"] == "Asia/Shanghai"

    other = factory.merchant()
    _, theirs, _ = api.call("GET", "/v1/agent/reports?from=2026-06-15&to=2026-06-15", headers=bearer(other.agent_key))
    assert theirs["totals"]["chats"] == 0 and theirs["totals"]["tickets"] == 0


def test_a_bad_period_is_refused(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    for query, code in (("?from=15-06-2026", "INVALID_DATE"), ("?from=2026-06-15&to=2026-06-01", "INVALID_PERIOD"),
                        ("?from=2026-01-01&to=2026-06-15", "INVALID_PERIOD")):
        status, body, _ = api.call("GET", f"/v1/agent/reports{query}", headers=bearer(merchant.agent_key))
        assert status == 400 and body["error"]["code"] == code

