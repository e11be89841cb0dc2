"""Quote stripping: the share of replies whose new text is isolated exactly (goal ≥ 95 %), per language, per client
and overall, on the reply corpus (tests/unit/mail/fixtures/corpus: one real client format per file). Beside it the
same figure for the maintained reply parser mail-parser-reply, given the same text, and for the HTML parts read
alone. Whichever parser wins is the one kefu keeps (chalicelib/mail/quotes.py says which and why)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from email import message_from_bytes
from email.policy import compat32
from typing import Any

from bench.harness import Figure

NEEDS_DATABASE = False
GOAL = 95.0
# Every language mail-parser-reply knows, so that it is judged at its best.
_THEIR_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs", "ja", "ko", "zh"]


def _html(raw: bytes) -> str | None:
    for part in message_from_bytes(raw, policy=compat32).walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8", "replace")
    return None


def _share(hits: list[bool]) -> float:
    return 100.0 * sum(hits) / len(hits) if hits else 0.0


def _theirs() -> Callable[[str], str] | None:
    try:
        from mailparser_reply import EmailReplyParser
    except ImportError:
        return None
    parser = EmailReplyParser(languages=_THEIR_LANGUAGES)

    def strip(text: str) -> str:
        try:
            return str(parser.parse_reply(text))
        except Exception:  # a crash on a mail is a miss, not the end of the benchmark
            return ""
    return strip


def run(env: Any = None) -> list[Figure]:
    from chalicelib.mail.parsing import parse
    from chalicelib.mail.reply_html import strip_html_reply
    from tests.unit.mail.reply_corpus import cases, normalise

    theirs = _theirs()
    ours_by: dict[str, list[bool]] = defaultdict(list)
    theirs_by: dict[str, list[bool]] = defaultdict(list)
    html_hits: list[bool] = []
    misses: list[str] = []
    first_mails: list[bool] = []
    for case in cases():
        parsed = parse(case.raw)
        hit = normalise(parsed.new_text) == case.expected
        if not hit:
            misses.append(case.name)
        if not case.is_reply:
            first_mails.append(hit)
            continue
        for group in ("all", case.language, f"client {case.family}"):
            ours_by[group].append(hit)
            if theirs is not None:
                theirs_by[group].append(normalise(theirs(parsed.text)) == case.expected)
        html = _html(case.raw)
        if html is not None:
            html_hits.append(normalise(strip_html_reply(html)) == case.expected)

    total = len(ours_by["all"])
    ours, their_share = _share(ours_by["all"]), _share(theirs_by["all"])
    kept = "kefu's own" if theirs is None or ours >= their_share else "mail-parser-reply"
    figures = [Figure("replies exactly isolated, all (kefu)", ours, "%", f"≥ {GOAL:g} %", ours >= GOAL,
                      f"{sum(ours_by['all'])}/{total} replies; kept: {kept}"
                      + (f"; missed {', '.join(misses[:5])}" if misses else ""))]
    if theirs is not None:
        figures.append(Figure("replies exactly isolated, all (mail-parser-reply 1.36)", their_share, "%",
                              note=f"{sum(theirs_by['all'])}/{total}, same text in"))
    else:
        figures.append(Figure("replies exactly isolated, all (mail-parser-reply)", 0.0, "%",
                              note="not installed: pip install -r requirements-dev.txt"))
    figures.append(Figure("first mails left whole (kefu)", _share(first_mails), "%", "100 %",
                          all(first_mails), f"{sum(first_mails)}/{len(first_mails)} mails without a quote"))
    figures.append(Figure("HTML parts alone exactly isolated (kefu)", _share(html_hits), "%", f"≥ {GOAL:g} %",
                          _share(html_hits) >= GOAL, f"{sum(html_hits)}/{len(html_hits)} HTML parts"))
    for group in sorted(g for g in ours_by if g != "all"):
        note = f"{sum(ours_by[group])}/{len(ours_by[group])}"
        if theirs is not None:
            note += f"; mail-parser-reply {_share(theirs_by[group]):.0f} %"
        figures.append(Figure(f"  exactly isolated, {group}", _share(ours_by[group]), "%", f"≥ {GOAL:g} %",
                              _share(ours_by[group]) >= GOAL, note))
    return figures
