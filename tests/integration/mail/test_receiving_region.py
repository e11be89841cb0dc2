"""Mail received in another region than the main one, on DynamoDB Local: SES's S3 action stores the raw mail in
the receiving region's bucket and announces it through SNS; the one handler reads it from there, attachments
stay in the main region's store, and a second delivery of the same notification stores nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.core.blobs import BlobNotFound
from chalicelib.core.clock import FixedClock
from chalicelib.local.blobs import FolderBlobs
from chalicelib.mail.handler import on_inbound
from chalicelib.mail.model import Verdicts, ses_event
from chalicelib.metrics import MemorySink
from chalicelib.settings import Settings
from tests.factories import Factory
from tests.mail_helpers import mail_merchant, raw_mail, through_sns


@pytest.fixture
def receiving(tmp_path: Path) -> FolderBlobs:
    """The receiving region's raw-mail bucket, apart from the main region's store."""
    return FolderBlobs(tmp_path / "receiving-region")


@pytest.fixture
def split(settings: Settings, tables: None, clock: FixedClock, metrics: MemorySink,
          receiving: FolderBlobs) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(settings, clock, metrics, raw_mail=receiving)
    bootstrap.use(built)
    yield built
    bootstrap.use(None)


def arrive(services: bootstrap.Services, receiving: FolderBlobs, raw: bytes, recipients: list[str],
           ses_id: str, verdicts: Verdicts | None = None) -> dict[str, Any]:
    """What SES does in the receiving region (store, then notify through SNS) and SNS then hands mail_inbound."""
    receiving.put(f"{services.settings.inbound_prefix}{ses_id}", raw, "message/rfc822")
    receipt = ses_event(ses_id, recipients, "sender@client.example", services.clock.now(),
                        verdicts or Verdicts(spam="PASS", virus="PASS"))
    return on_inbound(through_sns(receipt), services)


def test_mail_announced_through_sns_is_read_from_the_receiving_regions_bucket_into_a_ticket(
        split: bootstrap.Services, receiving: FolderBlobs) -> None:
    merchant, address = mail_merchant(split, Factory(split))
    raw = raw_mail("anna@example.org", address, subject="通过另一个区域到达", body="我的茶还没到。")
    outcome = arrive(split, receiving, raw, [address], "sesnotice1")["outcomes"]
    assert outcome[0]["result"] == "delivered" and outcome[0]["new_ticket"]
    with pytest.raises(BlobNotFound):  # the main region's store never held the raw mail
        split.blobs.get(f"{split.settings.inbound_prefix}sesnotice1")
    [ticket] = split.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
    shown = split.mail.show_ticket(merchant.licensee_id, ticket["id"])
    assert shown["subject"] == "通过另一个区域到达" and shown["messages"][0]["text"] == "我的茶还没到。"


def test_the_same_notification_delivered_twice_is_one_message(split: bootstrap.Services,
                                                              receiving: FolderBlobs) -> None:
    merchant, address = mail_merchant(split, Factory(split))
    raw = raw_mail("anna@example.org", address)
    first = arrive(split, receiving, raw, [address], "sestwice1")["outcomes"]
    again = arrive(split, receiving, raw, [address], "sestwice1")["outcomes"]
    assert (first[0]["result"], again[0]["result"]) == ("delivered", "duplicate")
    [ticket] = split.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
    messages = split.mail.show_ticket(merchant.licensee_id, ticket["id"])["messages"]
    assert [m["direction"] for m in messages].count("inbound") == 1


def test_attachments_of_mail_from_the_receiving_region_are_kept_in_the_main_regions_store(
        split: bootstrap.Services, receiving: FolderBlobs) -> None:
    merchant, address = mail_merchant(split, Factory(split))
    arrive(split, receiving, _mail_with_attachment(address), [address], "sesattach1")
    [ticket] = split.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
    message = split.mail.show_ticket(merchant.licensee_id, ticket["id"])["messages"][0]
    assert message["attachments"]
    part, data = split.mail.attachment(merchant.licensee_id, ticket["id"], message["id"], 0)
    assert split.blobs.get(part.blob_key) == data and data
    with pytest.raises(BlobNotFound):
        receiving.get(part.blob_key)


def test_held_mail_from_the_receiving_region_is_released_from_its_bucket(split: bootstrap.Services,
                                                                         receiving: FolderBlobs) -> None:
    merchant, address = mail_merchant(split, Factory(split))
    outcome = arrive(split, receiving, raw_mail("eve@example.org", address), [address], "sesspam1",
                     Verdicts(spam="FAIL", virus="PASS"))["outcomes"]
    assert outcome[0]["reason"] == "spam"
    released = split.mail.release(merchant.licensee_id, "sesspam1", "staff:alice")
    assert released["result"] == "released"
    [ticket] = split.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
    assert split.mail.show_ticket(merchant.licensee_id, ticket["id"])["messages"][0]["from"] == "eve@example.org"


def test_a_notification_whose_raw_mail_is_not_there_raises_so_that_it_is_retried(
        split: bootstrap.Services) -> None:
    address = f"someone@{split.settings.mail_domain}"
    receipt = ses_event("sesnotyet1", [address], "x@example.org", split.clock.now())
    with pytest.raises(BlobNotFound):
        on_inbound(through_sns(receipt), split)


def _mail_with_attachment(address: str) -> bytes:
    return (f"From: Anna <anna@example.org>\r\nTo: {address}\r\nSubject: Photo\r\n"
            "Message-ID: <photo@client.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee photo.\r\n"
            "--b1\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n").encode()


def test_the_lambda_entrypoint_takes_the_sns_event_as_it_takes_the_ses_one(split: bootstrap.Services,
                                                                          receiving: FolderBlobs) -> None:
    from app import mail_inbound

    _, address = mail_merchant(split, Factory(split))
    receiving.put(f"{split.settings.inbound_prefix}sesentry1", raw_mail("li@example.cn", address), "message/rfc822")
    receipt = ses_event("sesentry1", [address], "li@example.cn", split.clock.now(), Verdicts(spam="PASS", virus="PASS"))
    assert mail_inbound(through_sns(receipt), None)["outcomes"][0]["result"] == "delivered"
    assert mail_inbound(receipt, None)["outcomes"][0]["result"] == "duplicate"  # the same mail by either shape


def test_health_asks_the_receiving_regions_bucket_too_and_names_it_when_it_fails(
        settings: Settings, tables: None, clock: FixedClock, metrics: MemorySink, tmp_path: Path) -> None:
    (tmp_path / "unreachable").write_text("a file where the receiving region's bucket should be")
    built = bootstrap.build(settings, clock, metrics, raw_mail=FolderBlobs(tmp_path / "unreachable"))
    report = built.operations.health(clock.now())
    assert report.components["raw_mail"] == "FileExistsError" and report.components["blobs"] == "ok"
    assert metrics.total("HealthChecks", component="raw_mail", result="failed") == 1
    # In one region the raw mail is in the blob store itself: asked once, as `blobs`.
    assert "raw_mail" not in bootstrap.build(settings, clock, MemorySink()).operations.health(clock.now()).components
