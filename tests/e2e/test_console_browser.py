"""The console as a shop's team uses it, in real headless Chromium, in Chinese and in English, on a desktop and
at 390×844: the administrator manages the team within the licensed seats, the shop's settings and held mail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.licensing.model import Role
from chalicelib.mail.model import Verdicts
from tests.e2e import test_chat_browser as chat_browser
from tests.e2e.conftest import Api
from tests.e2e.test_chat_browser import WAIT_MS, Site, playwright_api
from tests.e2e.test_reports_api import fixture_day
from tests.factories import Factory
from tests.mail_helpers import deliver, raw_mail

pytestmark = pytest.mark.e2e
site, browser = chat_browser.site, chat_browser.browser  # the same fixtures: the API on a free port, Chromium

TICKET_TEXTS = {"zh-CN": {"tickets": "工单", "closed": "已关闭", "note": "（内部备注）", "open": "进行中"},
                "en": {"tickets": "Tickets", "closed": "Closed", "note": "(private note)", "open": "Open"}}
TEXTS = {"zh-CN": {"admin": "管理", "seats_full": "已用席位 3 / 3", "added": "只显示这一次", "saved": "设置已保存。",
                   "refused": "席位已全部占用", "spam": "垃圾邮件"},
         "en": {"admin": "Admin", "seats_full": "Seats used 3 of 3", "added": "shown this once",
                "saved": "Settings saved.", "refused": "Every licensed seat is taken", "spam": "spam"}}
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SHOTS = Path(__file__).resolve().parents[1] / ".screenshots"


def support_address(services: bootstrap.Services, site: Site) -> str:
    """The site's shop gets a support address; acknowledgements off, so the outbox holds only agents' mail."""
    address = services.mail.add_address(site.licensee_id, site.licensee_id.replace("_", "-"), "test")
    services.mail.update_settings(site.licensee_id, "test", acknowledge=False)
    return address


def sign_in(browser: Any, site: Site, key: str, locale: str, size: str) -> Any:
    page = browser.new_page(locale=locale, viewport=SIZES[size])
    page.goto(f"{site.api}/console")
    page.locator("#key").fill(key)
    page.locator("#login-form button").click()
    playwright_api.expect(page.locator("#app")).to_be_visible(timeout=WAIT_MS)
    return page


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_admin_adds_agents_until_the_seat_limit_refuses_the_next_and_sets_the_shop(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str) -> None:
    expect, texts = playwright_api.expect, TEXTS[locale]
    admin = services.licensing.issue_agent_key(site.licensee_id, "店长 王芳", "boss@shop.example", "test",
                                               Role.ADMIN).secret  # 3 seats: agent one and the admin hold two
    address = services.mail.add_address(site.licensee_id, site.licensee_id.replace("_", "-"), "test")
    deliver(services, raw_mail("anna@example.org", address, subject="不是垃圾邮件：我的订单"), [address],
            Verdicts(spam="FAIL", virus="PASS"))

    agent_page = sign_in(browser, site, site.agent_key, locale, size)  # a plain agent sees no Admin tab
    expect(agent_page.locator("nav button[data-tab=admin]")).to_be_hidden()
    agent_page.close()

    page = sign_in(browser, site, admin, locale, size)
    tab = page.locator("nav button[data-tab=admin]")
    expect(tab).to_have_text(texts["admin"], timeout=WAIT_MS)
    tab.click()
    panel = page.locator("#tab-admin")
    expect(panel.locator(".admin-team tr")).to_have_count(2, timeout=WAIT_MS)
    panel.locator(".admin-add input[name=name]").fill("李雷")
    panel.locator(".admin-add input[name=email]").fill("lilei@shop.example")
    panel.locator(".admin-add button").click()
    expect(panel.locator(".admin-newkey")).to_contain_text(texts["added"], timeout=WAIT_MS)
    new_key = panel.locator(".admin-key").text_content() or ""
    assert new_key.startswith("kf_agent_")
    expect(panel.locator(".admin-seats")).to_have_text(texts["seats_full"], timeout=WAIT_MS)
    panel.locator(".admin-add input[name=name]").fill("Four")
    panel.locator(".admin-add input[name=email]").fill("four@shop.example")
    panel.locator(".admin-add button").click()
    expect(panel.locator(".admin-box").first.locator(".admin-note")).to_contain_text(texts["refused"],
                                                                                   timeout=WAIT_MS)

    panel.locator("input[name=chat_hours]").fill("mon-fri 09:00-18:00")
    panel.locator("textarea[name=greeting-zh-CN]").fill("您好，欢迎光临！")
    panel.locator(".admin-box").nth(1).locator("button[type=submit]").click()
    expect(panel.locator(".admin-box").nth(1).locator(".admin-note")).to_have_text(texts["saved"], timeout=WAIT_MS)
    assert services.chat.store.settings(site.licensee_id).texts == {"zh-CN": {"greeting": "您好，欢迎光临！"}}

    held = panel.locator("[data-held]")
    expect(held).to_contain_text(texts["spam"], timeout=WAIT_MS)
    SHOTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0); document.getElementById('tab-admin').scrollTop = 0")
    page.screenshot(path=str(SHOTS / f"console-admin-{locale}-{size}.png"))
    held.locator("button").click()
    expect(held.locator("button")).to_have_count(0, timeout=WAIT_MS)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], "nothing reaches past the screen's edge"


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_agent_answers_assigns_notes_closes_and_reopens_a_ticket_and_writes_a_new_email(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str) -> None:
    expect, texts = playwright_api.expect, TICKET_TEXTS[locale]
    address = support_address(services, site)
    services.licensing.issue_agent_key(site.licensee_id, "王芳", "wang@shop.example", "test")
    deliver(services, raw_mail("anna@example.org", address, subject="订单 8841 没有收到",
                               body="我的订单 8841 还没有收到，请帮忙查一下。"), [address])
    page = sign_in(browser, site, site.agent_key, locale, size)
    page.locator("nav button[data-tab=tickets]").click()
    item = page.locator("#tickets li[data-ticket]").first
    expect(item).to_contain_text("#1 订单 8841 没有收到", timeout=WAIT_MS)
    expect(item.locator(".preview")).to_contain_text("我的订单 8841 还没有收到", timeout=WAIT_MS)
    item.click()
    expect(page.locator("#ticket .item.visitor")).to_contain_text("请帮忙查一下", timeout=WAIT_MS)
    if size == "phone":
        expect(page.locator("#tab-tickets aside")).to_be_hidden()

    page.locator("#ticket-text").fill("您好，已为您查询，明天送达。")
    page.locator("#ticket-form button[type=submit]").click()
    reply = page.locator("#ticket .item.agent")
    expect(reply).to_contain_text("明天送达", timeout=WAIT_MS)
    expect(reply.locator("small")).to_contain_text("Agent One", timeout=WAIT_MS)
    # 04:00 UTC, as the test's clock says, is 12:00 in the shop's Asia/Shanghai, whatever the browser's zone
    expect(reply.locator("small")).to_contain_text("12:00", timeout=WAIT_MS)

    page.locator("#ticket-assignee").select_option(label="王芳")
    expect(page.locator("#ticket-assignee option:checked")).to_have_text("王芳", timeout=WAIT_MS)
    page.locator("#ticket-text").fill("老顾客，注意跟进。")
    page.locator("#ticket-note").click()
    expect(page.locator("#ticket .item.note")).to_contain_text(texts["note"], timeout=WAIT_MS)

    page.locator("[data-ticket-set=closed]").click()
    expect(page.locator("#ticket-status")).to_contain_text(texts["closed"], timeout=WAIT_MS)
    page.locator("[data-ticket-set=open]").click()
    expect(page.locator("#ticket-status")).to_contain_text(texts["open"], timeout=WAIT_MS)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-ticket-{locale}-{size}.png"))

    if size == "phone":
        page.locator("#tab-tickets .back").click()
    page.locator("#new-ticket").click()
    page.locator("#new-ticket-to").fill("lilei@customer.example")
    page.locator("#new-ticket-subject").fill("您的发票已开具")
    page.locator("#new-ticket-text").fill("发票已发送到您的邮箱。")
    page.locator("#new-ticket-form button[type=submit]").click()
    expect(page.locator("#ticket-head")).to_have_text("#2 您的发票已开具", timeout=WAIT_MS)
    expect(page.locator("#ticket .item.agent")).to_contain_text("发票已发送到您的邮箱。", timeout=WAIT_MS)

    page.locator("nav button[data-tab=outbox]").click()
    first = page.locator("#outbox .outbox-item").first
    first.locator("button").click()
    expect(first.locator("pre.raw-mail")).to_contain_text("Subject:", timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / f"console-outbox-{locale}-{size}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_one_inbox_lists_chats_and_tickets_and_a_new_ticket_arrives_without_reloading(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str) -> None:
    expect = playwright_api.expect
    address = support_address(services, site)
    chat_browser.agent_call(site, "GET", "/v1/agent/agents")
    services.chat.start(site.licensee_id, None, text="请问龙井还有货吗？", name="李雷")
    deliver(services, raw_mail("anna@example.org", address, subject="订单 8841", body="还没有收到货。"), [address])
    page = sign_in(browser, site, site.agent_key, locale, size)
    entries = page.locator("#conversations li[data-entry]")
    expect(entries).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator("#conversations li[data-ticket]")).to_contain_text("#1 订单 8841", timeout=WAIT_MS)
    expect(page.locator("#conversations li[data-conversation] .preview")).to_have_text("请问龙井还有货吗？")

    services.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined] - the test's clock
    deliver(services, raw_mail("bob@example.org", address, subject="发票", body="请开发票。"), [address])
    page.evaluate("window.kefuConsole.inboxChanged()")  # what the push channel calls; polling does it anyway
    expect(entries).to_have_count(3, timeout=WAIT_MS)
    expect(entries.first).to_contain_text("#2 发票", timeout=WAIT_MS)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-inbox-{locale}-{size}.png"))

    page.locator("#conversations li[data-conversation]").click()
    expect(page.locator("#timeline .item.visitor")).to_contain_text("请问龙井还有货吗？", timeout=WAIT_MS)
    page.locator("#reply-text").fill("有货，今天发出。")
    page.locator("#reply-text").press("Enter")
    expect(page.locator("#timeline .item.agent")).to_contain_text("今天发出", timeout=WAIT_MS)
    if size == "phone":
        page.locator("#tab-conversations .back").click()
    page.locator("#conversations li[data-ticket]").first.click()
    expect(page.locator("#ticket .item.visitor")).to_contain_text("请开发票。", timeout=WAIT_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_admin_writes_a_canned_response_and_an_agent_inserts_it_with_slash_filled_from_the_ticket(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str) -> None:
    expect = playwright_api.expect
    admin = services.licensing.issue_agent_key(site.licensee_id, "店长", "boss@shop.example", "test",
                                               Role.ADMIN).secret
    address = support_address(services, site)
    deliver(services, raw_mail("anna@example.org", address, subject="物流查询", body="我的订单号 8841 到哪了？"),
            [address])

    page = sign_in(browser, site, admin, locale, size)
    page.locator("nav button[data-tab=admin]").click()
    box = page.locator("#tab-admin .admin-box").nth(2)
    box.locator("input[name=canned-shortcut]").fill("ship")
    box.locator("input[name=canned-title]").fill("发货通知")
    box.locator("textarea[name=canned-text]").fill("{customer_name}您好，订单 {order_number} 已发货。")
    box.locator("button[type=submit]").click()
    expect(box.locator("tr[data-canned=ship]")).to_contain_text("/ship", timeout=WAIT_MS)
    page.close()

    page = sign_in(browser, site, site.agent_key, locale, size)
    page.locator("nav button[data-tab=tickets]").click()
    page.locator("#tickets li[data-ticket]").first.click()
    expect(page.locator("#ticket .item.visitor")).to_contain_text("8841", timeout=WAIT_MS)
    page.locator("#ticket-text").type("/sh")
    menu = page.locator("#ticket-form .canned-menu li")
    expect(menu).to_have_count(1, timeout=WAIT_MS)
    page.locator("#ticket-text").press("Enter")
    expect(page.locator("#ticket-text")).to_have_value("Customer您好，订单 8841 已发货。", timeout=WAIT_MS)


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_agent_finds_a_ticket_by_order_number_and_by_customer_email(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str) -> None:
    expect = playwright_api.expect
    address = support_address(services, site)
    deliver(services, raw_mail("anna@example.org", address, subject="物流查询", body="我的订单号 8841 到哪了？"),
            [address])
    deliver(services, raw_mail("bob@example.org", address, subject="发票", body="请开发票。"), [address])
    page = sign_in(browser, site, site.agent_key, locale, size)
    expect(page.locator("#conversations li[data-ticket]")).to_have_count(2, timeout=WAIT_MS)
    for query, subject in (("8841", "#1 物流查询"), ("bob@example.org", "#2 发票")):
        page.locator("#search").fill(query)
        page.locator("#search").press("Enter")
        expect(page.locator("#conversations li[data-ticket]").first).to_contain_text(subject, timeout=WAIT_MS)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-search-{locale}-{size}.png"))
    page.locator("#conversations li[data-ticket]").first.click()
    expect(page.locator("#ticket .item.visitor")).to_contain_text("请开发票。", timeout=WAIT_MS)


REPORT = {"zh-CN": {"tab": "报表", "first_median": "90 秒", "first_p90": "60 分钟", "resolution_median": "10 分钟"},
          "en": {"tab": "Reports", "first_median": "90 s", "first_p90": "60 min", "resolution_median": "10 min"}}


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_reports_tab_shows_the_figures_of_the_fixture(site: Site, browser: Any, api: Api, factory: Factory,
                                                          services: bootstrap.Services, locale: str, size: str) -> None:
    expect, texts = playwright_api.expect, REPORT[locale]
    owner = fixture_day(api, services, factory)  # 2 chats, 1 ticket: first responses 30 s, 90 s, 1 h
    page = sign_in(browser, site, owner.agent_key, locale, size)
    page.locator("nav button[data-tab=reports]").click()
    expect(page.locator("nav button[data-tab=reports]")).to_have_text(texts["tab"], timeout=WAIT_MS)
    panel = page.locator("#tab-reports")
    panel.locator("input[name=from]").fill("2026-06-15")
    panel.locator("input[name=to]").fill("2026-06-15")
    panel.locator("button[type=submit]").click()
    expect(panel.locator("[data-figure=chats] b")).to_have_text("2", timeout=WAIT_MS)
    expect(panel.locator("[data-figure=tickets] b")).to_have_text("1")
    # median of 30 s, 90 s, 3600 s by nearest rank is 90 s; p90 is 3600 s; the chat resolved after 10 minutes
    expect(panel.locator("[data-figure=first_median] b")).to_have_text(texts["first_median"])
    expect(panel.locator("[data-figure=first_p90] b")).to_have_text(texts["first_p90"])
    expect(panel.locator("[data-figure=resolution_median] b")).to_have_text(texts["resolution_median"])
    expect(panel.locator("[data-day='2026-06-15'] .report-count")).to_have_text("3")
    expect(panel.locator("tr[data-agent='Agent One'] td").nth(1)).to_have_text("3")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-reports-{locale}-{size}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


CAPTURE_NOTIFICATIONS = """
window.__notifications = [];
window.Notification = function (title, options) { window.__notifications.push([title, (options || {}).body]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""
NOTIFY = {"zh-CN": ("桌面通知", "新邮件工单 #2：发票", "(1) kefu 客服工作台"),
          "en": ("Notifications", "New email ticket #2: 发票", "(1) kefu console")}


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_new_ticket_counts_in_the_title_and_gives_a_desktop_notification_once_allowed(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str) -> None:
    expect = playwright_api.expect
    button, notification, title = NOTIFY[locale]
    address = support_address(services, site)
    deliver(services, raw_mail("anna@example.org", address, subject="订单 8841"), [address])
    page = browser.new_page(locale=locale, viewport=SIZES[size])
    page.add_init_script(CAPTURE_NOTIFICATIONS)  # what the console hands the browser's Notification API
    page.goto(f"{site.api}/console")
    page.locator("#key").fill(site.agent_key)
    page.locator("#login-form button").click()
    expect(page.locator("#conversations li[data-ticket]")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#notify")).to_have_text(button)
    page.locator("#notify").click()
    expect(page.locator("#notify")).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    assert page.title().startswith("(") is False  # what was there at sign-in is not new

    services.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined] - the test's clock
    deliver(services, raw_mail("bob@example.org", address, subject="发票", body="请开发票。"), [address])
    page.evaluate("window.kefuConsole.inboxChanged()")
    expect(page).to_have_title(title, timeout=WAIT_MS)
    assert page.evaluate("window.__notifications") == [[notification, "请开发票。"]]
    expect(page.locator("#conversations li.unread")).to_have_count(1)
    page.locator("#conversations li.unread").click()
    expect(page).to_have_title(title[4:], timeout=WAIT_MS)
