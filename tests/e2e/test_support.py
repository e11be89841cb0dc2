"""Technical support as merchants and staff use it: the API with an agent key, `./kefu support` and
`./kefu calendar`, and the scheduled check run as the schedule runs it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from chalicelib import bootstrap
from chalicelib.core.clock import FixedClock
from tests.e2e.conftest import Api
from tests.factories import Factory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def agent(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_a_merchant_opens_a_request_and_staff_answer_it(api: Api, kefu, factory: Factory,  # type: ignore[no-untyped-def]
                                                        clock: FixedClock) -> None:
    clock.current = datetime(2026, 10, 9, 16, 0, tzinfo=SHANGHAI)
    merchant, other = factory.merchant(), factory.merchant()
    status, opened, _ = api.call("POST", "/v1/support/requests",
                                 {"subject": "客服工作台无法登录", "text": "坐席登录后白屏。", "category": "fault"},
                                 agent(merchant.agent_key))
    assert status == 201, opened
    assert opened["first_response_due"] == "2026-10-10T11:00:00+08:00"  # Saturday 10 October is a working day
    status, listed, _ = api.call("GET", "/v1/support/requests", headers=agent(merchant.agent_key))
    assert status == 200 and [r["id"] for r in listed["requests"]] == [opened["id"]]
    status, theirs, _ = api.call("GET", "/v1/support/requests", headers=agent(other.agent_key))
    assert status == 200 and theirs["requests"] == []
    status, refused, _ = api.call("GET", f"/v1/support/requests/{opened['id']}", headers=agent(other.agent_key))
    assert status == 404 and refused["error"]["code"] == "REQUEST_NOT_FOUND"

    queue = json.loads(kefu("support", "list", "--json"))
    assert opened["id"] in [r["id"] for r in queue]
    assert "respond by 2026-10-10T11:00:00+08:00" in kefu("support", "list")
    clock.current = datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI)
    answered = json.loads(kefu("support", "reply", opened["id"], "--text", "请清除浏览器缓存后重试。", "--wait",
                               "--json"))
    assert answered["first_response_met"] is True and answered["status"] == "waiting_on_merchant"
    status, seen, _ = api.call("GET", f"/v1/support/requests/{opened['id']}", headers=agent(merchant.agent_key))
    assert status == 200 and seen["messages"][-1]["text"] == "请清除浏览器缓存后重试。"
    status, back, _ = api.call("POST", f"/v1/support/requests/{opened['id']}/messages", {"text": "好了，谢谢。"},
                               agent(merchant.agent_key))
    assert status == 200 and back["status"] == "open"
    closed = json.loads(kefu("support", "close", opened["id"], "--json"))
    assert closed["status"] == "closed" and closed["resolution_met"] is True
    assert "好了，谢谢。" in kefu("support", "show", opened["id"])


def test_the_api_refuses_bad_input_and_missing_keys(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    status, body, _ = api.call("POST", "/v1/support/requests", {"subject": "x", "text": "y", "category": "billing"},
                               agent(merchant.agent_key))
    assert status == 400 and body["error"]["code"] == "INVALID_CHOICE"
    status, body, _ = api.call("POST", "/v1/support/requests", {"subject": "x", "text": "y", "priority": 1},
                               agent(merchant.agent_key))
    assert status == 400 and body["error"]["code"] == "UNKNOWN_FIELD"
    status, body, _ = api.call("GET", "/v1/support/requests")
    assert status == 401 and body["error"]["code"] == "MISSING_KEY"


def test_staff_record_a_phoned_request_at_the_time_it_was_taken(kefu, factory: Factory,  # type: ignore[no-untyped-def]
                                                                clock: FixedClock) -> None:
    clock.current = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)
    licensee = factory.merchant().licensee_id
    opened = json.loads(kefu("support", "open", licensee, "--subject", "Phone call", "--text", "Mail is late",
                             "--category", "configuration", "--at", "2026-09-30T17:00+08:00", "--json"))
    assert opened["first_response_due"] == "2026-10-08T12:00:00+08:00"
    assert opened["breached"] == ["first_response", "resolution"]  # nobody answered by then
    assert opened["via"] == "cli"
    kefu("support", "open", licensee, "--subject", "s", "--text", "t", "--at", "2026-09-30T17:00", expect=2)
    kefu("support", "open", "lic_nobody", "--subject", "s", "--text", "t", expect=2)


def test_staff_keep_the_calendar(kefu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "2026: official" in kefu("calendar", "show", "2026")
    assert "2026-10-10 Sat work" in kefu("calendar", "show", "2026")
    assert "PROVISIONAL" in kefu("calendar", "show", "2032")
    schedule = tmp_path / "2032.txt"
    schedule.write_text("2032-01-01 off 元旦\n2032-02-07 on 春节调休\n", encoding="utf-8")
    shown = json.loads(kefu("calendar", "import", "2032", str(schedule), "--json"))
    assert shown["source"] == "imported" and len(shown["days"]) == 2
    assert "2032-03-01 Mon off  override" in kefu("calendar", "add", "2032-03-01", "--off", "--note", "move")
    assert "2032-03-01" not in kefu("calendar", "remove", "2032-03-01")
    schedule.write_text("2032-01-01 holiday\n", encoding="utf-8")
    kefu("calendar", "import", "2032", str(schedule), expect=2)


def test_the_scheduled_check_runs_as_the_schedule_runs_it(services: bootstrap.Services) -> None:
    from app import support_check

    report = support_check({"time": "2026-12-01T02:00:00Z"}, None)
    assert report["calendar_missing"] == 2027


def test_staff_schedule_and_deliver_training_and_the_merchant_sees_it(api: Api, kefu,  # type: ignore[no-untyped-def]
                                                                      factory: Factory, clock: FixedClock) -> None:
    clock.current = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
    merchant = factory.merchant()
    session = json.loads(kefu("training", "schedule", merchant.licensee_id, "--at", "2026-06-18T14:00+08:00",
                              "--method", "online", "--link", "https://meet.example/x",
                              "--topics", "system_operation,客服话术", "--json"))
    assert session["topics"] == ["system_operation", "客服话术"]
    status, seen, _ = api.call("GET", "/v1/training/sessions", headers=agent(merchant.agent_key))
    assert status == 200 and [s["id"] for s in seen["sessions"]] == [session["id"]]
    clock.current = datetime(2026, 6, 18, 16, 0, tzinfo=SHANGHAI)
    assert "delivered" in kefu("training", "deliver", session["id"], "--attendees", "张三，李四")
    assert "张三, 李四" in kefu("training", "list", "--licensee", merchant.licensee_id)
    kefu("training", "cancel", session["id"], "--reason", "late", expect=2)


def test_the_support_tab_script_is_served_like_the_consoles_own(api: Api) -> None:
    script = api.http.request("GET", "/console/support.js")
    own = api.http.request("GET", "/console.js")
    assert script.status_code == 200 and b"kefuConsole.register" in script.body and b"innerHTML" not in script.body
    for header in ("Content-Type", "X-Content-Type-Options", "Cache-Control", "Referrer-Policy", "X-Frame-Options"):
        assert script.headers[header] == own.headers[header]
    page = api.http.request("GET", "/console")
    assert b'<script src="console/support.js"></script>' in page.body
