"""Readable plain text from an HTML mail body, for mail that has no text/plain part."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_DROPPED = {"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe"}
# fmt: off
_BLOCKS = {
    "p", "div", "br", "li", "tr", "table", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "center", "form",
    "fieldset", "caption", "thead", "tbody", "tfoot", "main", "nav", "aside", "figure", "figcaption",
}
# fmt: on
# These leave a blank line around them; other blocks (div, li, tr, br) only end the line.
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre", "hr"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (blockquote depth, text)
        self._line: list[str] = []
        self._line_depth = 0
        self._dropping: list[str] = []
        self._quote_depth = 0
        self._pre = 0
        self._links: list[tuple[str, int]] = []  # (href, length of the line text when the link opened)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropping:
            if tag == self._dropping[-1] and tag not in _VOID:
                self._dropping.append(tag)
            return
        if tag in _DROPPED:
            self._dropping.append(tag)
            return
        if tag == "br":
            self._break(force=True)  # "<div><br></div>" is how Gmail writes an empty line
        elif tag in _BLOCKS:
            self._break(paragraph=tag in _PARAGRAPHS)
        if tag == "li":
            self._write("- ")
        elif tag == "blockquote":
            self._quote_depth += 1
        elif tag == "pre":
            self._pre += 1
        elif tag in ("td", "th") and self._line:
            self._write(" ")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self._links.append((href, len("".join(self._line))))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._dropping:
            if tag == self._dropping[-1]:
                self._dropping.pop()
            return
        if tag == "a" and self._links:
            href, start = self._links.pop()
            shown = "".join(self._line)[start:].strip()
            target = href[7:] if href.lower().startswith("mailto:") else href
            if href.lower().startswith(_LINK_SCHEMES) and target not in shown:
                self._write(target if not shown else f" ({target})")
        if tag in _BLOCKS:
            self._break(paragraph=tag in _PARAGRAPHS)
        if tag == "blockquote" and self._quote_depth:
            self._quote_depth -= 1
        elif tag == "pre" and self._pre:
            self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._dropping:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._write(first)
            for piece in rest:
                self._break(force=True)
                self._write(piece)
            return
        self._write(_SPACES.sub(" ", data))

    def _write(self, text: str) -> None:
        if not self._line:
            self._line_depth = self._quote_depth
            if not self._pre:
                text = text.lstrip(" ")
        if text:
            self._line.append(text)

    def _break(self, force: bool = False, paragraph: bool = False) -> None:
        text = "".join(self._line).rstrip()
        if text or force:
            self.lines.append((self._line_depth, text))
        if paragraph and self.lines and self.lines[-1][1]:
            self.lines.append((self._quote_depth, ""))
        self._line = []

    def result(self) -> str:
        self._break()
        out: list[str] = []
        for depth, text in self.lines:
            prefix = "> " * depth
            line = (prefix + text).rstrip()
            if not line.strip("> ") and out and not out[-1].strip("> "):
                continue
            out.append(line)
        while out and not out[-1].strip("> "):
            out.pop()
        return "\n".join(out).strip("\n")


def html_to_text(html: str) -> str:
    """Plain text a person can read: scripts and styles dropped, links kept, entities decoded.

    Block elements become line breaks and blockquotes become "> " lines, so that quoted history in
    an HTML-only reply can still be recognised and stripped.
    """
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
        return builder.result()
    except Exception:  # a hostile document must not cost us the mail: strip tags crudely instead
        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html)
        text = re.sub(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", "\n", text)
        text = unescape(re.sub(r"<[^>]*>", " ", text))
        return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()
