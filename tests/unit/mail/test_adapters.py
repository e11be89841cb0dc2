"""The S3 blob store and the SES v2 mailer against moto (never DynamoDB), the folder store and SMTP mailer."""

from __future__ import annotations

import email
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

from chalicelib.core.blobs import BlobNotFound
from chalicelib.core.clock import FixedClock
from chalicelib.core.mailer import OutboundMail
from chalicelib.local.blobs import FolderBlobs

REGION = "ap-southeast-1"
CLOCK = FixedClock(datetime(2026, 6, 15, 4, 0, tzinfo=UTC))


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    from chalicelib.adapters import s3, ses

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    with mock_aws():
        s3._clients.clear()
        ses._clients.clear()
        yield
    s3._clients.clear()
    ses._clients.clear()
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value


def test_s3_blobs_store_read_and_link_an_object_and_say_when_it_is_missing(aws: None) -> None:
    import boto3

    from chalicelib.adapters.s3 import S3Blobs

    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="kefu-test-mail", CreateBucketConfiguration={"LocationConstraint": REGION})
    blobs = S3Blobs("kefu-test-mail", REGION)
    blobs.put("attachments/lic_1/h/0", b"%PDF-1.4", "application/pdf")
    assert blobs.get("attachments/lic_1/h/0") == b"%PDF-1.4"
    link = blobs.link("attachments/lic_1/h/0", "发票.pdf", 600)
    assert link is not None and "X-Amz-Expires=600" in link and "attachment" in link
    with pytest.raises(BlobNotFound):
        blobs.get("inbound/missing")


def test_raw_mail_is_read_from_the_receiving_regions_bucket_and_attachments_stay_in_the_main_one(aws: None) -> None:
    import boto3

    from chalicelib import bootstrap
    from chalicelib.adapters.s3 import S3Blobs
    from chalicelib.settings import Settings

    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="kefu-test-mail", CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="kefu-test-inbound")
    boto3.client("s3", region_name="us-east-1").put_object(Bucket="kefu-test-inbound", Key="inbound/ses1",
                                                           Body=b"Subject: hi\r\n\r\nhello")
    env = {"AWS_DEFAULT_REGION": REGION, "KEFU_BLOBS": "s3", "KEFU_MAIL_BUCKET": "kefu-test-mail"}
    blobs = S3Blobs("kefu-test-mail", REGION)
    split = bootstrap._raw_mail(Settings.from_env({**env, "KEFU_MAIL_INBOUND_BUCKET": "kefu-test-inbound",
                                                   "KEFU_MAIL_RECEIVING_REGION": "us-east-1"}), blobs)
    assert isinstance(split, S3Blobs) and (split.bucket, split.region) == ("kefu-test-inbound", "us-east-1")
    assert split.get("inbound/ses1") == b"Subject: hi\r\n\r\nhello"
    with pytest.raises(BlobNotFound):
        blobs.get("inbound/ses1")
    # One region that receives itself: the raw mail is in the mail bucket, read through the same store.
    same = {**env, "KEFU_MAIL_INBOUND_BUCKET": "kefu-test-mail", "KEFU_MAIL_RECEIVING_REGION": REGION}
    assert bootstrap._raw_mail(Settings.from_env(same), blobs) is blobs
    assert bootstrap._raw_mail(Settings.from_env(env), blobs) is blobs


def test_the_ses_mailer_sends_raw_mime_with_tags_and_returns_the_message_id_ses_gives_it(aws: None) -> None:
    import boto3

    from chalicelib.adapters.ses import SesMailer

    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="kefu.example")
    mail = OutboundMail(sender="Demo Tea <demo-tea@kefu.example>", to=("anna@example.org",), subject="Re: hi [#1]",
                        text="你好", reply_to="reply+ltkt-1-abcdefghijklmnop@kefu.example",
                        headers=(("In-Reply-To", "<m1@x>"),), tags=(("licensee", "lic_1"), ("kind", "reply")))
    sent = SesMailer(REGION, CLOCK, "kefu.example").send(mail)
    assert sent.message_id == f"{sent.provider_id}@{REGION}.amazonses.com"
    from moto.backends import get_backend

    backend = get_backend("ses")["123456789012"][REGION]
    raw = next(iter(backend.sent_messages)).raw_data
    message = email.message_from_string(raw, policy=policy.default)
    assert message["In-Reply-To"] == "<m1@x>" and message["Reply-To"].startswith("reply+")


def test_us_east_1_message_ids_use_the_email_host() -> None:
    from chalicelib.adapters.ses import ses_message_id

    assert ses_message_id("0100x", "us-east-1") == "0100x@email.amazonses.com"


def test_folder_blobs_write_whole_files_and_refuse_keys_that_leave_the_folder(tmp_path: Path) -> None:
    blobs = FolderBlobs(tmp_path)
    blobs.put("inbound/abc", b"raw")
    assert blobs.get("inbound/abc") == b"raw" and blobs.link("inbound/abc", "x", 1) is None
    assert not list(tmp_path.rglob("*.part"))
    with pytest.raises(ValueError, match="not a blob key"):
        blobs.get("../secrets")
    with pytest.raises(BlobNotFound):
        blobs.get("inbound/none")


def test_the_smtp_mailer_hands_the_mail_to_an_smtp_server(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    from chalicelib.local.dynamodb import free_port
    from chalicelib.local.smtp_mailer import SmtpMailer

    received: list[bytes] = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sent = SmtpMailer(f"127.0.0.1:{port}", CLOCK).send(OutboundMail(
            sender="shop@kefu.example", to=("anna@example.org",), subject="hi", text="hello"))
    finally:
        controller.stop()
    assert len(received) == 1 and f"<{sent.message_id}>".encode() in received[0]
