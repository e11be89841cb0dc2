"""The phone channel's rules without a database: numbers, the fold of a call's events, signatures."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.phone import model
from chalicelib.phone.model import CallEvent, Direction, EventType, Outcome, Source

T0 = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
INSTANCE_ARN = "arn:aws:connect:ap-southeast-1:111122223333:instance/inst-1"


def event(kind: EventType, seconds: int, **fields: object) -> CallEvent:
    return CallEvent(Source.WEBHOOK, "c1", kind, T0 + timedelta(seconds=seconds), **fields)  # type: ignore[arg-type]


ANSWERED = [event(EventType.INITIATED, 0, direction=Direction.INBOUND, customer_number="+8613800138000",
                  merchant_number="+862112345678"),
            event(EventType.QUEUED, 5, queue="presales"),
            event(EventType.CONNECTED, 20, agent="agent-1"),
            event(EventType.DISCONNECTED, 200)]


@pytest.mark.parametrize("raw, expected", [("+86 138-0013-8000", "+8613800138000"),
                                           ("0086 21 1234 5678", "+862112345678"),
                                           ("+1 (415) 555-0100", "+14155550100")])
def test_numbers_are_normalised_to_e164(raw: str, expected: str) -> None:
    assert model.e164(raw) == expected


@pytest.mark.parametrize("raw", ["13800138000", "+0123456789", "+86abc", "", "+8612345678901234567"])
def test_numbers_without_country_code_or_with_letters_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        model.e164(raw)
    assert caught.value.code == "INVALID_PHONE_NUMBER"


def test_an_answered_call_has_waiting_and_talk_time() -> None:
    record = model.fold(ANSWERED)
    assert record.outcome is Outcome.ANSWERED
    assert (record.waiting_seconds, record.talk_seconds) == (15, 180)
    assert (record.caller, record.callee, record.queue, record.agent) == (
        "+8613800138000", "+862112345678", "presales", "agent-1")
    assert not record.needs_callback


def test_every_order_of_the_same_events_gives_the_same_record() -> None:
    expected = model.fold(ANSWERED)
    for order in itertools.permutations(ANSWERED):
        assert model.fold(order) == expected
    assert model.fold(ANSWERED + ANSWERED) == expected


def test_a_disconnect_before_the_connect_is_missed_until_the_connect_arrives() -> None:
    early = model.fold([ANSWERED[3], ANSWERED[0]])
    assert early.outcome is Outcome.MISSED and early.needs_callback
    assert model.fold([ANSWERED[3], ANSWERED[0], ANSWERED[2]]).outcome is Outcome.ANSWERED


def test_hanging_up_in_the_queue_is_abandoned_and_needs_a_callback() -> None:
    record = model.fold([ANSWERED[0], ANSWERED[1], event(EventType.DISCONNECTED, 65)])
    assert record.outcome is Outcome.ABANDONED and record.waiting_seconds == 60 and record.talk_seconds is None
    assert record.needs_callback


def test_an_unanswered_outbound_call_needs_no_callback() -> None:
    record = model.fold([event(EventType.INITIATED, 0, direction=Direction.OUTBOUND,
                               customer_number="+8613800138000", merchant_number="+862112345678"),
                         event(EventType.DISCONNECTED, 30)])
    assert record.outcome is Outcome.MISSED and not record.needs_callback
    assert (record.caller, record.callee) == ("+862112345678", "+8613800138000")


def test_a_call_in_progress_has_no_outcome() -> None:
    assert model.fold(ANSWERED[:3]).outcome is None


def test_connect_event_with_describe_contact_fills_numbers_and_recording() -> None:
    detail = {"eventType": "DISCONNECTED", "contactId": "abc-1", "channel": "VOICE", "instanceArn": INSTANCE_ARN,
              "initiationMethod": "INBOUND", "initiationTimestamp": "2026-06-15T04:00:00.000Z",
              "disconnectTimestamp": "2026-06-15T04:03:00.000Z",
              "queueInfo": {"queueArn": f"{INSTANCE_ARN}/queue/q-1", "enqueueTimestamp": "2026-06-15T04:00:05Z"}}
    contact = {"CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+8613800138000"},
               "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+862112345678"},
               "AgentInfo": {"Id": "agent-7", "ConnectedToAgentTimestamp": T0 + timedelta(seconds=30)},
               "Recordings": [{"Location": "kefu-prod-mail-1/recordings/inst-1/abc-1.wav", "MediaStreamType": "AUDIO"}]}
    parsed = model.from_connect(detail, contact, "recordings/")
    assert (parsed.instance, parsed.queue, parsed.agent) == ("inst-1", "q-1", "agent-7")
    assert parsed.recording == "recordings/inst-1/abc-1.wav"
    record = model.fold([parsed])
    assert record.outcome is Outcome.ANSWERED and record.talk_seconds == 150 and record.waiting_seconds == 25


def test_recordings_outside_the_prefix_are_not_linked() -> None:
    assert model.recording_key("other-bucket/connect/x.wav", "recordings/") is None
    assert model.recording_key("b/recordings/../secret", "recordings/") is None


def test_chat_contacts_are_not_calls() -> None:
    with pytest.raises(model.NotACall):
        model.from_connect({"eventType": "INITIATED", "channel": "CHAT", "contactId": "x",
                            "instanceArn": INSTANCE_ARN}, None, "recordings/")


def test_webhook_fields_are_validated() -> None:
    good = {"contact_id": "cc-1", "event": "disconnected", "at": "2026-06-15T12:00:00+08:00",
            "from": "+8613800138000", "to": "+862112345678"}
    assert model.from_webhook(good).merchant_number == "+862112345678"
    for change, code in (({"event": "ringing"}, "INVALID_CHOICE"), ({"to": "12345"}, "INVALID_PHONE_NUMBER"),
                         ({"at": "yesterday"}, "INVALID_INSTANT"), ({"extra": 1}, "UNKNOWN_FIELD"),
                         ({"recording_url": "http://x"}, "INVALID_URL"), ({"contact_id": "a b"}, "INVALID_CONTACT_ID")):
        with pytest.raises(InvalidInput) as caught:
            model.from_webhook({**good, **change})
        assert caught.value.code == code


def test_signatures_cover_timestamp_and_body_within_five_minutes() -> None:
    signature = model.webhook_signature("s3cret", "1781496000", b"{}")
    assert model.signature_valid(["old", "s3cret"], "1781496000", b"{}", f"sha256={signature}")
    assert not model.signature_valid(["s3cret"], "1781496001", b"{}", signature)
    assert not model.signature_valid(["s3cret"], "1781496000", b"{ }", signature)
    now = datetime.fromtimestamp(1781496000, UTC)
    assert model.within_window("1781496300", now) and not model.within_window("1781496301", now)
    assert not model.within_window("-5", now) and not model.within_window("", now)


def test_the_summary_counts_outcomes_answers_per_agent_and_the_wait() -> None:
    abandoned = [event(EventType.INITIATED, 0, direction=Direction.INBOUND), event(EventType.QUEUED, 2),
                 event(EventType.DISCONNECTED, 30)]
    in_progress = ANSWERED[:3]
    summary = model.summarise([model.fold(ANSWERED), model.fold(abandoned), model.fold(in_progress)])
    assert summary.calls == 2  # a call still going on is not counted yet
    assert summary.by_outcome == {"answered": 1, "missed": 0, "abandoned": 1, "voicemail": 0}
    assert summary.answered_by_agent == {"agent-1": 1}
    assert (summary.answer_rate, summary.average_wait_seconds, summary.talk_seconds) == (0.5, 15.0, 180)
    assert model.summarise([]).answer_rate is None
