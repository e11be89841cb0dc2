"""The console's tags, contact view, push channel and phone-sized tab bar, in real headless Chromium, in Chinese
and in English, on a desktop and at 390×844."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.chat import stamps
from chalicelib.inbox.ticket_files import UPLOADS_PER_TICKET
from tests.e2e import test_chat_browser as chat_browser
from tests.e2e.test_chat_browser import WAIT_MS, Site, playwright_api
from tests.e2e.test_console_browser import SHOTS, SIZES, sign_in, support_address
from tests.factories import Factory
from tests.mail_helpers import deliver, raw_mail

pytestmark = pytest.mark.e2e
site, browser = chat_browser.site, chat_browser.browser  # the same fixtures: the API on a free port, Chromium

TEXTS = {"zh-CN": {"profile": "客户档案", "tickets": "工单（2）", "chats": "会话（1）", "calls": "通话（0）",
                   "live": "实时", "online": "在线同事："},
         "en": {"profile": "Customer profile", "tickets": "Tickets (2)", "chats": "Chats (1)", "calls": "Calls (0)",
                "live": "Live", "online": "Colleagues online:"}}

QUOTA = {"zh-CN": f"一个会话或工单最多 {UPLOADS_PER_TICKET} 个文件",
         "en": f"at most {UPLOADS_PER_TICKET} on one conversation or ticket"}


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_agent_tags_a_ticket_filters_by_the_tag_and_opens_the_customers_contact_view(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str) -> None:
    expect, texts = playwright_api.expect, TEXTS[locale]
    address = support_address(services, site)
    deliver(services, raw_mail("anna@example.org", address, subject="订单 8841 没有收到", body="还没到。"), [address])
    deliver(services, raw_mail("anna@example.org", address, subject="发票", body="请开发票。"), [address])
    deliver(services, raw_mail("bob@example.org", address, subject="退货", body="想退货。"), [address])
    services.chat.start(site.licensee_id, None, text="请问有货吗？", name="安娜", email="anna@example.org")
    page = sign_in(browser, site, site.agent_key, locale, size)
    entries = page.locator("#conversations li[data-entry]")
    expect(entries).to_have_count(4, timeout=WAIT_MS)

    page.locator("#conversations li[data-ticket]", has_text="8841").click()
    expect(page.locator("#ticket .item.visitor")).to_contain_text("还没到", timeout=WAIT_MS)
    editor = page.locator("[data-tags=ticket]")
    editor.locator("input").fill("VIP, 物流")
    editor.locator("input").press("Enter")
    expect(editor.locator(".tag")).to_have_count(2, timeout=WAIT_MS)
    expect(editor.locator(".tag").first).to_contain_text("vip")

    page.locator("nav button[data-tab=conversations]").click()  # the list (on a phone too: the ticket was elsewhere)
    page.locator("#tag-filter").select_option("vip")
    expect(entries).to_have_count(1, timeout=WAIT_MS)
    expect(entries.first).to_contain_text("8841")
    expect(entries.first.locator(".tag")).to_have_count(2)
    page.locator("#tag-filter").select_option("")
    expect(entries).to_have_count(4, timeout=WAIT_MS)

    entries.filter(has_text="8841").click()
    page.locator("#ticket-actions .contact-open").click()
    contact = page.locator("#tab-contact")
    expect(contact.locator(".contact-head")).to_contain_text("anna@example.org", timeout=WAIT_MS)
    expect(contact.locator("h3").nth(0)).to_have_text(texts["tickets"])
    expect(contact.locator("h3").nth(1)).to_have_text(texts["chats"])
    expect(contact.locator("h3").nth(2)).to_have_text(texts["calls"])
    expect(contact.locator("li[data-entry^=ticket]")).to_have_count(2)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-contact-{locale}-{size}.png"))
    contact.locator("li[data-entry^=chat]").click()
    expect(page.locator("#timeline .item.visitor")).to_contain_text("请问有货吗？", timeout=WAIT_MS)
    expect(page.locator("#timeline .item.visitor small")).to_contain_text("安娜")  # the customer's name shows
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_console_listens_on_the_push_channel_and_shows_colleagues_online(
        site: Site, browser: Any, services: bootstrap.Services, push: str, locale: str) -> None:
    expect, texts = playwright_api.expect, TEXTS[locale]
    address = support_address(services, site)
    colleague = services.licensing.issue_agent_key(site.licensee_id, "王芳", "wang@shop.example", "test").secret
    started = services.chat.start(site.licensee_id, None, text="在吗？", name="李雷")
    page = sign_in(browser, site, site.agent_key, locale, "desktop")
    expect(page.locator(".colleagues .live")).to_have_text(texts["live"], timeout=WAIT_MS)
    expect(page.locator(".colleagues .live")).to_have_attribute("data-live", "true")

    # a new mail and a shopper's message arrive well before the next poll (60 s while push is open)
    services.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined] - the test's clock
    deliver(services, raw_mail("bob@example.org", address, subject="发票", body="请开发票。"), [address])
    expect(page.locator("#conversations li[data-ticket]")).to_contain_text("发票", timeout=5000)
    page.locator("#conversations li[data-conversation]").click()
    expect(page.locator("#timeline .item.visitor")).to_have_count(1, timeout=WAIT_MS)
    visitor = services.chat.visitor(site.licensee_id, started.visitor_token)
    services.chat.send_as_visitor(site.licensee_id, visitor, started.conversation.conversation_id, "还有货吗？", None)
    expect(page.locator("#timeline .item.visitor")).to_have_count(2, timeout=2500)  # live, not the 3 s poll

    chat_browser.agent_call(Site(site.api, site.storefront, site.widget_key, colleague, site.licensee_id),
                            "PUT", "/v1/agent/presence", {"status": "online"})
    expect(page.locator(".colleagues [data-agent]")).to_have_text("王芳", timeout=5000)
    expect(page.locator(".colleagues .label")).to_have_text(texts["online"])
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-live-{locale}-desktop.png"))


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_at_390_px_every_tab_of_an_admin_is_reachable_and_the_bar_says_more_wait(
        site: Site, browser: Any, services: bootstrap.Services, factory: Factory, locale: str) -> None:
    expect = playwright_api.expect
    admin = factory.admin_key(site.licensee_id)
    page = sign_in(browser, site, admin, locale, "phone")
    tabs = page.locator("nav#tabs button:not(.hidden)")
    expect(page.locator("nav#tabs button[data-tab=support]")).to_be_visible(timeout=WAIT_MS)
    count = tabs.count()
    assert count >= 7
    page.wait_for_function("document.getElementById('tabs').classList.contains('more-after')", timeout=WAIT_MS)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-tabs-{locale}-phone.png"), clip={"x": 0, "y": 0, "width": 390,
                                                                                  "height": 160})
    last = tabs.nth(count - 1)
    last.click()
    box = last.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    expect(page.locator(f"[data-tab-panel={last.get_attribute('data-tab')}]")).to_be_visible(timeout=WAIT_MS)
    assert "more-before" in (page.locator("nav#tabs").get_attribute("class") or "")
    page.screenshot(path=str(SHOTS / f"console-tabs-end-{locale}-phone.png"), clip={"x": 0, "y": 0, "width": 390,
                                                                                      "height": 160})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _picture() -> bytes:
    """A real 120×60 PNG (a blue band), so that the screenshot shows the picture the shopper gets."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x3b\x82\xf6" * 120 for _ in range(60))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 120, 60, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("locale", "size"), [("zh-CN", "phone"), ("en", "desktop")])
def test_an_agent_attaches_a_picture_to_a_chat_reply_and_the_shopper_gets_it(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str, tmp_path: Any) -> None:
    expect = playwright_api.expect
    started = services.chat.start(site.licensee_id, None, text="能发一下尺码表吗？", name="李雷")
    page = sign_in(browser, site, site.agent_key, locale, size)
    page.locator("#conversations li[data-conversation]").click()
    expect(page.locator("#timeline .item.visitor")).to_contain_text("尺码表", timeout=WAIT_MS)
    picture = tmp_path / "尺码表.png"
    picture.write_bytes(_picture())
    page.locator("#attach-file").set_input_files(str(picture))
    expect(page.locator("#timeline .item.agent img.thumb")).to_have_count(1, timeout=WAIT_MS)
    too_big = tmp_path / "big.pdf"
    too_big.write_bytes(b"%PDF-1.7\n" + b"x" * (5 * 1024 * 1024))
    page.locator("#attach-file").set_input_files(str(too_big))
    expect(page.locator("#error")).to_contain_text("5 MB", timeout=WAIT_MS)
    # the error stands below the reply box, covering none of its buttons, inside the window
    send, error = page.locator("#send-reply").bounding_box(), page.locator("#error").bounding_box()
    assert send is not None and error is not None
    assert send["y"] + send["height"] <= error["y"] + 1 and error["y"] + error["height"] <= page.viewport_size["height"]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-attach-{locale}-{size}.png"))
    visitor = services.chat.visitor(site.licensee_id, started.visitor_token)
    polled = services.chat.poll(site.licensee_id, visitor, started.conversation.conversation_id, stamps.Cursor())
    assert [(m.author.value, m.attachment.name if m.attachment else None) for m in polled.messages[1:]] == [
        ("agent", "尺码表.png")]  # after the shopper's question
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


@pytest.mark.parametrize(("locale", "size"), [("zh-CN", "desktop"), ("en", "phone")])
def test_an_agent_answers_an_email_with_a_file_the_customer_receives(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str, tmp_path: Any) -> None:
    import email

    expect = playwright_api.expect
    address = support_address(services, site)
    deliver(services, raw_mail("anna@example.org", address, subject="发票", body="请发发票。"), [address])
    page = sign_in(browser, site, site.agent_key, locale, size)
    page.locator("nav button[data-tab=tickets]").click()
    page.locator("#tickets li[data-ticket]").first.click()
    expect(page.locator("#ticket .item.visitor")).to_contain_text("请发发票", timeout=WAIT_MS)
    invoice = tmp_path / "发票.pdf"
    invoice.write_bytes(b"%PDF-1.7\n" + b"x" * 200)
    page.locator("#ticket-attach-file").set_input_files(str(invoice))
    expect(page.locator("#ticket-files .file-chip")).to_contain_text("发票.pdf", timeout=WAIT_MS)
    # the ticket's quota of files taken meanwhile (say, by colleagues): the next file is refused in words
    ticket_id = services.mail.list_tickets(site.licensee_id, "open", 10, None)["items"][0]["id"]
    while services.mail.store.take_upload(site.licensee_id, ticket_id, UPLOADS_PER_TICKET):
        pass
    page.locator("#ticket-attach-file").set_input_files(str(invoice))
    expect(page.locator("#ticket-error")).to_contain_text(QUOTA[locale], timeout=WAIT_MS)
    expect(page.locator("#ticket-error")).to_be_visible()  # in the ticket's panel, not the hidden chat's
    expect(page.locator("#ticket-files .file-chip")).to_have_count(1)
    send, error = page.locator("#ticket-form").bounding_box(), page.locator("#ticket-error").bounding_box()
    assert send is not None and error is not None
    assert send["y"] + send["height"] <= error["y"] + 1 and error["y"] + error["height"] <= page.viewport_size["height"]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-email-quota-{locale}-{size}.png"))
    page.locator("#ticket-text").fill("发票见附件。")
    page.locator("#ticket-form button[type=submit]").click()
    expect(page.locator("#ticket .item.agent a")).to_contain_text("发票.pdf", timeout=WAIT_MS)
    expect(page.locator("#ticket-files .file-chip")).to_have_count(0)
    expect(page.locator("#ticket-error")).to_be_empty()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-email-file-{locale}-{size}.png"))
    sent = services.mailer.entries(("licensee", site.licensee_id))  # type: ignore[attr-defined]
    mail = email.message_from_bytes(services.mailer.read(sent[0]["id"]))  # type: ignore[attr-defined]
    assert [p.get_filename() for p in mail.walk() if p.get_filename()] == ["发票.pdf"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


@pytest.mark.parametrize(("locale", "size"), [("zh-CN", "desktop"), ("en", "phone")])
def test_a_file_an_agent_sends_into_a_handed_over_chat_reaches_the_shopper_by_email_and_stands_in_the_ticket(
        site: Site, browser: Any, services: bootstrap.Services, locale: str, size: str, tmp_path: Any) -> None:
    import email

    expect = playwright_api.expect
    support_address(services, site)
    started = services.chat.start(site.licensee_id, None, text="没人在线，请发邮件给我尺码表。", name="李雷",
                                  email="lilei@shopper.example", email_licensed=True)  # before anyone signs in
    assert started.conversation.ticket_id
    page = sign_in(browser, site, site.agent_key, locale, size)
    page.locator("#conversations li[data-conversation]").first.click()
    expect(page.locator("#timeline .item.visitor")).to_contain_text("尺码表", timeout=WAIT_MS)
    picture = tmp_path / "尺码表.png"
    picture.write_bytes(_picture())
    page.locator("#attach-file").set_input_files(str(picture))
    expect(page.locator("#timeline .item.agent img.thumb")).to_have_count(1, timeout=WAIT_MS)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-handover-file-chat-{locale}-{size}.png"))
    sent = services.mailer.entries(("licensee", site.licensee_id))  # type: ignore[attr-defined]
    replies = [e for e in sent if e["tags"]["kind"] == "reply"]  # beside the hand-over's acknowledgement
    assert len(replies) == 1
    mail = email.message_from_bytes(services.mailer.read(replies[0]["id"]))  # type: ignore[attr-defined]
    assert [p.get_filename() for p in mail.walk() if p.get_filename()] == ["尺码表.png"]
    page.goto(f"{site.api}/console")  # the tickets tab, fresh
    page.locator("nav button[data-tab=tickets]").click()
    page.locator("#tickets li[data-ticket]").first.click()
    expect(page.locator("#ticket .item.agent a")).to_contain_text("尺码表.png", timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / f"console-handover-file-ticket-{locale}-{size}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
