"""The catalogues, for pages that draw their texts in the browser (the console and its tabs)."""

from __future__ import annotations

from collections.abc import Mapping

from chalice import Blueprint, Response

import chalicelib.i18n as i18n
from chalicelib.core.errors import NotFound
from chalicelib.core.http import json_response

i18n_api = Blueprint(__name__)


@i18n_api.route("/v1/i18n/{namespace}", methods=["GET"])
def texts(namespace: str) -> Response:
    """`{"locale", "locales", "texts"}` of one surface, in the language asked for by `?locale=`, else the
    browser's `Accept-Language`, else zh-CN. Texts are public; a day's caching is safe within a release."""
    if namespace not in i18n.namespaces():
        raise NotFound("There are no texts of that name.", code="NO_SUCH_TEXTS")
    request = i18n_api.current_request
    query: Mapping[str, str] = request.query_params or {}
    asked = query.get("locale")
    locale = i18n.negotiate(asked, i18n.accept_language(request.headers.get("accept-language")))
    return json_response({"locale": locale, "locales": list(i18n.locales()),
                          "texts": i18n.catalogue(namespace, locale)},
                         headers={"Cache-Control": "public, max-age=300", "Vary": "Accept-Language"})
