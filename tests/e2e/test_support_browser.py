"""The console's Support tab in real headless Chromium: a merchant's agent opens a technical-support request,
sees its due times in business hours, the licensor's staff answer it with `./kefu support reply`, and the answer
shows in the tab; in Chinese first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_chat_browser import WAIT_MS, Site, browser, site  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")


def test_a_merchant_opens_a_request_in_the_support_tab_and_sees_the_answer(site: Site, browser: Any,  # noqa: F811
                                                                           kefu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    page = browser.new_page(locale="zh-CN", timezone_id="Europe/Berlin", viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site.api}/console")
    page.locator("#key").fill(site.agent_key)
    page.locator("#login-form button").click()
    tab = page.locator("nav button[data-tab=support]")
    expect(tab).to_have_text("技术支持", timeout=WAIT_MS)
    tab.click()
    expect(page.locator("#support-requests")).to_contain_text("暂无技术支持请求", timeout=WAIT_MS)
    page.locator("#support-subject").fill("坐席无法收到新会话")
    page.locator("#support-category").select_option("configuration")
    page.locator("#support-text").fill("从今天上午起，<b>新会话</b>不再分配给坐席。")
    page.locator("#support-form button[type=submit]").click()
    card = page.locator(".support-request").first
    expect(card).to_contain_text("坐席无法收到新会话", timeout=WAIT_MS)
    expect(card).to_contain_text("配置")
    # opened Monday 15 June 2026 at 12:00 Beijing time: first response by 16:00, resolution by Thursday 12:00,
    # shown in Beijing time although the browser is in Berlin
    expect(card.locator(".support-due")).to_contain_text("首次响应截止：2026/06/15周一 16:00")
    expect(card.locator(".support-due")).to_contain_text("解决截止：2026/06/18周四 12:00")

    [request_id] = [line.split()[0] for line in kefu("support", "list", "--licensee", site.licensee_id).splitlines()]
    kefu("support", "reply", request_id, "--text", "已为您重新开启自动分配，请刷新工作台。")
    page.locator("nav button[data-tab=conversations]").click()
    tab.click()
    card = page.locator(".support-request").first
    expect(card).to_contain_text("已于 2026/06/15周一 12:00 响应", timeout=WAIT_MS)
    card.locator("strong").click()
    expect(card).to_contain_text("已为您重新开启自动分配", timeout=WAIT_MS)
    expect(card).to_contain_text("<b>新会话</b>")  # markup stays text
    expect(card).to_contain_text("平台方技术支持")
    page.screenshot(path=str(tmp_path / "support-zh.png"), full_page=True)
    assert errors == []


def test_staff_answer_every_licensees_requests_in_the_licensors_workspace(site: Site, browser: Any,  # noqa: F811
                                                                          kefu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    expect = playwright_api.expect
    opened = json.loads(kefu("support", "open", site.licensee_id, "--subject", "升级后报表打不开",
                             "--text", "升级到新版本后，报表页一直转圈。", "--category", "upgrade", "--json"))
    issued = json.loads(kefu("keys", "issue-staff", "--name", "陈工", "--email",
                             f"chen-{site.licensee_id}@licensor.example", "--json"))
    page = browser.new_page(locale="zh-CN", timezone_id="Europe/Berlin", viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site.api}/console")
    page.locator("#key").fill(issued["key"])
    page.locator("#login-form button").click()
    expect(page.locator("#who")).to_have_text("陈工", timeout=WAIT_MS)
    expect(page.locator("nav button[data-tab=conversations]")).to_be_hidden()  # no shop's tabs for staff
    expect(page.locator("nav button[data-tab=support]")).to_be_visible()
    card = page.locator(f".support-request[data-request={opened['id']}]")
    expect(card).to_contain_text("升级后报表打不开", timeout=WAIT_MS)
    expect(card).to_contain_text(site.licensee_id)
    expect(card.locator(".support-due")).to_contain_text("首次响应截止：")
    card.locator("strong").click()
    expect(card).to_contain_text("报表页一直转圈", timeout=WAIT_MS)
    card.locator(".staff-answer").fill("请清除浏览器缓存后再打开报表。")
    card.locator(".staff-wait").check()
    card.locator(".staff-send").click()
    card = page.locator(f".support-request[data-request={opened['id']}]")
    expect(card).to_contain_text("等待商家回复", timeout=WAIT_MS)
    expect(card.locator(".support-due")).to_contain_text("解决截止：已暂停（等待商家回复或不可抗力）")
    page.screenshot(path=str(tmp_path / "support-staff-zh.png"), full_page=True)
    shown = json.loads(kefu("support", "show", opened["id"], "--json"))
    assert shown["status"] == "waiting_on_merchant" and shown["messages"][-1]["author"] == "陈工"
    card.locator("strong").click()
    card.locator(".staff-close").click()
    expect(page.locator(f".support-request[data-request={opened['id']}]")).to_have_count(0, timeout=WAIT_MS)
    assert json.loads(kefu("support", "show", opened["id"], "--json"))["status"] == "closed"
    page.locator("#language").select_option("en")
    expect(page.locator(".staff-desk h2")).to_have_text("Support desk: requests of every licensee", timeout=WAIT_MS)
    expect(page.locator("nav button[data-tab=conversations]")).to_be_hidden()
    page.screenshot(path=str(tmp_path / "support-staff-en.png"), full_page=True)
    assert errors == []
