"""The reply-secret adapter (Secrets Manager) and the health checks of the S3 blob store and the SES mailer,
against moto (never DynamoDB); the local folder and outbox checks against a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest

from chalicelib.core.clock import FixedClock

REGION = "ap-southeast-1"
CLOCK = FixedClock(datetime(2026, 6, 15, 4, 0, tzinfo=UTC))


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    from chalicelib.adapters import s3, secrets, ses

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    with mock_aws():
        for module in (s3, ses, secrets):
            module._clients.clear()
        yield
    for module in (s3, ses, secrets):
        module._clients.clear()
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value


def test_the_reply_secrets_are_read_once_newest_first(aws: None) -> None:
    import boto3

    from chalicelib.adapters import secrets

    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="kefu-test/reply-token-secrets", SecretString=" new-secret , old-secret ,")["ARN"]
    source = secrets.SecretList(arn, REGION)
    assert source() == (b"new-secret", b"old-secret")
    with mock.patch.object(secrets.client(REGION), "get_secret_value", side_effect=AssertionError("read twice")):
        assert source() == (b"new-secret", b"old-secret")  # kept for the life of the process


def test_an_empty_reply_secret_fails_loudly(aws: None) -> None:
    import boto3

    from chalicelib.adapters.secrets import SecretList

    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="kefu-test/empty", SecretString=" , ")["ARN"]
    with pytest.raises(RuntimeError, match="empty"):
        SecretList(arn, REGION)()


def test_mail_signs_with_the_secret_from_secrets_manager_when_no_local_secret_is_set(aws: None) -> None:
    import boto3

    from chalicelib import bootstrap
    from chalicelib.mail.tokens import make_token, read_token
    from chalicelib.settings import Settings

    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="kefu-test/reply", SecretString="newest-secret-0123456789,older-secret-0123456789")["ARN"]
    settings = Settings.from_env({"KEFU_REPLY_SECRET_ARN": arn, "AWS_DEFAULT_REGION": REGION, "KEFU_METRICS": "off"})
    assert settings.reply_secrets == ()
    source = bootstrap._reply_secrets(settings)
    assert source is not None and source() == (b"newest-secret-0123456789", b"older-secret-0123456789")
    old_token = make_token("tkt-1", b"older-secret-0123456789")
    assert read_token(old_token, source()) == "tkt-1"  # a reply address signed before rotation still works
    assert bootstrap._reply_secrets(Settings.from_env({"KEFU_REPLY_SECRET": "local", "KEFU_REPLY_SECRET_ARN": arn})
                                    ) is None  # local mode keeps its local secret


def test_the_s3_blob_store_is_healthy_only_when_its_bucket_answers(aws: None) -> None:
    import boto3
    from botocore.exceptions import ClientError

    from chalicelib.adapters.s3 import S3Blobs

    with pytest.raises(ClientError):
        S3Blobs("kefu-test-missing", REGION).check()
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="kefu-test-mail", CreateBucketConfiguration={"LocationConstraint": REGION})
    S3Blobs("kefu-test-mail", REGION).check()


def test_the_ses_mailer_is_healthy_only_while_ses_lets_the_account_send(aws: None) -> None:
    from chalicelib.adapters import ses

    mailer = ses.SesMailer(REGION, CLOCK, "mail.kefu.test")
    with mock.patch.object(ses.client(REGION), "get_account",
                           return_value={"SendingEnabled": True, "EnforcementStatus": "HEALTHY"}) as asked:
        mailer.check()
    asked.assert_called_once_with()
    paused = {"SendingEnabled": False, "EnforcementStatus": "PROBATION"}
    with mock.patch.object(ses.client(REGION), "get_account", return_value=paused), \
            pytest.raises(ses.SendingPaused, match="PROBATION"):
        mailer.check()


def test_the_local_folder_and_outbox_are_healthy_when_they_can_be_written(tmp_path: Path) -> None:
    from chalicelib.local.blobs import FolderBlobs
    from chalicelib.local.outbox import OutboxMailer

    FolderBlobs(tmp_path / "blobs").check()
    OutboxMailer(tmp_path / "outbox", CLOCK).check()
    assert (tmp_path / "blobs").is_dir() and (tmp_path / "outbox").is_dir()
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(OSError):
        FolderBlobs(tmp_path / "taken").check()


def test_staff_commands_against_an_aws_stage_find_the_reply_secret_by_the_stages_name() -> None:
    from chalicelib import bootstrap
    from chalicelib.adapters.secrets import SecretList
    from chalicelib.settings import Settings

    source = bootstrap._reply_secrets(Settings.from_env({"KEFU_STAGE": "prod", "KEFU_MAILER": "ses"}))
    assert isinstance(source, SecretList) and source.secret_id == "kefu-prod/reply-token-secrets"
    assert bootstrap._reply_secrets(Settings.from_env({"KEFU_MAILER": "outbox"})) is None
