from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from pathlib import Path

from chalicelib.core.clock import FixedClock
from chalicelib.core.mailer import MailAttachment, OutboundMail
from chalicelib.local.outbox import OutboxMailer


def test_the_outbox_writes_each_mail_as_a_file_one_can_open(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path, FixedClock(datetime(2026, 6, 15, 4, 0, tzinfo=UTC)))
    sent = mailer.send(OutboundMail(
        sender="kefu <notices@kefu.example>", to=("licensee@shop.example",), subject="发票 Invoice 2026-0001",
        text="金额 ¥1,000.00", html="<p>金额 ¥1,000.00</p>", reply_to="billing@kefu.example",
        headers=(("Auto-Submitted", "auto-generated"),),
        attachments=(MailAttachment("invoice.html", "text/html", b"<html></html>"),)))
    files = list(tmp_path.glob("*.eml"))
    assert [f.name for f in files] == [sent.provider_id]
    message = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["Message-ID"] == f"<{sent.message_id}>"
    assert message["Subject"] == "发票 Invoice 2026-0001" and message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content().strip() == "金额 ¥1,000.00"  # type: ignore[union-attr]
    assert [a.get_filename() for a in message.iter_attachments()] == ["invoice.html"]
    assert not list(tmp_path.glob("*.part"))


def test_a_name_or_subject_with_line_breaks_cannot_add_a_header_or_break_the_mail(tmp_path: Path) -> None:
    from email.utils import formataddr

    mailer = OutboxMailer(tmp_path, FixedClock(datetime(2026, 6, 15, 4, 0, tzinfo=UTC)))
    mailer.send(OutboundMail(sender=formataddr(("Tea House\r\nBcc: victim@example.com", "help@kefu.example")),
                             to=("shopper@example.com",), subject="Re: order\nX-Injected: yes", text="hello",
                             headers=(("In-Reply-To", "<a@b>\r\nBcc: x@y"),)))
    sent = email.message_from_bytes(next(tmp_path.glob("*.eml")).read_bytes(), policy=policy.default)
    assert sent["Bcc"] is None and sent["X-Injected"] is None
    assert "Tea House" in str(sent["From"]) and str(sent["Subject"]) == "Re: order X-Injected: yes"
