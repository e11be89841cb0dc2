"""Failed inbound mail run again from the raw store, on DynamoDB Local: a mail whose handler failed is kept
among the failed events (as Lambda's on-failure destination keeps it), `replay` delivers it once, and running
it again stores nothing twice (the Message-ID rule)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.audit import store as audit_store
from chalicelib.bootstrap import Services
from chalicelib.local.failures import FolderFailedEvents
from chalicelib.local.smtp_ingress import SesLikeHandler
from chalicelib.mail.replay import event_from_raw, replay
from tests.mail_helpers import mail_merchant, raw_mail


@pytest.fixture
def failures(services: Services, tmp_path: Path) -> FolderFailedEvents:
    kept = FolderFailedEvents(tmp_path / "failed")
    services.__dict__["failed_events"] = kept  # this test's own, not the session's data folder
    return kept


def tickets(services: Services, licensee_id: str) -> list[dict[str, Any]]:
    return list(services.mail.list_tickets(licensee_id, "open", 100, None)["items"])


def fail_once(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler fails as it would with the database unreachable; the next attempt works."""
    real = services.mail.receive

    def failing(event: Any) -> Any:
        monkeypatch.setattr(services.mail, "receive", real)
        raise ConnectionError("DynamoDB did not answer")

    monkeypatch.setattr(services.mail, "receive", failing)


def arrive_and_fail(services: Services, factory: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "agent:key_1", acknowledge=False)
    fail_once(services, monkeypatch)
    with pytest.raises(ConnectionError):
        SesLikeHandler(services).receive(raw_mail("anna@example.org", address, subject="订单还没到"), [address],
                                         "anna@example.org")
    return owner.licensee_id, address


def test_a_failed_mail_is_kept_then_replayed_into_one_ticket_once(services: Services, factory: Any,
                                                                  failures: FolderFailedEvents,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    licensee_id, _ = arrive_and_fail(services, factory, monkeypatch)
    [failed] = failures.pending()
    assert failed.error == "ConnectionError" and tickets(services, licensee_id) == []
    ses_id = failed.payload["Records"][0]["ses"]["mail"]["messageId"]

    since = services.clock.now() - timedelta(minutes=5)
    [result] = replay(services.mail, failures, services.clock.now(), "staff:alice", since=since)
    assert (result["ses_id"], result["result"], result["source"]) == (ses_id, "replayed", "failed-events")
    assert [o["result"] for o in result["outcomes"]] == ["delivered"]
    [ticket] = tickets(services, licensee_id)
    assert ticket["subject"] == "订单还没到"
    assert failures.pending() == []
    [audited] = audit_store.history(f"mail:{ses_id}")
    assert (audited.action, audited.actor) == ("mail.replayed", "staff:alice")

    # Again, by id: nothing is queued any more, so it runs from the raw store, and the Message-ID rule holds.
    [again] = replay(services.mail, failures, services.clock.now(), "staff:alice", ses_ids=[ses_id])
    assert (again["source"], [o["result"] for o in again["outcomes"]]) == ("raw", ["duplicate"])
    assert len(tickets(services, licensee_id)) == 1
    assert len(services.mail.show_ticket(licensee_id, ticket["id"])["messages"]) == 1
    assert replay(services.mail, failures, services.clock.now(), "staff:alice", since=since) == []


def test_failures_before_the_given_time_are_left_alone(services: Services, factory: Any,
                                                       failures: FolderFailedEvents,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    licensee_id, _ = arrive_and_fail(services, factory, monkeypatch)
    later = services.clock.now() + timedelta(minutes=1)
    assert replay(services.mail, failures, services.clock.now(), "staff:alice", since=later) == []
    assert len(failures.pending()) == 1 and tickets(services, licensee_id) == []


def test_a_mail_that_fails_again_stays_among_the_failed_events(services: Services, factory: Any,
                                                              failures: FolderFailedEvents,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    arrive_and_fail(services, factory, monkeypatch)
    fail_once(services, monkeypatch)
    [result] = replay(services.mail, failures, services.clock.now(), "staff:alice",
                      since=services.clock.now() - timedelta(hours=1))
    assert (result["result"], result["error"]) == ("failed", "ConnectionError")
    assert len(failures.pending()) == 1


def test_a_mail_no_longer_among_the_failed_events_is_replayed_from_its_raw_headers(
        services: Services, factory: Any, failures: FolderFailedEvents) -> None:
    owner, address = mail_merchant(services, factory)
    ses_id = "rawonly0001"
    raw = b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n" + raw_mail(
        "bo@example.org", f"Shop <{address.upper()}>", subject="Refund")
    services.blobs.put(f"{services.settings.inbound_prefix}{ses_id}", raw, "message/rfc822")
    [result] = replay(services.mail, failures, services.clock.now(), "staff:alice", ses_ids=[ses_id])
    assert (result["source"], [o["result"] for o in result["outcomes"]]) == ("raw", ["delivered"])
    assert [t["subject"] for t in tickets(services, owner.licensee_id)] == ["Refund"]
    [missing] = replay(services.mail, failures, services.clock.now(), "staff:alice", ses_ids=["nosuchmail"])
    assert missing["result"] == "not_found"


def test_recipients_from_raw_headers_are_only_the_licensors_addresses() -> None:
    raw = (b"To: a@kefu.local, someone@else.example\r\nCc: B@Sub.Kefu.Local\r\nX-SES-Spam-Verdict: FAIL\r\n"
           b"Subject: x\r\n\r\nbody")
    event = event_from_raw("id1", raw, "kefu.local")
    assert event.recipients == ("a@kefu.local", "b@sub.kefu.local")
    assert (event.verdicts.spam, event.verdicts.virus) == ("FAIL", "GRAY")


def test_replay_needs_ids_or_a_time(services: Services, failures: FolderFailedEvents) -> None:
    with pytest.raises(ValueError, match="SES message id"):
        replay(services.mail, failures, services.clock.now(), "staff:alice")
