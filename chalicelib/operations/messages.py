"""What the local operations page (`/ops`) says: the `ops` catalogue of chalicelib/i18n, zh-CN first. Metric
titles are keyed `metric.<name>` by the catalogue's metric names and areas `area.<area>`; a test keeps both
languages complete for every metric and area."""

from __future__ import annotations

from chalicelib import i18n

NAMESPACE = "ops"


def language(requested: str | None) -> str:
    """The page's language: the nearest one asked for that has a catalogue, else zh-CN."""
    return i18n.negotiate(requested)


def messages(lang: str) -> dict[str, str]:
    return i18n.catalogue(NAMESPACE, language(lang))


def text(lang: str, key: str) -> str:
    return messages(lang).get(key) or i18n.catalogue(NAMESPACE, i18n.DEFAULT).get(key) or key
