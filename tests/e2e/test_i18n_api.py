"""The catalogues served to pages that draw their texts in the browser."""

from __future__ import annotations

import chalicelib.i18n as i18n
from tests.e2e.conftest import Api


def test_texts_come_in_the_language_asked_for_else_the_browsers_else_chinese(api: Api) -> None:
    status, body, headers = api.call("GET", "/v1/i18n/console?locale=en")
    assert status == 200
    assert body["locale"] == "en" and body["texts"] == i18n.catalogue("console", "en")
    assert body["locales"][0] == "zh-CN"
    assert "Accept-Language" in headers.get("vary", headers.get("Vary", ""))

    status, body, _ = api.call("GET", "/v1/i18n/console", headers={"accept-language": "en-GB,en;q=0.9"})
    assert body["locale"] == "en"
    status, body, _ = api.call("GET", "/v1/i18n/console", headers={"accept-language": "fr-FR"})
    assert body["locale"] == "zh-CN" and body["texts"]["login.submit"] == "登录"


def test_an_unknown_surface_is_a_404_in_the_error_shape(api: Api) -> None:
    status, body, _ = api.call("GET", "/v1/i18n/no-such-surface")
    assert status == 404
    assert body["error"]["code"] == "NO_SUCH_TEXTS"
