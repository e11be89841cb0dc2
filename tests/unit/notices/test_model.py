"""What a notice says: texts from the catalogue, in the licensee's language, zh-CN with English by default."""

from __future__ import annotations

import pytest

from chalicelib import i18n
from chalicelib.notices.model import BILINGUAL, NoticeKind, compose, languages


def test_a_notice_is_in_chinese_with_english_beneath_by_default() -> None:
    subject, text = compose(NoticeKind.TERMINATION, {"effective_date": "2026-03-01", "reason": "by notice"})
    assert subject.startswith("协议终止通知") and "Notice of termination" in subject
    assert text.index("终止") < text.index("terminates")


def test_a_licensee_who_chose_one_language_reads_only_that_one() -> None:
    subject, text = compose(NoticeKind.RENEWAL, {"end": "2026-12-31", "days": 30}, "en")
    assert subject == "Your license agreement ends on 2026-12-31: 30 days left"
    assert "续期" not in text
    assert languages("zh-CN") == ("zh-CN",)
    assert languages(BILINGUAL) == languages(None) == languages("xx") == ("zh-CN", "en")


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_of_notice_has_its_texts_in_every_language(kind: NoticeKind) -> None:
    for locale in i18n.locales():
        texts = i18n.catalogue("notices", locale)
        assert any(key.startswith(f"{kind.value}.") and key.endswith(".subject") for key in texts), (kind, locale)
        assert any(key.startswith(f"{kind.value}.") and key.endswith(".text") for key in texts), (kind, locale)


def test_staff_suspension_says_who_and_why() -> None:
    subject, text = compose(NoticeKind.SUSPENSION, {"reason": "abuse report", "at": "2026-01-02 10:00"},
                            variant="staff")
    assert "abuse report" in text and "暂停" in subject
