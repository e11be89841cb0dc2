"""The catalogues and the choice of language: zh-CN first, en complete beside it, more by adding a folder."""

from __future__ import annotations

import pytest

import chalicelib.i18n as i18n


@pytest.mark.parametrize(("preferences", "expected"), [
    ((None, None), "zh-CN"),                                   # nothing known: Chinese
    (("en",), "en"),
    (("en-GB",), "en"),
    (("EN_us",), "en"),
    (("zh",), "zh-CN"),
    (("zh-Hans-CN",), "zh-CN"),
    (("zh-TW",), "zh-CN"),                                     # Traditional falls back to Simplified until it ships
    (("fr-FR",), "zh-CN"),                                     # a language we do not have: the default
    ((None, ["fr-FR", "en-US", "zh-CN"]), "en"),               # the browser's first language we have
    (("zh-CN", ["en-US"]), "zh-CN"),                           # an explicit setting wins over the browser
    (("xx", ["en"]), "en"),                                    # an unknown setting does not hide the browser
    (("*",), "zh-CN"),
])
def test_the_language_is_the_first_preference_we_have_a_catalogue_for(
        preferences: tuple[object, ...], expected: str) -> None:
    assert i18n.negotiate(*preferences) == expected  # type: ignore[arg-type]


def test_accept_language_is_read_by_quality_then_order_and_malformed_parts_are_skipped() -> None:
    assert i18n.accept_language("fr;q=0.5, en-US;q=0.8, zh-CN, de;q=x, ja;q=0") == ["zh-CN", "en-US", "fr"]
    assert i18n.accept_language(None) == []
    assert i18n.negotiate(i18n.accept_language("de-DE,en;q=0.7")) == "en"


def test_zh_cn_is_the_default_and_ships_with_english() -> None:
    assert i18n.locales()[0] == "zh-CN"
    assert "en" in i18n.locales()


@pytest.mark.parametrize("namespace", i18n.namespaces())
def test_every_language_has_every_key_of_every_other_with_the_same_placeholders(namespace: str) -> None:
    keys = {locale: set(i18n.catalogue(namespace, locale)) for locale in i18n.locales()}
    everything = set().union(*keys.values())
    for locale, present in keys.items():
        assert present == everything, f"{locale}/{namespace}.json lacks {sorted(everything - present)}"
    for key in everything:
        expected = {locale: i18n.placeholders(i18n.catalogue(namespace, locale)[key]) for locale in i18n.locales()}
        assert len({frozenset(names) for names in expected.values()}) == 1, f"{namespace}:{key} {expected}"
        assert all(i18n.catalogue(namespace, locale)[key].strip() for locale in i18n.locales())


def test_texts_fill_their_placeholders_in_the_language_asked_for() -> None:
    assert i18n.text("console", "outbox.to", "en", to="li@example.com") == "to li@example.com"
    assert i18n.text("console", "outbox.to", "zh-CN", to="li@example.com") == "收件人 li@example.com"
    assert i18n.text("console", "outbox.to", "zh-TW", to="a@b.c") == "收件人 a@b.c"


def test_an_unknown_surface_is_refused_rather_than_answered_empty() -> None:
    with pytest.raises(KeyError):
        i18n.catalogue("no-such-surface", "en")
