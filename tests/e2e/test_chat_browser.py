"""The chat as people use it, in real headless Chromium: a storefront page on one loopback origin loads the
widget from the API on another; the shopper writes, an agent answers (through the API and through the
console), and markup typed by anyone is shown as text, never run."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.chat.storefront import serve
from chalicelib.local.config import ROOT
from chalicelib.local.dynamodb import free_port
from tests.factories import Factory

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
MARKUP = "<img src=x onerror=alert(1)>"
WAIT_MS = 20_000


@dataclass
class Site:
    api: str
    storefront: str
    widget_key: str
    agent_key: str
    licensee_id: str


@pytest.fixture
def site(services: bootstrap.Services, factory: Factory) -> Iterator[Site]:
    """The API through Chalice's local server and the demo storefront, each on its own free loopback port."""
    from chalice.config import Config
    from chalice.local import CustomLocalChalice, LocalDevServer, create_local_server

    from app import app

    api_port, shop_port = free_port(), free_port()
    api, storefront = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{shop_port}"
    merchant = factory.merchant()
    widget_key = services.licensing.issue_widget_key(merchant.licensee_id, [storefront], "test").secret
    config = Config.create(chalice_stage="local", app_name="kefu", chalice_app=app, project_dir=str(ROOT))
    # Chalice's local server re-parents the app's class once; a second server reuses that
    server = LocalDevServer(app, config, "127.0.0.1", api_port) if isinstance(app, CustomLocalChalice) \
        else create_local_server(app, config, "127.0.0.1", api_port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bootstrap.use(services)
    _, stop_shop = serve("127.0.0.1", shop_port, api, widget_key, lambda: services.realtime.url)
    try:
        yield Site(api, storefront, widget_key, merchant.agent_key, merchant.licensee_id)
    finally:
        stop_shop()
        server.shutdown()


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def agent_call(site: Site, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"authorization": f"Bearer {site.agent_key}", "content-type": "application/json"}
    request = urllib.request.Request(f"{site.api}{path}", data, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def open_conversations(site: Site) -> list[dict[str, Any]]:
    return list(agent_call(site, "GET", "/v1/agent/conversations?status=open")["items"])


def test_shopper_and_agent_talk_through_the_widget_and_markup_stays_text(site: Site, browser: Any,
                                                                          services: bootstrap.Services) -> None:
    expect = playwright_api.expect
    agent_call(site, "PUT", "/v1/agent/presence", {"status": "online"})
    dialogs: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(site.storefront)

    page.locator("button.launcher").click()          # the locator pierces the widget's open shadow root
    page.locator("textarea[name=text]").fill("Is the Longjing in stock?")
    page.locator("button.send").click()
    expect(page.locator(".msg.visitor").first).to_contain_text("Is the Longjing in stock?", timeout=WAIT_MS)

    conversation = open_conversations(site)[0]
    agent_call(site, "POST", f"/v1/agent/conversations/{conversation['id']}/messages",
               {"text": f"Yes, plenty. {MARKUP}"})
    expect(page.locator(".msg.agent").first).to_contain_text(f"Yes, plenty. {MARKUP}", timeout=WAIT_MS)

    page.locator("textarea[name=text]").fill(MARKUP)
    page.locator("textarea[name=text]").press("Enter")
    expect(page.locator(".msg.visitor").nth(1)).to_contain_text(MARKUP, timeout=WAIT_MS)
    images = page.evaluate("document.querySelector('[data-kefu-widget]').shadowRoot.querySelectorAll('img').length")
    assert images == 0 and dialogs == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0

    # the storefront's CSS does not reach into the widget
    colour = page.locator(".msg.agent").first.evaluate("node => getComputedStyle(node).color")
    assert colour != "rgb(160, 82, 45)"

    # a page load keeps the conversation (the visitor token is in localStorage)
    page.reload()
    page.locator("button.launcher").click()
    expect(page.locator(".msg.agent").first).to_contain_text("Yes, plenty.", timeout=WAIT_MS)
    assert len(open_conversations(site)) == 1


def test_an_agent_answers_a_chat_from_the_console(site: Site, browser: Any) -> None:
    expect = playwright_api.expect
    shop = browser.new_page()
    shop.goto(site.storefront)
    shop.locator("button.launcher").click()
    shop.locator("input[name=email]").fill("shopper@example.com")  # nobody online yet: the email is asked for
    shop.locator("textarea[name=text]").fill("Do you ship to Suzhou?")
    shop.locator("button.send").click()
    expect(shop.locator(".msg.visitor").first).to_contain_text("Do you ship to Suzhou?", timeout=WAIT_MS)

    console = browser.new_page(locale="en-US")
    console.goto(f"{site.api}/console")
    console.locator("#key").fill(site.agent_key)
    console.locator("#login-form button").click()
    conversation_id = open_conversations(site)[0]["id"]
    console.locator(f"li[data-conversation='{conversation_id}']").click()
    expect(console.locator("#timeline .item.visitor")).to_contain_text("Do you ship to Suzhou?", timeout=WAIT_MS)
    console.locator("#reply-text").fill("We do, in two days.")
    console.locator("#reply-text").press("Enter")
    expect(console.locator("#timeline .item.agent")).to_contain_text("We do, in two days.", timeout=WAIT_MS)
    expect(shop.locator(".msg.agent").first).to_contain_text("We do, in two days.", timeout=WAIT_MS)

    # The merchant licenses email too, and nobody was online: the chat was handed over, and the Tickets tab
    # lists the ticket it became.
    console.locator("nav button[data-tab=tickets]").click()
    expect(console.locator("#tickets")).to_contain_text("Do you ship to Suzhou?", timeout=WAIT_MS)


def test_the_console_speaks_chinese_first_and_other_areas_add_tabs_in_its_language(
        site: Site, browser: Any, tmp_path: Any) -> None:
    expect = playwright_api.expect
    console = browser.new_page(locale="zh-CN")
    console.goto(f"{site.api}/console")
    expect(console.locator("#login-form button")).to_have_text("登录", timeout=WAIT_MS)
    assert console.evaluate("document.documentElement.lang") == "zh-CN"
    console.locator("#key").fill(site.agent_key)
    console.locator("#login-form button").click()
    expect(console.locator("nav button[data-tab=tickets]")).to_have_text("工单", timeout=WAIT_MS)
    expect(console.locator("#reply-text")).to_have_attribute("placeholder", "回复访客（Enter 发送，Shift+Enter 换行）")

    # A tab registered by another area's script is drawn with its own catalogue's texts.
    console.evaluate("""() => window.kefuConsole.register({id: "extra", namespace: "console", label: "nav.outbox",
        render: function (panel, ctx) {
            panel.appendChild(ctx.el("p", ctx.t("outbox.to", {to: ctx.me.name}), "x")); }})""")
    expect(console.locator("nav button[data-tab=extra]")).to_have_text("发件箱", timeout=WAIT_MS)
    console.locator("nav button[data-tab=extra]").click()
    expect(console.locator("#tab-extra p.x")).to_contain_text("收件人", timeout=WAIT_MS)
    expect(console.locator("#tab-conversations")).to_be_hidden()
    console.screenshot(path=str(tmp_path / "console-zh.png"))

    # Switching to English redraws the page and the added tab, and is remembered.
    console.locator("#language").select_option("en")
    expect(console.locator("nav button[data-tab=tickets]")).to_have_text("Tickets", timeout=WAIT_MS)
    expect(console.locator("nav button[data-tab=extra]")).to_have_text("Outbox", timeout=WAIT_MS)
    expect(console.locator("#tab-extra p.x")).to_contain_text("to ", timeout=WAIT_MS)
    console.reload()
    expect(console.locator("nav button[data-tab=tickets]")).to_have_text("Tickets", timeout=WAIT_MS)
    console.screenshot(path=str(tmp_path / "console-en.png"))
