"""Colleagues' changes to a ticket reach an agent's open console at once, over the push channel, in real
headless Chromium, in Chinese and in English: a colleague's reply and closing show within seconds while the
agent's half-typed answer, the file they chose and the place they were reading stay as they were; and the
agent's own note draws the thread once, not once more when its push comes back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from tests.e2e import test_chat_browser as chat_browser
from tests.e2e.test_chat_browser import WAIT_MS, Site, playwright_api
from tests.e2e.test_console_browser import SHOTS, sign_in, support_address
from tests.mail_helpers import deliver, raw_mail

pytestmark = pytest.mark.e2e
site, browser = chat_browser.site, chat_browser.browser  # the same fixtures: the API on a free port, Chromium

PUSHED_MS = 3000  # well before the next poll (60 s while the socket is open); nothing re-reads tickets by itself
CLOSED = {"zh-CN": "已关闭", "en": "Closed"}
LIVE = {"zh-CN": "实时", "en": "Live"}
NEWS = {"zh-CN": "下方有新内容 ↓", "en": "New below ↓"}

# Each time the thread is emptied to be drawn again, counted from the page itself.
COUNT_DRAWS = """() => {
  window.draws = 0;
  new MutationObserver(records => { records.forEach(r => { if (r.removedNodes.length) { window.draws += 1; } }); })
    .observe(document.getElementById("ticket"), {childList: true});
}"""


@pytest.mark.parametrize(("locale", "size"), [("zh-CN", "desktop"), ("en", "desktop"), ("zh-CN", "phone")])
def test_a_colleagues_reply_and_closing_show_at_once_and_the_agents_draft_stays(
        site: Site, browser: Any, services: bootstrap.Services, push: str, locale: str, size: str,
        tmp_path: Any) -> None:
    expect = playwright_api.expect
    address = support_address(services, site)
    deliver(services, raw_mail("anna@example.org", address, subject="订单 8841 没有收到",
                               body="我的茶叶还没到，已经等了两个星期。"), [address])
    [ticket] = services.mail.list_tickets(site.licensee_id, "open", 10, None)["items"]
    for n in range(14):  # a long thread, so that the agent can scroll back to read its history
        services.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined] - the test's clock
        services.mail.note(site.licensee_id, ticket["id"], "key_earlier", "李娜", f"第 {n + 1} 次联系物流：还在路上。")
    colleague_key = services.licensing.issue_agent_key(site.licensee_id, "王芳", "wang@shop.example", "test")
    colleague = Site(site.api, site.storefront, site.widget_key, colleague_key.secret, site.licensee_id)

    page = sign_in(browser, site, site.agent_key, locale, size)
    expect(page.locator(".colleagues .live")).to_have_text(LIVE[locale], timeout=WAIT_MS)
    page.locator("nav button[data-tab=tickets]").click()
    page.locator("#tickets li[data-ticket]").first.click()
    thread = page.locator("#ticket .item")
    expect(thread).to_have_count(15, timeout=WAIT_MS)
    photo = tmp_path / "包裹.pdf"
    photo.write_bytes(b"%PDF-1.7\n" + b"x" * 200)
    page.locator("#ticket-attach-file").set_input_files(str(photo))
    expect(page.locator("#ticket-files .file-chip")).to_contain_text("包裹.pdf", timeout=WAIT_MS)
    draft = "您好，我查了一下物流，包裹目前在"
    page.locator("#ticket-text").fill(draft)
    page.locator("#ticket-text").press("End")
    page.evaluate("document.getElementById('ticket').scrollTop = 0")  # reading the history

    services.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    chat_browser.agent_call(colleague, "POST", f"/v1/agent/tickets/{ticket['id']}/replies",
                            {"text": "您好，已为您补发一份，单号 SF1234。"})
    expect(page.locator("#ticket .item.agent")).to_contain_text("已为您补发", timeout=PUSHED_MS)
    expect(page.locator("#ticket .item.agent small")).to_contain_text("王芳")
    assert page.locator("#ticket-text").input_value() == draft
    assert page.evaluate("document.activeElement.id") == "ticket-text"  # still typing where they were
    expect(page.locator("#ticket-files .file-chip")).to_contain_text("包裹.pdf")
    assert page.evaluate("document.getElementById('ticket').scrollTop") == 0  # the view did not jump
    expect(page.locator("#ticket .news-below")).to_have_text(NEWS[locale])  # but says there is something new
    expect(page.locator("#ticket .news-below")).to_be_in_viewport()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-ticket-pushed-reply-{locale}-{size}.png"))

    chat_browser.agent_call(colleague, "POST", f"/v1/agent/tickets/{ticket['id']}/status", {"status": "closed"})
    expect(page.locator("#ticket-status")).to_contain_text(CLOSED[locale], timeout=PUSHED_MS)
    expect(page.locator("[data-ticket-set=closed]")).to_be_hidden()
    expect(page.locator("[data-ticket-set=open]")).to_be_visible()
    # the ticket leaves the open lists: the tickets tab's and the inbox's (a closing keeps the last activity)
    expect(page.locator("#tickets li[data-ticket]")).to_have_count(0, timeout=PUSHED_MS)
    expect(page.locator("#conversations li[data-ticket]")).to_have_count(0, timeout=PUSHED_MS)
    assert page.locator("#ticket-text").input_value() == draft
    expect(page.locator("#ticket-files .file-chip")).to_have_count(1)
    page.locator("#ticket .news-below").click()  # still there: the agent has not looked yet
    expect(page.locator("#ticket .item.agent")).to_be_in_viewport()
    expect(page.locator("#ticket .news-below")).to_have_count(0)
    page.screenshot(path=str(SHOTS / f"console-ticket-pushed-closed-{locale}-{size}.png"))

    # the agent's own note: drawn once, though its push comes back to this console too
    page.evaluate(COUNT_DRAWS)
    page.locator("#ticket-text").fill("客户很着急，明天再跟进。")
    page.locator("#ticket-note").click()
    expect(page.locator("#ticket .item.note").last).to_contain_text("明天再跟进", timeout=WAIT_MS)
    page.wait_for_timeout(1500)  # the push and the console's own read have both answered by now
    assert page.evaluate("window.draws") == 1
    expect(thread).to_have_count(17)
