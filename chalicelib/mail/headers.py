"""Reading header values: encoded words, raw 8-bit text, addresses and message ids."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import dataclass
from email.utils import getaddresses

from chalicelib.mail.charsets import codec_for, decode_bytes, fallback_decode

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"^[ \t\r\n]*$")
_FOLD = re.compile(r"\r?\n[ \t]*")
_ANGLE_ID = re.compile(r"<([^<>\s]{1,998})>")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[^@\s<>()\[\],;:\"]{1,255}$")
# RFC 5322 caps a line at 998 characters; a longer id is junk and too big for a key.
MAX_MESSAGE_ID = 998


@dataclass(frozen=True)
class Address:
    """One mailbox: lower-cased address and the decoded display name ("" when none)."""

    address: str
    name: str = ""


@dataclass(frozen=True)
class HeaderText:
    text: str
    bad_charset: bool = False


def unfold(raw: str) -> str:
    return _FOLD.sub(" ", raw).strip()


def raw_to_text(raw: str) -> HeaderText:
    """Header text as stored by the parser: ASCII, with 8-bit bytes kept as surrogate escapes.

    Some clients send raw UTF-8 or GBK in headers instead of encoded words; those bytes come back
    here and are decoded the same forgiving way as a body without a charset.
    """
    if raw.isascii():
        return HeaderText(raw)
    try:
        data = raw.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return HeaderText(raw)
    return HeaderText(fallback_decode(data))


def decode_words(value: str) -> HeaderText:
    """Decode RFC 2047 encoded words (Q and B, any charset) inside an unfolded header value.

    Adjacent words in one charset are joined as bytes before decoding, because clients split a
    multi-byte character across two words; whitespace between encoded words is dropped.
    """
    pieces: list[tuple[str | None, bytes | str]] = []  # (charset, bytes) or (None, literal text)
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        literal = value[position : match.start()]
        previous_is_word = bool(pieces) and pieces[-1][0] is not None
        if literal and not (previous_is_word and _BETWEEN_WORDS.match(literal)):
            pieces.append((None, literal))
        charset, encoding, payload = match.group(1), match.group(2).upper(), match.group(3)
        data = _decode_word_payload(encoding, payload)
        if data is None:
            pieces.append((None, match.group(0)))
        elif pieces and pieces[-1][0] is not None and pieces[-1][0] == charset.lower():
            previous = pieces[-1][1]
            assert isinstance(previous, bytes)
            pieces[-1] = (charset.lower(), previous + data)
        else:
            pieces.append((charset.lower(), data))
        position = match.end()
    if position < len(value):
        pieces.append((None, value[position:]))

    bad = False
    out: list[str] = []
    for charset, chunk in pieces:
        if charset is None:
            assert isinstance(chunk, str)
            out.append(chunk)
            continue
        assert isinstance(chunk, bytes)
        text, wrong = decode_bytes(chunk, charset)
        bad = bad or wrong or codec_for(charset) is None
        out.append(text)
    return HeaderText("".join(out), bad)


def _decode_word_payload(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding == "B":
            cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            cleaned += "=" * (-len(cleaned) % 4)
            if len(cleaned) % 4 == 1:
                cleaned = cleaned[:-1]
            return base64.b64decode(cleaned)
        return quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def decode_header(raw: str) -> HeaderText:
    """A whole header value (as stored by the parser) as readable text."""
    plain = raw_to_text(unfold(raw))
    words = decode_words(plain.text)
    return HeaderText(" ".join(words.text.split()), plain.bad_charset or words.bad_charset)


def parse_addresses(raws: list[str]) -> tuple[list[Address], bool]:
    """Mailboxes from one or more address headers; also whether any entry could not be read.

    Addresses are split before display names are decoded, so a name that decodes to a comma or
    angle bracket cannot break the list apart.
    """
    texts = [raw_to_text(unfold(raw)).text for raw in raws]
    found: list[Address] = []
    unreadable = False
    for name, addr in getaddresses(texts):
        addr = addr.strip().strip("<>").strip()
        if not addr and not name:
            continue
        if not _ADDRESS.match(addr):
            unreadable = True
            continue
        found.append(Address(addr.lower(), decode_header(name).text.strip().strip('"').strip()))
    return found, unreadable


def message_ids(raw: str) -> list[str]:
    """Message ids in a Message-ID, In-Reply-To or References value, without angle brackets.

    Ids keep their case (the left part is case-sensitive). A value without angle brackets, which
    some clients send, is split on whitespace.
    """
    text = raw_to_text(unfold(raw)).text
    ids = _ANGLE_ID.findall(text)
    if not ids and "<" not in text:
        ids = [token for token in text.replace(",", " ").split() if "@" in token]
    seen: set[str] = set()
    result: list[str] = []
    for message_id in ids:
        message_id = message_id.strip()
        if message_id and len(message_id) <= MAX_MESSAGE_ID and message_id not in seen:
            seen.add(message_id)
            result.append(message_id)
    return result
