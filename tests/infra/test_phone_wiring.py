"""The seams between the phone code and the infrastructure: Connect's contact events reach the function app.py
declares, which may touch its table, read licenses and call DescribeContact, and nothing more; the API may read
recordings to sign agents' links; a high share of unanswered calls raises an alarm."""

from __future__ import annotations

import json

import pytest

from chalicelib.resources import PHONE_EVENTS_FUNCTION, RECORDING_PREFIX
from tests.infra.conftest import STAGES, Synthesized
from tests.infra.test_mail_wiring import _arn_of, _function, _granted, _object_prefixes, _statements

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("stage", STAGES)
def test_connect_voice_contact_events_invoke_the_phone_function(synthesized: Synthesized, stage: str) -> None:
    rules = synthesized.resources(stage, "AWS::Events::Rule")
    rule_id, rule = next((k, v) for k, v in rules.items() if k.startswith("ConnectContactEvents"))
    props = rule["Properties"]
    assert props["EventPattern"] == {"source": ["aws.connect"], "detail-type": ["Amazon Connect Contact Event"],
                                     "detail": {"channel": ["VOICE"]}}
    assert [t["Arn"] for t in props["Targets"]] == [_arn_of(PHONE_EVENTS_FUNCTION)]
    assert props["Targets"][0]["RetryPolicy"]["MaximumRetryAttempts"] > 0
    permissions = [p["Properties"] for p in synthesized.resources(stage, "AWS::Lambda::Permission").values()
                   if p["Properties"]["Principal"] == "events.amazonaws.com"]
    assert permissions == [{"Action": "lambda:InvokeFunction", "FunctionName": _arn_of(PHONE_EVENTS_FUNCTION),
                            "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}]


@pytest.mark.parametrize("stage", STAGES)
def test_the_phone_function_touches_its_table_reads_licenses_and_describes_contacts_only(
        synthesized: Synthesized, stage: str) -> None:
    statements = _statements(synthesized, stage, PHONE_EVENTS_FUNCTION)
    actions = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {a for a in actions if a.startswith("connect:")} == {"connect:DescribeContact", "connect:DescribeQueue",
                                                                "connect:DescribeUser"}
    assert not {a for a in actions if a.startswith(("s3:", "ses:", "secretsmanager:"))}
    written = json.dumps(_granted(statements, "dynamodb:PutItem"))
    assert "TablePhone" in written and "TableLicensing" not in written and "TableMail" not in written
    read = json.dumps(_granted(statements, "dynamodb:Query"))
    assert "TablePhone" in read and "TableLicensing" in read and "TableBilling" not in read
    described = json.dumps(_granted(statements, "connect:DescribeContact"))
    assert ":instance/*/contact/*" in described
    named = json.dumps(_granted(statements, "connect:DescribeUser"))
    assert ":instance/*/agent/*" in named and ":instance/*/queue/*" in named and "contact" not in named
    env = _function(synthesized, stage, PHONE_EVENTS_FUNCTION).get("Environment", {}).get("Variables", {})
    assert env.get("KEFU_STAGE") == stage


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_reads_recordings_under_their_prefix_only(synthesized: Synthesized, stage: str) -> None:
    statements = _statements(synthesized, stage, "api_handler")
    assert f"{RECORDING_PREFIX}*" in _object_prefixes(_granted(statements, "s3:GetObject"))
    assert f"{RECORDING_PREFIX}*" not in _object_prefixes(_granted(statements, "s3:PutObject"))  # never writes them


@pytest.mark.parametrize("stage", STAGES)
def test_a_high_share_of_unanswered_inbound_calls_raises_an_alarm(synthesized: Synthesized, stage: str) -> None:
    alarms = synthesized.resources(stage, "AWS::CloudWatch::Alarm")
    rate = next(a["Properties"] for k, a in alarms.items() if k.startswith("RatePhoneCalls"))
    expression = next(m["Expression"] for m in rate["Metrics"] if "Expression" in m)
    assert expression.startswith("IF((") and ">= 10" in expression
    stats = [m["MetricStat"]["Metric"] for m in rate["Metrics"] if "MetricStat" in m]
    assert {s["MetricName"] for s in stats} == {"PhoneCalls"}
    assert {d["Value"] for s in stats for d in s["Dimensions"] if d["Name"] == "outcome"} == {
        "answered", "missed", "abandoned", "voicemail"}
    assert rate["Threshold"] == 0.3 and rate["AlarmActions"]
    dashboard = json.dumps(synthesized.resources(stage, "AWS::CloudWatch::Dashboard"))
    assert "## phone" in dashboard and "PhoneAnswerSeconds" in dashboard
