"""What a person newly wrote in an HTML reply: the text above the element where their client put the quote.

Clients mark the quoted history in their HTML more reliably than in the text they derive from it: Gmail's
`gmail_quote`, Outlook's `divRplyFwdMsg` and the top-bordered box Outlook desktop draws around the original's
header, Apple Mail's `<blockquote type="cite">`, Yahoo's `yahoo_quoted`, Thunderbird's `moz-cite-prefix`,
QQ Mail's and Foxmail's `<includetail>`, 163/126's `isReplyContent`. The text above the first such element is
then read like a plain-text reply (quotes.strip_reply), which also drops the attribution line and signatures."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from chalicelib.mail.html_text import html_to_text
from chalicelib.mail.quotes import strip_reply

_QUOTE_CLASSES = {"gmail_quote", "gmail_quote_container", "gmail_attr", "yahoo_quoted", "moz-cite-prefix",
                  "protonmail_quote", "zmail_extra", "x_gmail_quote"}
_QUOTE_IDS = {"divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container",
              "isreplycontent", "isforwardcontent", "reply-content", "qqmail_original", "origbody"}
_QUOTE_ID_PREFIXES = ("yahoo_quoted_", "divrplyfwdmsg")
_QUOTE_TAGS = {"includetail"}  # QQ Mail and Foxmail wrap the original in it
# Outlook desktop: <div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
_OUTLOOK_BOX = re.compile(r"border-top\s*:\s*solid\s+#(?:e1e1e1|b5c4df)", re.IGNORECASE)


class _QuoteFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: tuple[int, int] | None = None  # (line, column) where the quote's element starts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.found is None and _marks_quote(tag, dict(attrs)):
            self.found = self.getpos()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _marks_quote(tag: str, attrs: dict[str, str | None]) -> bool:
    if tag in _QUOTE_TAGS:
        return True
    classes = set((attrs.get("class") or "").lower().split())
    element_id = (attrs.get("id") or "").lower()
    if classes & _QUOTE_CLASSES or element_id in _QUOTE_IDS or element_id.startswith(_QUOTE_ID_PREFIXES):
        return True
    if tag == "blockquote" and (attrs.get("type") or "").lower() == "cite":
        return True
    return tag == "div" and bool(_OUTLOOK_BOX.search(attrs.get("style") or ""))


def quote_start(html: str) -> int | None:
    """The offset in `html` of the first element that holds the quoted history, or None when there is none."""
    finder = _QuoteFinder()
    try:
        finder.feed(html)
        finder.close()
    except Exception:  # a hostile document: no marker, read it as text
        return None
    if finder.found is None:
        return None
    line, column = finder.found
    offsets = [0]
    for piece in html.splitlines(keepends=True)[: line - 1]:
        offsets.append(offsets[-1] + len(piece))
    return offsets[line - 1] + column


def strip_html_reply(html: str) -> str:
    """Only the newly written part of an HTML reply, as plain text; "" when it holds nothing new."""
    start = quote_start(html)
    head = html if start is None else html[:start]
    return strip_reply(html_to_text(head))
