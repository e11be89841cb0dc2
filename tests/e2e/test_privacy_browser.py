"""Clause 7.1 in the console: the shop's administrator sees, in the Admin tab, every time the licensor's staff
read the shop's content, in Chinese and in English (real headless Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.licensing.model import Role
from tests.e2e import test_chat_browser as chat_browser
from tests.e2e.test_chat_browser import WAIT_MS, Site, playwright_api
from tests.e2e.test_console_browser import SHOTS, sign_in

pytestmark = pytest.mark.e2e
site, browser = chat_browser.site, chat_browser.browser

SEEN = {"zh-CN": ("数据访问记录", "被拦截的邮件", "导出客户数据"), "en": ("Data access log", "held mail",
                                                             "a customer's data export")}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_admin_tab_lists_who_of_the_staff_read_the_shops_content(site: Site, browser: Any,
                                                                       services: bootstrap.Services,
                                                                       locale: str) -> None:
    expect = playwright_api.expect
    admin = services.licensing.issue_agent_key(site.licensee_id, "店长 王芳", "boss@shop.example", "test",
                                               Role.ADMIN).secret
    page = sign_in(browser, site, admin, locale, "desktop")
    page.locator("nav button[data-tab=admin]").click()
    heading, held, export = SEEN[locale]
    box = page.locator("#tab-admin section", has=page.locator("h3", has_text=heading))
    expect(box).to_be_visible(timeout=WAIT_MS)
    expect(box.locator(".admin-accesses tr")).to_have_count(0)  # nobody has read anything yet
    page.close()
    services.privacy.record_access(site.licensee_id, "staff:li.wei", "mail.held")
    services.privacy.record_access(site.licensee_id, "staff:zhao", "privacy.export", "prv_123")
    page = sign_in(browser, site, admin, locale, "desktop")
    page.locator("nav button[data-tab=admin]").click()
    rows = page.locator(".admin-accesses tr[data-access]")
    expect(rows).to_have_count(2, timeout=WAIT_MS)
    expect(rows.nth(0)).to_contain_text(export)
    expect(rows.nth(0)).to_contain_text("staff:zhao")
    expect(rows.nth(1)).to_contain_text(held)
    page.locator(".admin-accesses").scroll_into_view_if_needed()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-admin-accesses-{locale}.png"))
    page.close()
