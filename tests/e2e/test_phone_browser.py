"""The Calls tab in real headless Chromium: a simulated missed call and an answered one appear in the console,
the agent takes the callback, writes a note and a disposition, in Chinese first and in English."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.core.ids import new_id
from chalicelib.licensing.model import Channel
from chalicelib.local.connect import LocalContacts, connect_events
from tests.e2e.test_chat_browser import WAIT_MS, Site, browser, playwright_api, site  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e


def simulate(services: bootstrap.Services, licensee_id: str, number: str, caller: str, *,
             answered_after: int | None, duration: int) -> str:
    contacts = services.phone.contacts
    assert isinstance(contacts, LocalContacts)
    contact = new_id("ct").replace("_", "-")
    contacts.add("kefu-local-simulator", contact, {"CustomerEndpoint": {"Address": caller},
                                                   "SystemEndpoint": {"Address": number}})
    start = services.clock.now() - timedelta(seconds=(answered_after or 0) + duration + 3)
    for event in connect_events("kefu-local-simulator", contact, start, answered_after=answered_after,
                                duration=duration):
        services.phone.connect_event(event)
    return f"connect-{contact}"


def test_agents_see_calls_take_a_callback_and_write_notes(site: Site, browser: Any,  # noqa: F811 - fixtures
                                                          services: bootstrap.Services, tmp_path: Any) -> None:
    expect = playwright_api.expect
    services.licensing.amend(site.licensee_id, services.clock.now().date(), "test",
                             channels=frozenset({Channel.CHAT, Channel.EMAIL, Channel.PHONE}))
    number = "+8621" + str(int(site.licensee_id[-8:], 36) % 10**8).zfill(8)
    services.phone.add_number(site.licensee_id, number, "test")
    answered = simulate(services, site.licensee_id, number, "+8613800138000", answered_after=14, duration=185)
    missed = simulate(services, site.licensee_id, number, "+8613900139000", answered_after=None, duration=50)

    console = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 800})
    console.goto(f"{site.api}/console")
    console.locator("#key").fill(site.agent_key)
    console.locator("#login-form button").click()
    expect(console.locator("nav button[data-tab=calls]")).to_have_text("电话", timeout=WAIT_MS)
    console.locator("nav button[data-tab=calls]").click()
    expect(console.locator(f"li[data-call='{missed}']")).to_contain_text("排队中挂断", timeout=WAIT_MS)
    expect(console.locator(f"li[data-call='{answered}']")).to_contain_text("3分5秒")
    expect(console.locator("#calls-callbacks")).to_contain_text("待回拨（1）")

    console.locator(f"li[data-call='{missed}']").click()
    expect(console.locator("#call-fields")).to_contain_text("+8613900139000", timeout=WAIT_MS)
    expect(console.locator("#call-callback")).to_contain_text("回拨任务：待处理")
    console.locator("#callback-take").click()
    expect(console.locator("#call-callback")).to_contain_text("已分配", timeout=WAIT_MS)
    console.screenshot(path=str(tmp_path / "callback-zh.png"), full_page=True)
    console.locator("#callback-done").click()
    expect(console.locator("#call-callback")).to_contain_text("回拨任务：已完成", timeout=WAIT_MS)
    expect(console.locator("#calls-callbacks")).to_contain_text("待回拨（0）", timeout=WAIT_MS)

    console.locator(f"li[data-call='{answered}']").click()
    expect(console.locator("#call-fields")).to_contain_text("14秒", timeout=WAIT_MS)
    console.locator("#call-notes-text").fill("<b>询问物流</b>")
    console.locator("#call-disposition").fill("已解决")
    console.locator("#call-notes button[type=submit]").click()
    expect(console.locator("#call-notes small")).to_have_text("已保存。", timeout=WAIT_MS)
    console.screenshot(path=str(tmp_path / "calls-zh.png"), full_page=True)
    stored = services.phone.show_call(site.licensee_id, answered)
    assert (stored["notes"], stored["disposition"]) == ("<b>询问物流</b>", "已解决")
    assert console.locator("#call-notes-text").input_value() == "<b>询问物流</b>"

    console.locator("#language").select_option("en")
    expect(console.locator("nav button[data-tab=calls]")).to_have_text("Calls", timeout=WAIT_MS)
    console.locator("nav button[data-tab=calls]").click()
    expect(console.locator(f"li[data-call='{missed}']")).to_contain_text("Abandoned in queue", timeout=WAIT_MS)
    console.locator(f"li[data-call='{answered}']").click()
    expect(console.locator("#call-fields")).to_contain_text("Talk time", timeout=WAIT_MS)
    console.screenshot(path=str(tmp_path / "calls-en.png"), full_page=True)
    print("screenshots:", tmp_path)
