"""The reply corpus: one mail per client and language (fixtures/corpus/<language>/<client>.eml) with, beside it,
the exact text its writer newly wrote (<client>.txt), and first mails (first_mail_*) from which nothing may be cut.
Read by the behaviour tests and by `make bench`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@dataclass(frozen=True)
class Case:
    language: str  # zh-CN, zh-TW, zh-HK, en, ja, ko, de, fr, es
    client: str  # the file's stem: gmail, gmail_wrapped, outlook_web, qq_mail_html_only ...
    raw: bytes
    expected: str

    @property
    def name(self) -> str:
        return f"{self.language}/{self.client}"

    @property
    def is_reply(self) -> bool:
        """False for a first mail (no quote at all), which is in the corpus so that nothing is cut from it."""
        return not self.client.startswith("first_mail")

    @property
    def family(self) -> str:
        """The client the mail came from, whatever the variant: gmail, outlook, apple, yahoo, qq, netease ..."""
        for family, starts in _FAMILIES:
            if self.client.startswith(starts):
                return family
        return self.client


_FAMILIES = (("apple", ("apple", "iphone", "ipad")), ("outlook", ("outlook", "samsung_outlook")),
             ("qq", ("qq", "wecom")),
             ("netease", ("netease",)), ("gmail", ("gmail",)), ("yahoo", ("yahoo",)), ("foxmail", ("foxmail",)))


def cases() -> Iterator[Case]:
    for path in sorted(CORPUS.glob("*/*.eml")):
        expected = path.with_suffix(".txt").read_text(encoding="utf-8")
        yield Case(path.parent.name, path.stem, path.read_bytes(), normalise(expected))


def normalise(text: str) -> str:
    """What "exactly isolated" compares: the same lines in the same order; trailing spaces and runs of blank
    lines do not count (clients add both freely)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
