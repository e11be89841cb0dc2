"""`make run` shows licensor staff the dashboard CloudWatch will show: `/ops` in Chromium, behind the run's
operations key, with graphs of the metrics this run emitted, in Chinese first and in English."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chalicelib.local.dynamodb import free_port
from chalicelib.metrics import CATALOGUE
from chalicelib.operations.messages import messages
from tests.e2e.test_chat_browser import ARGS, CHROMIUM, WAIT_MS
from tests.e2e.test_local_run import post, start, stop, wait_healthy

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
SHOTS = Path(__file__).resolve().parents[2] / ".local" / "screenshots"


def test_the_local_dashboard_draws_the_metrics_this_run_emits(tmp_path: Path) -> None:
    api_port = free_port()
    api = f"http://127.0.0.1:{api_port}"
    process = start(tmp_path, api_port, free_port())
    try:
        wait_healthy(api, process)
        demo = json.loads((tmp_path / "demo.json").read_text())
        validate = f"{api}/v1/licenses/validate"
        for _ in range(3):  # a request that emits LicenseValidations{code}
            assert post(validate, {"key": demo["widget_key"], "channel": "chat"})["code"] == "VALID"
        assert post(f"{api}/v1/licenses/validate", {"key": "kefu_wrong", "channel": "chat"})["code"] != "VALID"
        with pytest.raises(urllib.error.HTTPError) as refused:  # the data only with the run's key
            urllib.request.urlopen(urllib.request.Request(f"{api}/ops/data", headers={"x-staff-key": "no"}),  # noqa: S310
                                   timeout=5)
        assert refused.value.code == 403

        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
                page.goto(demo["ops_url"])
                page.wait_for_selector("#board[data-ready='1']", timeout=WAIT_MS)
                assert page.title() == messages("zh-CN")["page.title"]
                assert page.locator(".panel").count() == len(CATALOGUE)
                validations = page.locator(".panel[data-metric='LicenseValidations']")
                assert validations.locator("h3").inner_text() == messages("zh-CN")["metric.LicenseValidations"]
                valid = validations.locator("path[data-series='VALID']")
                assert valid.count() == 1 and len(valid.get_attribute("d") or "") > 3
                assert "VALID (3)" in validations.locator(".legend").inner_text()
                assert page.locator(".panel[data-metric='HealthChecks'] path").count() >= 1  # /v1/health polled
                SHOTS.mkdir(parents=True, exist_ok=True)
                validations.scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS / "ops-zh.png"), full_page=True)

                page.click("#language")
                page.wait_for_selector("html[lang='en']", state="attached", timeout=WAIT_MS)
                assert page.locator("#title").inner_text() == messages("en")["page.title"]
                assert validations.locator("h3").inner_text() == messages("en")["metric.LicenseValidations"]
                page.screenshot(path=str(SHOTS / "ops-en.png"), full_page=False)
            finally:
                browser.close()
    finally:
        stop(process)
