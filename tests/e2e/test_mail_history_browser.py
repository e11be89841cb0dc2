"""In the console, a customer's reply shows what they newly wrote; the quoted history it carried is kept one
click away, collapsed, without repeating the new text, in real headless Chromium (zh-CN on a desktop, en on a
phone)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import bootstrap
from tests.e2e import test_chat_browser as chat_browser
from tests.e2e.test_chat_browser import WAIT_MS, Site, playwright_api
from tests.e2e.test_console_browser import SHOTS, sign_in, support_address
from tests.mail_helpers import deliver
from tests.unit.mail.reply_corpus import cases

pytestmark = pytest.mark.e2e
site, browser = chat_browser.site, chat_browser.browser

SUMMARY = {"zh-CN": "显示引用的历史邮件", "en": "Show the quoted history"}


@pytest.mark.parametrize(("locale", "size"), [("zh-CN", "desktop"), ("en", "phone")])
def test_a_reply_shows_its_new_text_and_keeps_its_quoted_history_collapsed(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str) -> None:
    expect = playwright_api.expect
    address = support_address(services, site)
    reply = next(case for case in cases() if case.name == "zh-TW/gmail")
    deliver(services, reply.raw.replace(b"support@shop.example", address.encode()), [address])
    page = sign_in(browser, site, site.agent_key, locale, size)
    page.locator("nav button[data-tab=tickets]").click()
    page.locator("#tickets li[data-ticket]").first.click()
    message = page.locator("#ticket .item.visitor").first
    expect(message).to_contain_text("收到囉，謝謝！", timeout=WAIT_MS)
    history = message.locator("details.history")
    expect(history.locator("summary")).to_have_text(SUMMARY[locale])
    expect(history.locator("div")).to_be_hidden()  # collapsed: the old mail does not crowd the new text
    history.locator("summary").click()
    expect(history.locator("div")).to_be_visible()
    expect(history.locator("div")).to_contain_text("HCT88001234")
    expect(history.locator("div")).to_contain_text("寫道：")
    expect(history.locator("div")).not_to_contain_text("收到囉，謝謝！")  # the new text is shown once, above
    # the reply box and its buttons fit in the window below the header, which wraps to three rows on a phone
    send = page.locator("#ticket-form button[type=submit]").bounding_box()
    assert send is not None and send["y"] + send["height"] <= page.viewport_size["height"]
    page.screenshot(path=str(SHOTS / f"console-quoted-history-{locale}-{size}.png"))
    page.close()
