"""What counts as text, in one place: the API's edge refuses the rest (core/validation.py), mail parsing
cleans it out, and answers make sure that no stored string can break their encoding. Pure: no imports."""

from __future__ import annotations

import re

# Unpaired surrogates cannot be encoded as UTF-8 (every later answer holding one would fail); control
# characters other than tab and line breaks have no place in text a person wrote.
NOT_TEXT = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# A line break where a header value goes would start another header (names reach From and Subject).
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")


def clean_text(value: str) -> str:
    """For text from outside that must be kept (mail): unpaired surrogates become U+FFFD, control characters
    other than tab and line breaks go."""
    return NOT_TEXT.sub(lambda m: "\ufffd" if _SURROGATES.match(m.group()) else "", value)


def encodable(text: str) -> str:
    """Text that can always be sent as UTF-8: a stored item from before the checks never breaks a read."""
    return _SURROGATES.sub("\ufffd", text)


def one_line(value: str) -> str:
    """A value that goes into a mail header: line breaks become spaces, the rest is cleaned as text."""
    return " ".join(_LINE_BREAKS.sub(" ", clean_text(value)).split())
