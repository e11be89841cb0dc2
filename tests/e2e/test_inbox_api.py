"""One list of a shop's chats and tickets: views by status and by assignee, previews and ticket numbers, and a
polling cursor that returns only what moved; another shop's agent sees none of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import bootstrap
from chalicelib.core.clock import FixedClock
from tests.e2e.conftest import Api
from tests.factories import ORIGIN, Factory
from tests.mail_helpers import deliver, mail_merchant, raw_mail


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def inbox(api: Api, key: str, query: str = "") -> dict[str, Any]:
    status, body, _ = api.call("GET", f"/v1/agent/inbox{query}", headers=bearer(key))
    assert status == 200, body
    return body


def test_chats_and_tickets_in_one_list_by_view_with_previews_numbers_and_a_polling_cursor(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    clock = services.clock
    assert isinstance(clock, FixedClock)
    status, chat, _ = api.call("POST", "/v1/widget/conversations",
                               {"text": "请问龙井还有货吗？", "visitor": {"name": "李雷"}},
                               {"x-widget-key": owner.widget_key, "origin": ORIGIN})
    assert status == 201
    clock.advance(timedelta(minutes=1))
    deliver(services, raw_mail("anna@example.org", address, subject="订单 8841", body="还没有收到货。"), [address])

    listed = inbox(api, owner.agent_key)
    assert [(e["kind"], e["title"], e["preview"]) for e in listed["items"]] == [
        ("ticket", "订单 8841", "还没有收到货。"), ("chat", "李雷", "请问龙井还有货吗？")]
    assert listed["items"][0]["number"] == 1 and listed["view"] == "open"
    assert [e["kind"] for e in inbox(api, owner.agent_key, "?view=unassigned")["items"]] == ["ticket", "chat"]
    assert inbox(api, owner.agent_key, "?view=mine")["items"] == []

    # polling: nothing moved, nothing comes back; a change comes back alone
    cursor = listed["cursor"]
    assert inbox(api, owner.agent_key, f"?since={cursor}")["items"] == []
    clock.advance(timedelta(minutes=1))
    ticket_id = listed["items"][0]["id"]
    api.call("POST", f"/v1/agent/tickets/{ticket_id}/assign", {"agent_id": "me"}, bearer(owner.agent_key))
    api.call("POST", f"/v1/agent/tickets/{ticket_id}/replies", {"text": "已为您查询。"}, bearer(owner.agent_key))
    moved = inbox(api, owner.agent_key, f"?view=mine&since={cursor}")
    assert [(e["id"], e["preview"]) for e in moved["items"]] == [(ticket_id, "已为您查询。")]
    assert moved["cursor"] > cursor

    api.call("POST", f"/v1/agent/conversations/{chat['id']}/status", {"status": "resolved"},
             bearer(owner.agent_key))
    assert [(e["kind"], e["status"]) for e in inbox(api, owner.agent_key, "?view=closed")["items"]] == [
        ("chat", "closed")]

    other = factory.merchant()
    assert inbox(api, other.agent_key)["items"] == []


def test_a_bad_view_or_cursor_is_refused(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    for query, code in (("?view=everything", "INVALID_CHOICE"), ("?since=yesterday", "INVALID_CURSOR"),
                        ("?since=2026-06-15T04:00:00", "INVALID_CURSOR")):
        status, body, _ = api.call("GET", f"/v1/agent/inbox{query}", headers=bearer(merchant.agent_key))
        assert status == 400 and body["error"]["code"] == code
