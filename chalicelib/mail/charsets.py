"""Turning bytes into text when the declared charset may be wrong, missing or invented."""

from __future__ import annotations

import codecs
import re

# Chinese mail declares gb2312 but routinely contains characters only GBK or GB18030 have;
# decoding with the superset reads every one of those mails and loses nothing.
_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "gb18030": "gb18030",
    # Big5 mail from Hong Kong uses HKSCS characters; big5hkscs is the superset.
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "cp950",
    # Mail labelled Latin-1 or ASCII is, in practice, Windows-1252 (as browsers assume).
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ks_c_5601-1987": "cp949",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}

_FALLBACKS = ("utf-8", "gb18030")
_CHARSET_NAME = re.compile(r"^[A-Za-z0-9._:()+-]{1,40}$")


def codec_for(charset: str | None) -> str | None:
    """The Python codec that reads `charset`, or None when it names no text encoding we know."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").split("*", 1)[0].strip().lower()
    if not _CHARSET_NAME.match(name):
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
        # codecs also knows bytes-to-bytes transforms (base64, zlib, rot13): those are no charset.
        b"".decode(info.name)
    except (LookupError, ValueError):
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode `data` declared as `charset`; returns the text and whether the charset was wrong.

    A missing charset is not wrong (plain ASCII mail omits it); an unknown one, or bytes that are
    invalid in the declared one, is. Either way some text always comes back: UTF-8, then GB18030,
    then Latin-1, which cannot fail.
    """
    codec = codec_for(charset)
    declared = (charset or "").strip().lower()
    declared_is_ascii = codec in (None, "cp1252") and declared in ("", "us-ascii", "ascii")
    if codec is not None and not (declared_is_ascii and not data.isascii()):
        try:
            return data.decode(codec), False
        except (UnicodeDecodeError, LookupError, ValueError):
            if codec == "cp1252":
                # The five bytes Windows-1252 leaves undefined are still valid Latin-1.
                return data.decode("latin-1"), False
    bad = bool(charset) and not (declared_is_ascii and _decodes_as_utf8(data))
    return fallback_decode(data), bad


def fallback_decode(data: bytes) -> str:
    """Best-effort text from bytes of unknown charset: UTF-8, then GB18030, then Latin-1."""
    for codec in _FALLBACKS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _decodes_as_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
