"""Mail that failed on arrival, replayed by staff as they would on call: the customer's SMTP server is told to
try later (451), the event is kept, `./kefu mail replay --since` delivers it, and running it again by SES id
adds nothing (DynamoDB Local, real SMTP)."""

from __future__ import annotations

import json
import smtplib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.local.dynamodb import free_port
from chalicelib.local.failures import FolderFailedEvents
from chalicelib.local.smtp_ingress import start as start_smtp
from tests.e2e.test_mail import send
from tests.factories import Factory
from tests.mail_helpers import mail_merchant

pytestmark = pytest.mark.e2e


@pytest.fixture
def smtp(services: bootstrap.Services, tmp_path: Path) -> Iterator[str]:
    services.__dict__["failed_events"] = FolderFailedEvents(tmp_path / "failed")
    listen = f"127.0.0.1:{free_port()}"
    stop_server = start_smtp(services, listen)
    yield listen
    stop_server()


def test_staff_replay_a_mail_that_failed_on_arrival_once(kefu: Any, smtp: str, services: bootstrap.Services,
                                                         factory: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant, address = mail_merchant(services, factory)
    services.mail.update_settings(merchant.licensee_id, "test", acknowledge=False)
    real = services.mail.receive

    def unreachable(event: Any) -> Any:
        raise ConnectionError("DynamoDB did not answer")

    monkeypatch.setattr(services.mail, "receive", unreachable)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp, "lina@customer.example", address, "发票在哪里", "请寄发票。")
    assert refused.value.smtp_code == 451  # the sender's server tries again later; meanwhile the event is kept
    monkeypatch.setattr(services.mail, "receive", real)
    assert services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"] == []

    since = (services.clock.now() - timedelta(minutes=10)).isoformat()
    [replayed] = json.loads(kefu("mail", "replay", "--since", since, "--json"))
    assert replayed["result"] == "replayed" and [o["result"] for o in replayed["outcomes"]] == ["delivered"]
    [ticket] = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
    assert ticket["subject"] == "发票在哪里"

    text = kefu("mail", "replay", replayed["ses_id"])
    assert f"{replayed['ses_id']}: replayed (raw)" in text and "duplicate" in text
    assert len(services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]) == 1
    assert "no failed inbound mail" in kefu("mail", "replay", "--since", since)
    assert "Name SES message ids" in kefu("mail", "replay", expect=2)
