"""Every reply of the corpus (one per client and language, fixtures/corpus) is isolated exactly: what its writer
newly wrote, no attribution, no quoted history, no phone or app signature. The HTML part of each, read alone
(as when a client sends HTML only), gives the same text."""

from email import message_from_bytes
from email.policy import compat32

import pytest

from chalicelib.mail.parsing import parse
from chalicelib.mail.reply_html import strip_html_reply
from tests.unit.mail.reply_corpus import Case, cases, normalise

CASES = list(cases())


def html_part(case: Case) -> str | None:
    for part in message_from_bytes(case.raw, policy=compat32).walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return None


def test_the_corpus_has_every_client_and_language_the_goal_names():
    names = {case.name for case in CASES}
    for language in ("zh-CN", "zh-TW", "zh-HK", "en"):
        for client in ("gmail", "apple_mail", "iphone", "outlook_desktop"):
            assert f"{language}/{client}" in names
    for language in ("zh-TW", "zh-HK", "en"):
        assert f"{language}/yahoo" in names
    for client in ("qq_mail", "netease_163", "foxmail"):
        assert f"zh-CN/{client}" in names
    assert {"zh-CN/gmail_wrapped", "zh-TW/gmail_wrapped", "en/gmail_wrapped"} <= names
    assert {case.language for case in CASES} >= {"ja", "ko", "de", "fr", "es"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_reply_is_isolated_exactly(case):
    mail = parse(case.raw)
    assert mail.problems == ()
    assert normalise(mail.new_text) == case.expected
    assert case.expected in normalise(mail.text)  # the body keeps it all, quoted history included


@pytest.mark.parametrize("case", [c for c in CASES if html_part(c) is not None], ids=lambda case: case.name)
def test_the_html_part_alone_gives_the_same_new_text(case):
    assert normalise(strip_html_reply(html_part(case))) == case.expected


def test_the_full_text_with_its_quoted_history_is_kept_beside_the_new_text():
    mail = parse(next(c for c in CASES if c.name == "zh-TW/gmail").raw)
    assert mail.new_text == "收到囉，謝謝！"
    assert "於 2026年11月20日 週五 上午10:00寫道：" in mail.text
    assert "HCT88001234" in mail.text
