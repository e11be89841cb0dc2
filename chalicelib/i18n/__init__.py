"""Catalogues of every text a person reads, and the choice of language.

Chinese first: zh-CN is the default, en is complete beside it, and another language (zh-TW, say) is added by
adding a folder of catalogues, nothing else. A catalogue is one JSON file per surface ("namespace": widget,
console, mail, notices, support, …) under `chalicelib/i18n/catalogues/<locale>/<namespace>.json`, so that each area owns
its own texts. A key is a dotted name; a value may carry `{placeholders}` filled by `text()`.

The choice of language is a pure function of what is known, best first: an explicit setting (the merchant's,
the agent's, the licensee's), then the browser's preferences (`Accept-Language` or `navigator.languages`), and
else zh-CN.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUES = Path(__file__).resolve().parent / "catalogues"
DEFAULT = "zh-CN"

# Tags a person's browser or setting may carry, mapped to the nearest language we could ever ship. Traditional
# Chinese falls back to Simplified until its catalogues exist; any other English falls to en.
_SCRIPT_HINTS = {"zh-hant": "zh-TW", "zh-tw": "zh-TW", "zh-hk": "zh-TW", "zh-mo": "zh-TW",
                 "zh-hans": "zh-CN", "zh-cn": "zh-CN", "zh-sg": "zh-CN", "zh": "zh-CN"}
_FALLBACK = {"zh-TW": "zh-CN"}


@cache
def locales() -> tuple[str, ...]:
    """The languages that have catalogues, the default first."""
    found = sorted(p.name for p in CATALOGUES.iterdir() if p.is_dir() and not p.name.startswith("_"))
    return tuple([DEFAULT] + [name for name in found if name != DEFAULT])


@cache
def namespaces() -> tuple[str, ...]:
    """Every surface that has a catalogue in any language."""
    return tuple(sorted({p.stem for folder in CATALOGUES.iterdir() if folder.is_dir() for p in folder.glob("*.json")}))


def _nearest(tag: str) -> str | None:
    """The language we ship that is nearest to one tag (`zh-Hans-CN`, `en_GB`, `ZH-tw;q=0.8`), or None."""
    tag = tag.split(";", 1)[0].strip().replace("_", "-").lower()
    if not tag or tag == "*":
        return None
    available = {name.lower(): name for name in locales()}
    if tag in available:
        return available[tag]
    parts = tag.split("-")
    for length in range(len(parts), 0, -1):
        prefix = "-".join(parts[:length])
        hinted = _SCRIPT_HINTS.get(prefix)
        if hinted is None and prefix in available:
            return available[prefix]
        while hinted is not None:
            if hinted.lower() in available:
                return available[hinted.lower()]
            hinted = _FALLBACK.get(hinted)
    if parts[0] in available:
        return available[parts[0]]
    return None


def accept_language(header: str | None) -> list[str]:
    """The tags of an `Accept-Language` header, best first (by q, then by order); malformed parts are skipped."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(*preferences: str | Iterable[str] | None) -> str:
    """The language to speak: the first preference we have a catalogue for, else zh-CN.

    Each preference is a tag, a list of tags (a browser's languages), or None (not set)."""
    for preference in preferences:
        if preference is None:
            continue
        tags = [preference] if isinstance(preference, str) else list(preference)
        for tag in tags:
            found = _nearest(tag)
            if found is not None:
                return found
    return DEFAULT


@cache
def catalogue(namespace: str, locale: str) -> dict[str, str]:
    """Every text of one surface in one language; a language missing a file falls back to the default's."""
    if namespace not in namespaces():
        raise KeyError(f"no catalogue named {namespace!r}")
    path = CATALOGUES / locale / f"{namespace}.json"
    if locale not in locales() or not path.exists():
        fallback = _FALLBACK.get(locale, DEFAULT)
        return catalogue(namespace, fallback) if locale != DEFAULT else {}
    texts: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in texts.items()}


def text(namespace: str, key: str, locale: str, **params: object) -> str:
    """One text in one language with its placeholders filled; a key missing in the language comes from zh-CN."""
    template = catalogue(namespace, locale).get(key)
    if template is None:
        template = catalogue(namespace, DEFAULT)[key]
    return template.format(**params) if params else template


def placeholders(template: str) -> set[str]:
    """The `{names}` a text expects, for the test that every language fills the same ones."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
